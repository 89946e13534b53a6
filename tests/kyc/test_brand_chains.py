"""Brand authorization chains (issue 12): sellers enter the links (brand owner → distributor
→ seller, territory and validity per link) in the portal and the API; the chain is validated
as a whole; the brand-chain check reads it; the reviewer sees it drawn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import ReviewCase
from cases.services import capability_apply
from kyc.models import DocumentCheckResult, DocumentType, QualificationDocument
from kyc.services import document_upload
from merchants.models import Brand, BrandAuthorization
from tests.conftest import upload
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db

MERCHANT = "Shenzhen Lumen Trading Co., Ltd."
OWNER = "Lumen Audio Holdings Ltd"


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _url(case: ReviewCase, brand: Brand) -> str:
    return f"/api/v1/merchants/{case.merchant_id}/brands/{brand.pk}/authorization-chain/"


def _in(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _chain() -> list[dict[str, Any]]:
    return [
        {
            "grantor_name": OWNER,
            "grantee_name": "Pearl Distribution Ltd",
            "territories": ["CN", "HK"],
            "valid_from": _in(-100),
            "valid_until": _in(700),
        },
        {
            "grantor_name": "Pearl Distribution Ltd",
            "grantee_name": MERCHANT,
            "territories": ["CN"],
            "valid_from": _in(-10),
            "valid_until": _in(365),
        },
    ]


@pytest.fixture
def brand(draft_case: ReviewCase, seller: Any) -> Brand:
    brand = Brand.objects.get(name="Lumen Audio")
    capability_apply(actor=seller, merchant=draft_case.merchant, kind="brand", brand=brand)
    return brand


def _letter(seller: Any, case: ReviewCase, brand: Brand, capture: Any) -> QualificationDocument:
    with capture(execute=True):
        doc = document_upload(
            actor=seller,
            merchant=case.merchant,
            document_type=DocumentType.objects.get(code="brand_authorization_letter"),
            fileobj=upload("letter.pdf", pdf_bytes("LETTER")),
            filename="letter.pdf",
            metadata={"expiry_date": _in(365), "brand": brand.pk},
        )
    return doc


def _chain_result(doc: QualificationDocument) -> DocumentCheckResult:
    return DocumentCheckResult.objects.get(document=doc, check_name="brand_chain")


def test_a_seller_enters_the_chain_over_the_api_and_the_check_reads_it(
    draft_case: ReviewCase, seller: Any, brand: Brand, django_capture_on_commit_callbacks: Any
) -> None:
    doc = _letter(seller, draft_case, brand, django_capture_on_commit_callbacks)
    assert _chain_result(doc).code == "brand_chain_not_declared"

    with django_capture_on_commit_callbacks(execute=True):
        response = _api(seller).put(_url(draft_case, brand), {"links": _chain()}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [link["grantee_name"] for link in body["links"]] == ["Pearl Distribution Ltd", MERCHANT]
    assert body["links"][0]["position"] == 1 and body["trademark_holder"] == OWNER
    assert _chain_result(doc).code == "brand_chain_valid"
    (event,) = AuditEvent.objects.filter(action="brand_chain.updated")
    assert event.before["links"] == [] and len(event.after["links"]) == 2
    # The same chain again changes nothing and writes nothing.
    _api(seller).put(_url(draft_case, brand), {"links": _chain()}, format="json")
    assert AuditEvent.objects.filter(action="brand_chain.updated").count() == 1
    assert _api(seller).get(_url(draft_case, brand)).json() == body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({0: {"grantor_name": "Someone Else Trading"}}, "links.0.grantor_name", "brand owner"),
        ({1: {"grantor_name": "Another Distributor"}}, "links.1.grantor_name", "previous one"),
        ({1: {"grantee_name": "Not My Company Ltd"}}, "links.1.grantee_name", "your company"),
        ({1: {"valid_until": _in(800)}}, "links.1.valid_until", "last longer"),
        ({1: {"valid_until": _in(-1)}}, "links.1.valid_until", "already ended"),
        ({1: {"territories": ["US"]}}, "links.1.territories", "does not"),
        ({0: {"territories": ["XX"]}}, "links.0.territories", "ISO"),
        ({1: {"territories": ["HK"]}}, "links.1.territories", "registered in"),
    ],
    ids=[
        "not-from-owner",
        "broken",
        "not-to-merchant",
        "outlives-parent",
        "expired",
        "wider-territory",
        "bad-code",
        "misses-merchant-country",
    ],
)
def test_a_broken_chain_is_refused_naming_the_link_and_field(
    draft_case: ReviewCase, seller: Any, brand: Brand, change: Any, field: str, message: str
) -> None:
    links = _chain()
    for index, values in change.items():
        links[index].update(values)
    response = _api(seller).put(_url(draft_case, brand), {"links": links}, format="json")
    assert response.status_code == 400, response.json()
    fields = response.json()["error"]["fields"]
    assert field in fields, fields
    assert any(message in m for m in fields[field]), fields
    assert not BrandAuthorization.objects.exists()
    assert not AuditEvent.objects.filter(action="brand_chain.updated").exists()


def test_a_stranger_gets_what_a_missing_merchant_gets(
    draft_case: ReviewCase, other_seller: Any, brand: Brand
) -> None:
    stranger = _api(other_seller).put(_url(draft_case, brand), {"links": _chain()}, format="json")
    missing = _api(other_seller).put(
        f"/api/v1/merchants/999999/brands/{brand.pk}/authorization-chain/",
        {"links": _chain()},
        format="json",
    )
    assert stranger.status_code == missing.status_code == 404
    assert stranger.json() == missing.json()
    assert not BrandAuthorization.objects.exists()


def test_the_chain_endpoint_is_in_the_openapi_schema(seller: Any) -> None:
    schema = _api(seller).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    assert "/api/v1/merchants/{merchant_id}/brands/{brand_id}/authorization-chain/" in text
    assert "BrandChainIn" in text


def _web(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _form_data(links: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "links-TOTAL_FORMS": str(len(links)),
        "links-INITIAL_FORMS": "0",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "5",
    }
    for i, link in enumerate(links):
        for key, value in link.items():
            data[f"links-{i}-{key}"] = ", ".join(value) if isinstance(value, list) else value
    return data


def test_the_seller_enters_the_chain_from_the_brand_authorization_document(
    draft_case: ReviewCase, seller: Any, brand: Brand, django_capture_on_commit_callbacks: Any
) -> None:
    doc = _letter(seller, draft_case, brand, django_capture_on_commit_callbacks)
    page = _web(seller).get(reverse("cases:merchant_detail", args=[draft_case.merchant_id]))
    chain_url = reverse("cases:brand_chain", args=[draft_case.merchant_id, brand.pk])
    row = page.content.decode().split(f'id="document-row-{doc.pk}"', 1)[1].split("</tr>", 1)[0]
    assert chain_url in row

    form_page = _web(seller).get(chain_url)
    assert form_page.status_code == 200
    assert OWNER in form_page.content.decode()

    bad = _chain()
    bad[1]["grantee_name"] = "Not My Company Ltd"
    refused = _web(seller).post(chain_url, _form_data(bad))
    assert refused.status_code == 400
    assert "must be granted to your company" in refused.content.decode()
    assert not BrandAuthorization.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        saved = _web(seller).post(chain_url, _form_data(_chain()))
    assert saved.status_code == 302
    assert BrandAuthorization.objects.count() == 2
    assert _chain_result(doc).code == "brand_chain_valid"


def test_the_chain_page_is_chinese_for_a_chinese_seller(
    draft_case: ReviewCase, seller: Any, brand: Brand
) -> None:
    html = (
        _web(seller, "zh-hans")
        .get(reverse("cases:brand_chain", args=[draft_case.merchant_id, brand.pk]))
        .content.decode()
    )
    assert "授权链" in html
    assert "Authorization chain" not in html


def test_the_reviewer_sees_the_chain_drawn_beside_the_brand_document(
    ready_case: ReviewCase,
    seller: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from cases.services import case_claim, case_submit
    from kyc.brand_chains import brand_chain_set

    brand = Brand.objects.get(name="Lumen Audio")
    capability_apply(actor=seller, merchant=ready_case.merchant, kind="brand", brand=brand)
    doc = _letter(seller, ready_case, brand, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        brand_chain_set(actor=seller, merchant=ready_case.merchant, brand=brand, rows=_chain())
    case_submit(actor=seller, case_id=ready_case.pk)
    case_claim(actor=reviewer, case_id=ready_case.pk)

    for language, owner_label in (("en", "Brand owner"), ("zh-hans", "品牌方")):
        html = (
            _web(reviewer, language)
            .get(reverse("cases:case_detail", args=[ready_case.pk]))
            .content.decode()
        )
        card = html.split(f'id="document-{doc.pk}"', 1)[1].split("</article>", 1)[0]
        drawn = card.split('class="brand-chain"', 1)[1].split("</ol>", 1)[0]
        parties = [OWNER, "Pearl Distribution Ltd", MERCHANT]
        positions = [drawn.index(p) for p in parties]
        assert positions == sorted(positions)
        assert owner_label in drawn
        assert "CN, HK" in drawn and drawn.count("chain-link") == 2
