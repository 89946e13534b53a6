"""The EDD section of the case page: shown to staff, editable only by the senior holder,
evidence served inert and audited, refusals with the right status, constant queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases import edd, services
from cases.models import CaseState, EddChecklistItem, EddEvidence, EddItem, ReviewCase
from tests.conftest import accept_documents
from tests.factories import ELF_BYTES, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def edd_case(claimed_case: Any, reviewer: Any, senior: Any) -> ReviewCase:
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="Opaque owners.")
    return services.case_claim(actor=senior, case_id=claimed_case.pk)


def _page(client: Client, case: ReviewCase) -> str:
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _edd_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "media" / "edd"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_section_is_editable_only_by_the_senior_holder(
    edd_case, senior_client, reviewer_client, other_senior
):
    html = _page(senior_client, edd_case)
    assert 'id="edd"' in html
    assert reverse("cases:edd_item_update", args=[edd_case.pk, "source_of_funds"]) in html
    assert 'enctype="multipart/form-data"' in html
    for client in (reviewer_client, _client(other_senior)):
        html = _page(client, edd_case)
        assert 'id="edd"' in html and "Source of funds" in html
        assert reverse("cases:edd_item_update", args=[edd_case.pk, "source_of_funds"]) not in html


def test_a_case_outside_edd_has_no_section(claimed_case, reviewer_client):
    assert 'id="edd"' not in _page(reviewer_client, claimed_case)


def test_the_senior_holder_works_an_item_from_the_page(edd_case, senior_client):
    url = reverse("cases:edd_item_update", args=[edd_case.pk, "source_of_funds"])
    response = senior_client.post(url, {"seen_state": "edd", "status": "concern", "notes": ""})
    assert response.status_code == 400
    assert "Notes are required" in response.content.decode()
    response = senior_client.post(
        url, {"seen_state": "edd", "status": "satisfied", "notes": "Salary and dividends."}
    )
    assert response.status_code == 302 and response["Location"].endswith("#edd")
    row = EddChecklistItem.objects.get(case=edd_case, item="source_of_funds")
    assert (row.status, row.notes) == ("satisfied", "Salary and dividends.")


def test_an_l1_reviewer_posting_is_refused_with_403(edd_case, reviewer_client):
    url = reverse("cases:edd_item_update", args=[edd_case.pk, "source_of_funds"])
    response = reviewer_client.post(url, {"status": "satisfied", "notes": "x"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="edd.item_updated").exists()


def test_evidence_upload_view_and_download_are_audited(edd_case, senior_client, reviewer_client):
    url = reverse("cases:edd_evidence_add", args=[edd_case.pk, "source_of_wealth"])
    response = senior_client.post(
        url, {"seen_state": "edd", "file": SimpleUploadedFile("w.pdf", pdf_bytes("Wealth"))}
    )
    assert response.status_code == 302
    evidence = EddEvidence.objects.get()
    file_url = reverse("cases:edd_evidence_file", args=[evidence.pk])
    assert file_url in _page(reviewer_client, edd_case)
    response = reviewer_client.get(file_url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Content-Disposition"].startswith("inline;")
    response = reviewer_client.get(file_url + "?download=1")
    assert response["Content-Disposition"].startswith("attachment;")
    assert list(
        AuditEvent.objects.filter(action__startswith="edd.evidence_")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["edd.evidence_added", "edd.evidence_viewed", "edd.evidence_downloaded"]


def test_a_seller_never_gets_evidence(edd_case, senior, seller_client):
    evidence = edd.edd_evidence_add(
        actor=senior,
        case_id=edd_case.pk,
        item="source_of_wealth",
        fileobj=SimpleUploadedFile("w.pdf", pdf_bytes()),
        filename="w.pdf",
    )
    response = seller_client.get(reverse("cases:edd_evidence_file", args=[evidence.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "status"), [(ELF_BYTES, 415), (b"", 400)], ids=["elf-renamed-pdf", "empty"]
)
def test_hostile_evidence_from_the_page_stores_nothing(
    edd_case, senior_client, tmp_path, data, status
):
    url = reverse("cases:edd_evidence_add", args=[edd_case.pk, "source_of_wealth"])
    response = senior_client.post(
        url, {"seen_state": "edd", "file": SimpleUploadedFile("evil.pdf", data)}
    )
    assert response.status_code == status
    assert not EddEvidence.objects.exists()
    assert _edd_files(tmp_path) == []


def test_oversize_evidence_from_the_page_is_413(edd_case, senior_client, tmp_path, settings):
    settings.KYC_MAX_UPLOAD_BYTES = 1024
    url = reverse("cases:edd_evidence_add", args=[edd_case.pk, "source_of_wealth"])
    response = senior_client.post(
        url, {"seen_state": "edd", "file": SimpleUploadedFile("big.pdf", pdf_bytes() + b"%" * 4096)}
    )
    assert response.status_code == 413
    assert not EddEvidence.objects.exists()
    assert _edd_files(tmp_path) == []


def test_approval_from_the_page_is_refused_while_items_are_open(edd_case, senior_client):
    response = senior_client.post(
        reverse("cases:case_approve", args=[edd_case.pk]),
        {"approve-seen_state": "edd", "approve-rationale": "ok"},
    )
    assert response.status_code == 400
    edd_case.refresh_from_db()
    assert edd_case.state == CaseState.EDD


def test_the_maker_cannot_be_the_checker_on_the_page(edd_case, senior, senior_client, other_senior):
    accept_documents(edd_case, senior)
    for code in EddItem.values:
        edd.edd_item_update(
            actor=senior, case_id=edd_case.pk, item=code, status="satisfied", notes="ok"
        )
    response = senior_client.post(
        reverse("cases:case_approve", args=[edd_case.pk]),
        {"approve-seen_state": "edd", "approve-rationale": "EDD complete."},
    )
    assert response.status_code == 302
    edd_case.refresh_from_db()
    assert edd_case.state == CaseState.PENDING_SECOND_APPROVAL
    second = reverse("cases:case_second_approve", args=[edd_case.pk])
    data = {"second-approve-seen_state": "pending_second_approval"}
    response = senior_client.post(second, data)
    assert response.status_code == 403
    edd_case.refresh_from_db()
    assert edd_case.state == CaseState.PENDING_SECOND_APPROVAL
    response = _client(other_senior).post(second, data)
    assert response.status_code == 302
    edd_case.refresh_from_db()
    assert (edd_case.state, edd_case.checker) == (CaseState.APPROVED, other_senior)


def test_the_edd_section_costs_the_same_queries_with_more_evidence(edd_case, senior, senior_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def edd_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _page(senior_client, edd_case)
        return sum(1 for q in ctx.captured_queries if "cases_edd" in q["sql"])

    before = edd_queries()
    for code in EddItem.values:
        for n in range(3):
            edd.edd_evidence_add(
                actor=senior,
                case_id=edd_case.pk,
                item=code,
                fileobj=SimpleUploadedFile("e.pdf", pdf_bytes(f"{code}{n}")),
                filename="e.pdf",
            )
    # The section's two, and the approval blockers' one read of the checklist.
    assert edd_queries() == before == 3
