"""Error statuses the OpenAPI schema documents beyond the shared ones: a view's
`extra_error_statuses` (the two uploads answer 503 `storage_unavailable` when the object store
is down) appear on its write operations, in the error shape, and nowhere else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

UPLOADS = ("merchants_documents_upload", "cases_edd_evidence_add")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    # The schema needs no database: built once for the module.
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (path, method, operation)."""
    return {
        operation["operationId"]: (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def _schema_path(route: str) -> str:
    """A Django route under api/v1/ as the schema spells it: `<int:case_id>` -> `{case_id}`."""
    return "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


@pytest.mark.parametrize("operation_id", UPLOADS)
def test_uploads_document_503_storage_unavailable_in_the_error_shape(
    openapi: dict[str, Any], operation_id: str
) -> None:
    _path, _method, operation = _operations(openapi)[operation_id]

    unavailable = operation["responses"]["503"]

    assert "`storage_unavailable`" in unavailable["description"]
    assert unavailable["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_503_is_documented_only_where_a_view_declares_it(openapi: dict[str, Any]) -> None:
    documented = {
        operation_id
        for operation_id, (_path, _method, operation) in _operations(openapi).items()
        if "503" in operation["responses"]
    }

    # Not the document list (a GET beside the upload, on the same view) nor any other read.
    assert documented == set(UPLOADS)


def test_every_declared_extra_error_status_is_in_the_schema(openapi: dict[str, Any]) -> None:
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if str(p.pattern) == "api/v1/")
    assert isinstance(api, URLResolver)
    checked = 0
    for pattern in api.url_patterns:
        view_class = getattr(getattr(pattern, "callback", None), "view_class", None)
        extra = getattr(view_class, "extra_error_statuses", ())
        if not isinstance(pattern, URLPattern) or not extra:
            continue
        operations = openapi["paths"][_schema_path(str(pattern.pattern))]
        for method in ("post", "put", "patch", "delete"):
            if hasattr(view_class, method):
                assert {str(code) for code in extra} <= set(operations[method]["responses"]), (
                    view_class,
                    method,
                )
                checked += 1
    assert checked >= len(UPLOADS)
