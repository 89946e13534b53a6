"""An object store that is down, full or refusing writes while a file is uploaded: EDD evidence
(API and page) and sellers' documents answer 503 `storage_unavailable` in the usual error
shape, and leave no row, no audit event and no stored object behind.

The store is replaced by one whose writes raise what the real backends raise (OSError on
disk, botocore's errors on S3), so the mapping in config.errors.storage_write is exercised
without the integration suite's S3 server."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.forms import SERVICE_MESSAGES, service_text
from audit.models import AuditEvent
from cases import edd, services
from cases.models import EddChecklistItem, EddEvidence, ReviewCase
from config.errors import STORAGE_UNAVAILABLE_MESSAGE, StorageUnavailable
from kyc.models import QualificationDocument
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db

FAILURES: dict[str, Callable[[], BaseException]] = {
    "disk-full": lambda: OSError(errno.ENOSPC, "No space left on device"),
    "bucket-gone": lambda: ClientError(
        {"Error": {"Code": "NoSuchBucket", "Message": "The bucket does not exist"}}, "PutObject"
    ),
    "unreachable": lambda: EndpointConnectionError(endpoint_url="https://s3.invalid"),
}


class FailingStorage(FileSystemStorage):
    """Files on disk, except that every write fails with FAILURES[failure]."""

    def __init__(self, *, failure: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failure = failure

    def _save(self, name: str, content: Any) -> str:
        raise FAILURES[self.failure]()


@pytest.fixture(params=sorted(FAILURES))
def failing_store(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> str:
    """The default storage fails every write (the same folder as tests/conftest.py's)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{__name__}.FailingStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "failure": request.param},
        },
    }
    return str(request.param)


@pytest.fixture
def edd_case(claimed_case: Any, reviewer: Any, senior: Any) -> ReviewCase:
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="Opaque owners.")
    return services.case_claim(actor=senior, case_id=claimed_case.pk)


def _stored_files(tmp_path: Path, folder: str = "edd") -> list[Path]:
    """The stored objects under one key prefix (the case's documents are there already)."""
    root = tmp_path / "media" / folder
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _assert_nothing_kept(tmp_path: Path, events_before: int) -> None:
    assert not EddEvidence.objects.exists()
    assert AuditEvent.objects.count() == events_before
    assert _stored_files(tmp_path) == []


def _evidence_url(case: ReviewCase, item: str = "adverse_media") -> str:
    return f"/api/v1/cases/{case.pk}/edd/{item}/evidence/"


def test_the_service_raises_storage_unavailable_and_keeps_nothing(
    edd_case: ReviewCase, senior: Any, failing_store: str, tmp_path: Path
) -> None:
    events_before = AuditEvent.objects.count()
    with pytest.raises(StorageUnavailable) as refused:
        edd.edd_evidence_add(
            actor=senior,
            case_id=edd_case.pk,
            item="adverse_media",
            fileobj=SimpleUploadedFile("search.pdf", pdf_bytes("Search")),
            filename="search.pdf",
            description="Search results",
        )
    assert (refused.value.status, refused.value.code) == (503, "storage_unavailable")
    assert refused.value.fields == {"file": [STORAGE_UNAVAILABLE_MESSAGE]}
    assert isinstance(refused.value.__cause__, type(FAILURES[failing_store]()))
    _assert_nothing_kept(tmp_path, events_before)
    item = EddChecklistItem.objects.get(case=edd_case, item="adverse_media")
    assert item.status == EddChecklistItem.Status.OPEN  # the checklist is untouched


def test_the_api_answers_503_in_the_error_shape_and_keeps_nothing(
    edd_case: ReviewCase, senior: Any, failing_store: str, tmp_path: Path
) -> None:
    api = APIClient()
    api.force_login(senior)
    events_before = AuditEvent.objects.count()
    response = api.post(
        _evidence_url(edd_case),
        {"file": SimpleUploadedFile("search.pdf", pdf_bytes("Search")), "description": "x"},
        format="multipart",
    )
    assert response.status_code == 503, response.content
    assert response.json() == {
        "error": {
            "code": "storage_unavailable",
            "message": STORAGE_UNAVAILABLE_MESSAGE,
            "fields": {"file": [STORAGE_UNAVAILABLE_MESSAGE]},
        }
    }
    _assert_nothing_kept(tmp_path, events_before)


def test_a_retry_with_the_same_idempotency_key_succeeds_once_the_store_is_back(
    edd_case: ReviewCase, senior: Any, settings: Any, tmp_path: Path
) -> None:
    working = settings.STORAGES
    settings.STORAGES = {
        **working,
        "default": {
            "BACKEND": f"{__name__}.FailingStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "failure": "unreachable"},
        },
    }
    api = APIClient()
    api.force_login(senior)
    key = {"HTTP_IDEMPOTENCY_KEY": "evidence-retry-1"}

    def post() -> Any:
        body = {"file": SimpleUploadedFile("search.pdf", pdf_bytes("Search"))}
        return api.post(_evidence_url(edd_case), body, format="multipart", **key)

    assert post().status_code == 503
    settings.STORAGES = working  # the store is back
    retried = post()
    # The 503 was not stored as the key's answer: the retry does the work.
    assert retried.status_code == 201, retried.content
    evidence = EddEvidence.objects.get()
    assert _stored_files(tmp_path) == [tmp_path / "media" / str(evidence.file.name)]
    assert AuditEvent.objects.filter(action="edd.evidence_added").count() == 1


def test_the_page_shows_the_error_with_503_and_keeps_nothing(
    edd_case: ReviewCase, senior: Any, failing_store: str, tmp_path: Path
) -> None:
    page = Client()
    page.force_login(senior)
    events_before = AuditEvent.objects.count()
    response = page.post(
        reverse("cases:edd_evidence_add", args=[edd_case.pk, "source_of_wealth"]),
        {"seen_state": "edd", "file": SimpleUploadedFile("w.pdf", pdf_bytes("Wealth"))},
    )
    assert response.status_code == 503
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [STORAGE_UNAVAILABLE_MESSAGE]
    assert "the file was not kept" in response.content.decode()
    _assert_nothing_kept(tmp_path, events_before)


def test_a_document_upload_answers_503_on_the_same_failures(
    draft_case: Any, seller: Any, failing_store: str, tmp_path: Path
) -> None:
    api = APIClient()
    api.force_login(seller)
    events_before = AuditEvent.objects.count()
    response = api.post(
        f"/api/v1/merchants/{draft_case.merchant.pk}/documents/",
        {
            "file": SimpleUploadedFile("license.pdf", pdf_bytes(), content_type="application/pdf"),
            "document_type": "business_license",
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
        format="multipart",
    )
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert response.json()["error"]["fields"] == {"file": [STORAGE_UNAVAILABLE_MESSAGE]}
    assert not QualificationDocument.objects.exists()
    assert AuditEvent.objects.count() == events_before
    assert _stored_files(tmp_path, "documents") == []


def test_the_storage_message_reaches_the_pages_through_gettext(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pages show a service's fixed messages through SERVICE_MESSAGES; a catalogue that
    knows the message (here a stand-in for locale/) is what the user reads."""
    from django.utils import translation

    assert STORAGE_UNAVAILABLE_MESSAGE in SERVICE_MESSAGES
    catalogue = {STORAGE_UNAVAILABLE_MESSAGE: "文件存储暂不可用"}
    trans = translation._trans  # type: ignore[attr-defined]  # what gettext() delegates to
    monkeypatch.setattr(trans, "gettext", lambda m: catalogue.get(m, m))
    assert service_text(STORAGE_UNAVAILABLE_MESSAGE) == "文件存储暂不可用"
