"""API conventions: one error shape, pagination, the base view and the schema generator."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class CachedModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A ModelSerializer whose fields are built from the model once per class.

    DRF introspects the model and builds every field again on each instantiation, which was
    most of the CPU of a list endpoint under load (docs/performance.md, "Load"). The built
    fields only depend on the class and its Meta, so the first build is kept as a prototype
    and each instance gets a deep copy (fields are bound to their parent, never shared)."""

    _prototypes: dict[type, dict[str, serializers.Field]] = {}  # type: ignore[type-arg]

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        cls = type(self)
        prototype = CachedModelSerializer._prototypes.get(cls)
        if prototype is None:
            prototype = copy.deepcopy(super().get_fields())
            CachedModelSerializer._prototypes[cls] = prototype
        return copy.deepcopy(prototype)


class _BlankAsNull:
    """For a column that stores "" when unset, which is neither a URI nor a choice: the API
    answers null instead, and the schema documents the field as nullable."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) if value else None  # type: ignore[misc]


class BlankAsNullURLField(_BlankAsNull, serializers.URLField):
    pass


class BlankAsNullChoiceField(_BlankAsNull, serializers.ChoiceField):
    pass


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, list):
                out[key] = [str(v) for v in value]
            elif isinstance(value, dict):
                out[key] = [str(v) for v in value.values()]
            else:
                out[key] = [str(value)]
        return out
    return {}


_DRF_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "file_too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", "The request body is larger than allowed."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        # e.g. too many form fields: Django would answer with an HTML 400 page.
        return Response(
            error_body("invalid", "The request is malformed."), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DomainError):
        body = error_body(exc.code, exc.message, exc.fields)
        if exc.details:
            body["error"]["details"] = exc.details
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {}
        non_field = fields.pop("non_field_errors", None)
        message = non_field[0] if non_field else "The request is invalid; see fields."
        if isinstance(exc.detail, list) and exc.detail:
            message = str(exc.detail[0])
        response.data = error_body("invalid", message, fields)
    else:
        detail = getattr(exc, "detail", "")
        code = _DRF_CODES.get(response.status_code, "error")
        response.data = error_body(code, str(detail) or code)
    return response


@csrf_exempt  # like every API view: else a POST to a mistyped path gets Django's HTML 403
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/v1/ answer in the API's error shape, not an HTML page."""
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)


class RejectUnknownFieldsMixin:
    """Input serializers refuse fields they do not know: a typo (or a read-only field such as
    `status`) would otherwise be ignored silently and the integrator would believe it applied."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            known = set(self.fields)  # type: ignore[attr-defined]
            # A browser form posting with its session also sends its CSRF token as a field.
            unknown = sorted(
                str(k) for k in data.keys() if k not in known and k != "csrfmiddlewaretoken"
            )
            if unknown:
                raise exceptions.ValidationError({k: ["Unknown field."] for k in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class InputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    pass


class ApiView(APIView):
    """The base of every API view.

    After token authentication the token is attached to the audit context, so every event
    written while serving the request names the integration (actor_type "api_token"), not
    just the user the token belongs to.
    """

    pagination_class: type[PageNumberPagination] | None = None

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        from accounts.models import ApiToken
        from audit.context import attach_api_token

        if isinstance(request.auth, ApiToken):
            attach_api_token(request.auth.pk, request.auth.name)

    def paginate(
        self, queryset: Any, serializer_class: type[serializers.BaseSerializer], **context: Any
    ) -> Response:
        """One page of `queryset`, rendered with `serializer_class`, in the list envelope."""
        paginator = (self.pagination_class or Pagination)()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return paginator.get_paginated_response(data)


# --------------------------------------------------------------------------- schema
# A postprocessing hook (not an AutoSchema subclass: this module is imported while DRF itself
# is still loading, as the pagination class) documents what every operation shares.

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable, e.g. `requirements_due`.",
                },
                "message": {
                    "type": "string",
                    "description": "Human-readable, in the request's language.",
                },
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Input field → its problems; empty when the error is not "
                    "about input.",
                },
                "details": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "Extra machine-readable context, e.g. `requirements`: the "
                    "requirements objects with items still due.",
                },
            },
        }
    },
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`invalid`, or a domain code such as `requirements_due`).",
    "401": "Not authenticated (`not_authenticated`): send a session cookie or a token.",
    "403": "Not allowed for this user (`forbidden`, `maker_checker`, `not_case_holder`, …).",
    "404": "Not found, or not visible to this user (`not_found`).",
    "409": "Conflict: the case moved on (`invalid_state`, `concurrent_transition`, "
    "`already_claimed`) or the Idempotency-Key was used with a different request "
    "(`idempotency_key_reused`).",
    "413": "The file or request body is too large (`file_too_large`).",
    "415": "Unsupported file or media type (`unsupported_file_type`).",
    "429": "Too many requests (`throttled`).",
    "503": "A service the operation needs is unavailable; nothing was kept, try again later "
    "(`storage_unavailable`: the object store refused or could not be reached).",
}

IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "A unique key per intended operation (e.g. a UUID). Repeating the POST with "
    "the same key and body returns the stored response (header "
    "`Idempotent-Replayed: true`) without doing the work again; the same key "
    "with a different body is refused with 409 `idempotency_key_reused`.",
}


def _error_statuses(
    path: str, method: str, operation: dict[str, Any], extra: tuple[int, ...] = ()
) -> list[str]:
    # 404 everywhere: an object not visible to the user, a page past the end of a list, or a
    # staff-only route asked by a seller (hidden, not refused). Found by the schemathesis fuzz.
    codes = {"401", "403", "404", "429"}
    if method in ("post", "put", "patch"):
        codes.add("400")
    if method == "post":
        codes.add("409")
    if method == "get" and any(
        p.get("in") == "query" and p.get("name") not in ("page", "page_size")
        for p in operation.get("parameters", [])
    ):
        codes.add("400")  # invalid filter values
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        codes.update({"413", "415"})
    if method != "get":
        # A view's `extra_error_statuses` (e.g. 503 when an upload meets the object store
        # down) are its writes' answers: its list GET never touches the store.
        codes.update(str(code) for code in extra)
    return sorted(codes)


def _extra_error_statuses(generator: Any) -> dict[tuple[str, str], tuple[int, ...]]:
    """(path, method) -> the view's `extra_error_statuses`, keyed like the schema's paths."""
    extra: dict[tuple[str, str], tuple[int, ...]] = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or ():
        statuses = getattr(getattr(callback, "cls", None), "extra_error_statuses", ())
        if statuses:
            # The generator's own path spelling ({pk} coerced), as parse() wrote it.
            view = generator.create_view(callback, method)
            extra[generator.coerce_path(path, method, view), method.lower()] = tuple(statuses)
    return extra


def schema_postprocess(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """Adds the shared error responses and the Idempotency-Key header to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    extra = _extra_error_statuses(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            statuses = _error_statuses(path, method, operation, extra.get((path, method), ()))
            for code in statuses:
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
            if method == "post":
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(IDEMPOTENCY_PARAMETER)
    return result
