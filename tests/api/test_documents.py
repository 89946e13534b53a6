"""Document upload, listing, metadata and the permission-checked download."""

from __future__ import annotations

from kyc.models import DocumentCheckResult, QualificationDocument
from tests.api.helpers import actions, error, upload_form
from tests.factories import ELF_BYTES, pdf_bytes, png_bytes


def _docs_url(case) -> str:
    return f"/api/v1/merchants/{case.merchant_id}/documents/"


def test_seller_uploads_a_document_with_its_metadata(seller_api, seller, draft_case, stored_files):
    response = seller_api.post(
        _docs_url(draft_case), upload_form(issuer="SAMR Shenzhen"), format="multipart"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    doc = QualificationDocument.objects.get()
    assert body["id"] == doc.pk
    assert body["document_type"] == "business_license"
    assert body["family"] == "entity"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(pdf_bytes())
    assert body["number"] == "91350100M000100Y43"
    assert body["issuer"] == "SAMR Shenzhen"
    assert body["expiry_date"] == "2031-01-01"
    assert body["status"] == "uploaded"
    assert body["original_filename"] == "license.pdf"
    assert body["file_url"].endswith(f"/api/v1/documents/{doc.pk}/file/")
    assert doc.uploaded_by == seller
    assert len(stored_files()) == 1
    assert actions(action__startswith="document.") == ["document.uploaded"]


def test_upload_for_a_person_links_the_identity_document(seller_api, draft_case):
    person = draft_case.merchant.people.get()
    response = seller_api.post(
        _docs_url(draft_case),
        upload_form(
            "identity_document",
            name="id.png",
            data=png_bytes(),
            number="X1",
            expiry_date="2032-01-01",
            person=person.pk,
        ),
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["person_id"] == person.pk
    assert response.json()["content_type"] == "image/png"  # sniffed, not the client's


def test_an_elf_renamed_pdf_is_refused_and_nothing_is_kept(seller_api, draft_case, stored_files):
    response = seller_api.post(
        _docs_url(draft_case), upload_form(data=ELF_BYTES, name="license.pdf"), format="multipart"
    )

    assert response.status_code == 415
    err = error(response)
    assert err["code"] == "unsupported_file_type"
    assert err["details"] == {"sniffed_type": "application/x-executable"}
    assert QualificationDocument.objects.count() == 0
    assert stored_files() == []
    assert actions(action__startswith="document.") == []


def test_an_empty_file_is_refused_and_nothing_is_kept(seller_api, draft_case, stored_files):
    response = seller_api.post(_docs_url(draft_case), upload_form(data=b""), format="multipart")

    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "file_empty"
    assert list(err["fields"]) == ["file"]
    assert QualificationDocument.objects.count() == 0
    assert stored_files() == []


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    seller_api, draft_case, stored_files, settings
):
    settings.KYC_MAX_UPLOAD_BYTES = 500  # the PDF is larger than this

    response = seller_api.post(_docs_url(draft_case), upload_form(), format="multipart")

    assert response.status_code == 413
    assert error(response)["code"] == "file_too_large"
    assert QualificationDocument.objects.count() == 0
    assert stored_files() == []
    assert actions(action__startswith="document.") == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    seller_api, draft_case, stored_files, settings
):
    settings.KYC_MAX_UPLOAD_BYTES = 1024
    big = pdf_bytes() + b"%" * (200 * 1024)

    response = seller_api.post(_docs_url(draft_case), upload_form(data=big), format="multipart")

    assert response.status_code == 413
    assert error(response)["fields"] == {"file": ["Files may be at most 1.0\xa0KB."]}
    assert QualificationDocument.objects.count() == 0
    assert stored_files() == []


def test_json_is_not_accepted_for_an_upload(seller_api, draft_case):
    response = seller_api.post(_docs_url(draft_case), {"document_type": "business_license"})

    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"


def test_missing_metadata_is_reported_per_field(seller_api, draft_case, stored_files):
    response = seller_api.post(
        _docs_url(draft_case), upload_form(number="", expiry_date=""), format="multipart"
    )

    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"number", "expiry_date"}
    assert stored_files() == []


def test_an_unknown_document_type_is_invalid(seller_api, draft_case):
    response = seller_api.post(
        _docs_url(draft_case), upload_form("passport_of_pet"), format="multipart"
    )

    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["document_type"]


def test_a_replacement_supersedes_the_previous_upload(seller_api, draft_case):
    first = seller_api.post(_docs_url(draft_case), upload_form(), format="multipart").json()

    response = seller_api.post(
        _docs_url(draft_case), upload_form(supersedes=first["id"]), format="multipart"
    )

    assert response.status_code == 201
    assert QualificationDocument.objects.get(pk=first["id"]).status == "superseded"


def test_superseding_another_merchants_document_is_invalid(
    seller_api, other_seller_api, draft_case, reference
):
    other = other_seller_api.post(
        "/api/v1/merchants/", {"legal_name": "Other Co", "entity_type": "company", "country": "CN"}
    ).json()
    theirs = other_seller_api.post(
        f"/api/v1/merchants/{other['id']}/documents/", upload_form(), format="multipart"
    ).json()

    response = seller_api.post(
        _docs_url(draft_case), upload_form(supersedes=theirs["id"]), format="multipart"
    )

    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["supersedes"]
    assert QualificationDocument.objects.get(pk=theirs["id"]).status == "uploaded"


def test_documents_are_listed_with_their_check_results(seller_api, ready_case):
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()
    DocumentCheckResult.objects.create(
        document=doc,
        check_name="file_type",
        outcome="passed",
        code="ok",
        message_en="Looks fine",
        evidence={"duplicate_of_merchant": 99},
    )

    body = seller_api.get(_docs_url(ready_case)).json()

    assert body["count"] == 2
    listed = {d["id"]: d for d in body["results"]}
    result = listed[doc.pk]["check_results"][0]
    assert result["code"] == "ok" and result["outcome"] == "passed"
    assert result["evidence"] is None  # evidence may name other merchants: staff only


def test_staff_see_check_evidence_on_the_document(reviewer_api, ready_case):
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()
    DocumentCheckResult.objects.create(
        document=doc,
        check_name="duplicates",
        outcome="warning",
        code="duplicate_file",
        evidence={"merchants": [7]},
    )

    body = reviewer_api.get(f"/api/v1/documents/{doc.pk}/").json()

    assert body["check_results"][0]["evidence"] == {"merchants": [7]}


def test_download_returns_the_file_as_an_attachment_and_is_audited(seller_api, seller, ready_case):
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()

    response = seller_api.get(f"/api/v1/documents/{doc.pk}/file/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="license.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(action="document.downloaded")
    assert event.object_id == str(doc.pk)
    assert event.actor_id == seller.pk
    assert event.case_id == ready_case.pk  # the merchant's open case


def test_download_records_the_case_it_was_read_in(reviewer_api, submitted_case):
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()

    response = reviewer_api.get(f"/api/v1/documents/{doc.pk}/file/?case={submitted_case.pk}")

    assert response.status_code == 200
    from audit.models import AuditEvent

    assert AuditEvent.objects.get(action="document.downloaded").case_id == submitted_case.pk


def test_an_unknown_document_download_is_a_json_404_without_an_event(seller_api, draft_case):
    response = seller_api.get("/api/v1/documents/999999/file/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error(response)["code"] == "not_found"
    assert actions(action="document.downloaded") == []
