"""Shared fixtures. Under CI=true the real services are mandatory: a missing one fails the run
loudly instead of skipping (see tests/services.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.roles import Role
from tests import services
from tests.factories import MerchantFactory, PersonFactory, add_member, make_user, pdf_bytes


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_second_factor: staff force_login stays password-only (tests of the 2FA itself)",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    services.require_ci_services()


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_teardown(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The Celery worker subprocess and the live server's threads may still hold a session
    on the test database when pytest drops it; end them so the drop never fails."""
    yield
    if services.using_postgres():
        from django.db import OperationalError, connection

        if not connection.settings_dict["NAME"].startswith("test_"):
            return  # no test ran against the database: nothing was created, nothing to end
        try:
            with django_db_blocker.unblock(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        except OperationalError:
            pass  # the database is already gone: nothing holds it


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


def verify_second_factor(client: Any, user: Any) -> None:
    """Gives a staff `user` a confirmed TOTP device (if none) and marks `client`'s session as
    verified by it, as django_otp.login() does after a right code (session key
    `otp_device_id`). The client must already be signed in as `user`."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    import time

    from accounts.middleware import LAST_SEEN_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # As the staff middleware leaves a fresh session (browser-close cookie, seen now), so a
    # test's first request does not also save the session.
    session[LAST_SEEN_KEY] = int(time.time())
    session.set_expiry(0)
    session.save()


def login_verified(client: Any, user: Any) -> Any:
    """Signs `client` in as `user` with a second-factor-verified session (staff or not)."""
    _ORIGINAL_FORCE_LOGIN(client, user)
    from accounts.otp import requires_second_factor

    if requires_second_factor(user):
        verify_second_factor(client, user)
    return client


_ORIGINAL_FORCE_LOGIN = Client.force_login


@pytest.fixture(autouse=True)
def _staff_sessions_pass_the_second_factor(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff need a TOTP-verified session for every staff page (accounts/middleware.py).
    Most tests are about something else, so `client.force_login(staff_user)` here signs in
    AND verifies the session (login_verified). Tests about the second factor itself opt out
    with `@pytest.mark.real_second_factor`: there force_login is Django's own, and the session
    is password-only until the test verifies it."""
    if request.node.get_closest_marker("real_second_factor"):
        return
    monkeypatch.setattr(Client, "force_login", login_verified)


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def accept_documents(case: Any, actor: Any, note: str = "Compared with the registry.") -> None:
    """Accepts, as the reviewer holding the case, every current document not yet decided in
    it: an approval needs each one decided. The note is given only where the document's
    checks warned or failed (where the service requires one)."""
    from cases.document_review import case_documents, latest_decisions, needs_note
    from cases.models import ReviewCase
    from cases.services import document_decide

    if not isinstance(case, ReviewCase):
        case = ReviewCase.objects.get(pk=case)
    decided = latest_decisions(case)
    for document in case_documents(case):
        if document.pk in decided:
            continue
        document_decide(
            actor=actor,
            case_id=case.pk,
            document_id=document.pk,
            decision="accept",
            note=note if needs_note(document) else "",
        )


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


def screen_and_check(case: Any, *, score: bool = True) -> Any:
    """What the background work after a submission does, run now (the test transaction never
    commits, so its on-commit tasks never run): every pending document check and the
    screening of the merchant against the active sanctions list (an empty one is loaded when
    none is), then the case's score (`score=False`: the provisional tier of the submission
    stays). Approval waits for the checks and the screening (cases.readiness)."""
    from cases.screening import case_screen_and_score
    from kyc.models import QualificationDocument, SanctionsList
    from kyc.screening.services import active_list, screen_merchant
    from kyc.services import document_run_checks
    from merchants.models import Merchant

    for doc_id in QualificationDocument.objects.filter(
        merchant_id=case.merchant_id, checks_completed_at__isnull=True
    ).values_list("pk", flat=True):
        document_run_checks(document_id=doc_id)
    if active_list() is None:
        SanctionsList.objects.create(
            source="ofac_sdn", label="empty-test-list.csv", sha256="0" * 64, is_active=True
        )
    if score:
        case_screen_and_score(case_id=case.pk)
    else:
        screen_merchant(merchant=Merchant.objects.get(pk=case.merchant_id), case_id=case.pk)
    case.refresh_from_db()
    return case


@pytest.fixture
def submitted_case(ready_case: Any, seller: Any) -> Any:
    from cases.services import case_submit

    return screen_and_check(case_submit(actor=seller, case_id=ready_case.pk))


@pytest.fixture
def claimed_case(submitted_case: Any, reviewer: Any) -> Any:
    from cases.services import case_claim

    return case_claim(actor=reviewer, case_id=submitted_case.pk)


@pytest.fixture
def reviewed_case(claimed_case: Any, reviewer: Any) -> Any:
    """The claimed case with every document accepted by its holder: ready to approve."""
    accept_documents(claimed_case, reviewer)
    return claimed_case


__all__ = [
    "MerchantFactory",
    "accept_documents",
    "add_member",
    "login_verified",
    "screen_and_check",
    "upload",
    "verify_second_factor",
]
