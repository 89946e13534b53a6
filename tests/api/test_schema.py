"""The OpenAPI schema, the offline docs page, and API-wide conventions."""

from __future__ import annotations

import io
import re

import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern, get_resolver

from tests.api.helpers import error


def test_schema_endpoint_serves_a_valid_openapi_document(anon, db):
    response = anon.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/cases/{case_id}/approve/" in schema["paths"]
    assert "/api/v1/merchants/{merchant_id}/documents/" in schema["paths"]
    error_schema = schema["components"]["schemas"]["Error"]
    assert error_schema["properties"]["error"]["required"] == ["code", "message", "fields"]
    upload = schema["paths"]["/api/v1/merchants/{merchant_id}/documents/"]["post"]
    assert {"400", "401", "403", "404", "409", "413", "415", "429"} <= set(upload["responses"])
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in upload["parameters"])


def test_schema_generates_with_no_warnings_and_validates(db, tmp_path):
    target = tmp_path / "schema.yml"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    schema = yaml.safe_load(target.read_text())
    assert schema["info"]["title"] == "Merchant KYC API"


def test_docs_page_uses_only_local_assets(anon, db):
    response = anon.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []
    for asset in re.findall(r'(?:src|href)="/static/([^"?]+)"', html):
        assert finders.find(asset), asset


def test_every_post_endpoint_honours_idempotency_keys():
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if str(p.pattern) == "api/v1/")
    checked = 0
    for pattern in api.url_patterns:
        if not isinstance(pattern, URLPattern):
            continue
        view_class = getattr(pattern.callback, "view_class", None)
        post = getattr(view_class, "post", None)
        if post is None or view_class.__module__.startswith("drf_spectacular"):
            continue
        assert getattr(post, "is_idempotent", False), view_class
        checked += 1
    # merchants, people, documents, capabilities, 11 transitions, comments, document decisions,
    # screening dispositions, risk override (19), next case, reassign, me/availability (3),
    # plus whatever the workbench adds: every one of them was checked above.
    assert checked >= 22


def test_unknown_api_paths_answer_404_in_the_error_shape(seller_api):
    response = seller_api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_wrong_method_answers_405_in_the_error_shape(seller_api):
    response = seller_api.delete("/api/v1/merchants/")

    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"


def test_malformed_json_answers_400_in_the_error_shape(seller_api):
    response = seller_api.generic(
        "POST", "/api/v1/merchants/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert error(response)["code"] == "invalid"


def test_a_post_to_an_unknown_path_answers_404_json_not_a_csrf_page(seller, db):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(seller)

    response = client.post("/api/v1/merchants//people/", {})

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
