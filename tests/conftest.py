"""Shared fixtures. Under CI=true the real services are mandatory: a missing one fails the run
loudly instead of skipping (see tests/services.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from tests import services
from tests.factories import MerchantFactory, PersonFactory, add_member, make_user, pdf_bytes


def pytest_sessionstart(session: pytest.Session) -> None:
    services.require_ci_services()


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_teardown(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The Celery worker subprocess and the live server's threads may still hold a session
    on the test database when pytest drops it; end them so the drop never fails."""
    yield
    if services.using_postgres():
        from django.db import connection

        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    # Each test stores files in its own folder unless it configures S3 itself.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def reference(db: Any) -> Any:
    from cases.reference_data import load_reference_data

    return load_reference_data()


@pytest.fixture
def seller(db: Any) -> Any:
    return make_user(Role.SELLER)


@pytest.fixture
def other_seller(db: Any) -> Any:
    return make_user(Role.SELLER)


@pytest.fixture
def reviewer(db: Any) -> Any:
    return make_user(Role.REVIEWER)


@pytest.fixture
def other_reviewer(db: Any) -> Any:
    return make_user(Role.REVIEWER)


@pytest.fixture
def senior(db: Any) -> Any:
    return make_user(Role.SENIOR_REVIEWER)


@pytest.fixture
def other_senior(db: Any) -> Any:
    return make_user(Role.SENIOR_REVIEWER)


@pytest.fixture
def qc_lead(db: Any) -> Any:
    return make_user(Role.QC_LEAD)


@pytest.fixture
def admin_user(db: Any) -> Any:
    return make_user(Role.COMPLIANCE_ADMIN)


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def draft_case(reference: Any, seller: Any) -> Any:
    """A company in CN with a legal representative and a draft onboarding case, nothing
    uploaded yet."""
    from cases.services import onboarding_start

    merchant, case = onboarding_start(
        actor=seller,
        data={
            "legal_name": "Shenzhen Lumen Trading Co., Ltd.",
            "local_name": "深圳市光明贸易有限公司",
            "entity_type": "company",
            "country": "CN",
            "registration_number": "91350100M000100Y43",
        },
    )
    PersonFactory(
        merchant=merchant,
        full_name="Li Wei",
        is_legal_representative=True,
        ownership_percent=60,
        is_beneficial_owner=True,
    )
    return case


@pytest.fixture
def ready_case(draft_case: Any, seller: Any) -> Any:
    """The draft case with every currently-due document uploaded."""
    from kyc.models import DocumentType
    from kyc.services import document_upload

    merchant = draft_case.merchant
    person = merchant.people.get()
    document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=upload("license.pdf", pdf_bytes()),
        filename="license.pdf",
        metadata={"number": "91350100M000100Y43", "expiry_date": "2031-01-01"},
    )
    document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="identity_document"),
        fileobj=upload("id.pdf", pdf_bytes("ID")),
        filename="id.pdf",
        metadata={"number": "110101199001011234", "expiry_date": "2032-01-01", "person": person.pk},
    )
    return draft_case


@pytest.fixture
def submitted_case(ready_case: Any, seller: Any) -> Any:
    from cases.services import case_submit

    return case_submit(actor=seller, case_id=ready_case.pk)


@pytest.fixture
def claimed_case(submitted_case: Any, reviewer: Any) -> Any:
    from cases.services import case_claim

    return case_claim(actor=reviewer, case_id=submitted_case.pk)


__all__ = ["MerchantFactory", "add_member", "upload"]
