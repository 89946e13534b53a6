"""Replacing a brand or category document keeps what it is for: the requirement it satisfied
stays satisfied (issue 12: "Replace" dropped the brand/category link)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import ReviewCase
from cases.services import capability_apply
from kyc.models import DocumentStatus, DocumentType, QualificationDocument
from kyc.requirements import merchant_requirements
from kyc.services import document_upload
from merchants.models import Brand, Category
from tests.conftest import upload
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db


def _brand_document(seller: Any, case: ReviewCase) -> QualificationDocument:
    brand = Brand.objects.get(name="Lumen Audio")
    capability_apply(actor=seller, merchant=case.merchant, kind="brand", brand=brand)
    return document_upload(
        actor=seller,
        merchant=case.merchant,
        document_type=DocumentType.objects.get(code="trademark_certificate"),
        fileobj=upload("tm.pdf", pdf_bytes("TM")),
        filename="tm.pdf",
        metadata={"number": "TM-30125471", "expiry_date": "2033-01-01", "brand": brand.pk},
    )


def _category_document(seller: Any, case: ReviewCase) -> QualificationDocument:
    food = Category.objects.get(code="food")
    capability_apply(actor=seller, merchant=case.merchant, kind="category", category=food)
    return document_upload(
        actor=seller,
        merchant=case.merchant,
        document_type=DocumentType.objects.get(code="food_business_license"),
        fileobj=upload("food.pdf", pdf_bytes("FOOD")),
        filename="food.pdf",
        metadata={"number": "JY14403000000001", "expiry_date": "2033-01-01", "category": food.pk},
    )


@pytest.fixture
def seller_client(seller: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(seller)
    return client


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _due_codes(case: ReviewCase) -> set[str]:
    return {
        item["code"]
        for r in merchant_requirements(case.merchant)
        for item in r["currently_due"]
        if r["capability"] != "sell"
    }


@pytest.mark.parametrize("make", [_brand_document, _category_document], ids=["brand", "category"])
def test_the_replace_link_prefills_what_the_document_is_for(
    seller_client: Any, seller: Any, draft_case: ReviewCase, make: Any
) -> None:
    doc = make(seller, draft_case)
    page = seller_client.get(reverse("cases:merchant_detail", args=[draft_case.merchant_id]))
    html = page.content.decode()
    start = html.index(f"replaces={doc.pk}")
    link = html[html.rindex('href="', 0, start) : html.index('"', start)]
    response = seller_client.get(link[len('href="') :].replace("&amp;", "&"))
    form = response.context["form"]
    assert form["document_type"].value() == doc.document_type_id
    assert form["brand"].value() == doc.brand_id
    assert form["category"].value() == doc.category_id


@pytest.mark.parametrize("make", [_brand_document, _category_document], ids=["brand", "category"])
def test_replacing_through_the_form_keeps_the_requirement_satisfied(
    seller_client: Any, seller: Any, draft_case: ReviewCase, make: Any
) -> None:
    doc = make(seller, draft_case)
    assert _due_codes(draft_case) == set()
    url = reverse("cases:document_upload", args=[draft_case.merchant_id])
    form = seller_client.get(url, {"replaces": doc.pk}).context["form"]
    data = {
        name: value
        for name in form.fields
        if (value := form[name].value()) not in (None, "") and name != "file"
    }
    data.update(
        {
            "file": upload("new.pdf", pdf_bytes("NEW")),
            "number": doc.number,
            "expiry_date": "2034-01-01",
        }
    )
    response = seller_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    new = QualificationDocument.objects.exclude(pk=doc.pk).get(merchant=draft_case.merchant)
    assert (new.brand_id, new.category_id) == (doc.brand_id, doc.category_id)
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.SUPERSEDED
    assert _due_codes(draft_case) == set()


@pytest.mark.parametrize("make", [_brand_document, _category_document], ids=["brand", "category"])
def test_a_replacement_over_the_api_keeps_the_link_unless_it_names_another(
    seller: Any, draft_case: ReviewCase, make: Any
) -> None:
    api = client_for(seller)
    doc = make(seller, draft_case)
    url = f"/api/v1/merchants/{draft_case.merchant_id}/documents/"
    body = {
        "file": upload("new.pdf", pdf_bytes("NEW")),
        "document_type": doc.document_type.code,
        "number": doc.number,
        "expiry_date": "2034-01-01",
        "supersedes": doc.pk,
    }
    response = api.post(url, body, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["brand_id"] == doc.brand_id
    assert (response.json()["category"] or None) == (doc.category.code if doc.category else None)
    assert _due_codes(draft_case) == set()


def test_a_replacement_may_deliberately_move_to_another_brand(
    seller: Any, draft_case: ReviewCase
) -> None:
    doc = _brand_document(seller, draft_case)
    other = Brand.objects.get(name="Harbor Threads")
    response = client_for(seller).post(
        f"/api/v1/merchants/{draft_case.merchant_id}/documents/",
        {
            "file": upload("new.pdf", pdf_bytes("NEW")),
            "document_type": "trademark_certificate",
            "number": "UK00003456789",
            "expiry_date": "2034-01-01",
            "brand": other.pk,
            "supersedes": doc.pk,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["brand_id"] == other.pk
