"""The world of tests/security/test_idor.py: two sellers with everything a seller can own, the
staff roles, and one object of every kind the staff-only apps keep; plus the tools that replay
one request without letting it change the world (a savepoint rolled back after each request)
and tell whether anything was written.

Built with the real services where the object has one (onboarding, upload, submit, claim,
RFI, comments), directly where the builder would drag in unrelated machinery (PDF report
built by WeasyPrint, QC draws, webhook deliveries): the endpoints only read these rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import Role
from tests.conftest import screen_and_check
from tests.factories import PersonFactory, make_user, pdf_bytes, png_bytes

# Roles, in the order of every expectation tuple of the table.
ROLES = (
    "anon",  # no session
    "seller_b",  # another seller, against seller A's objects
    "seller_a",  # the owner
    "reviewer",  # L1 reviewer holding A's case
    "senior",  # senior reviewer (L2)
    "qc_lead",
    "admin",  # compliance admin
    "superuser",  # Django superuser holding no role
)
# Text that only staff may ever read. Each is planted in the world; none may appear in a
# response to a seller.
INTERNAL_MARKERS = {
    "internal comment": "IDOR-INTERNAL-COMMENT-7f3a",
    "decision rationale": "IDOR-INTERNAL-RATIONALE-2c9d",
    "screening disposition": "IDOR-INTERNAL-DISPOSITION-5e1b",
    "EDD notes": "IDOR-INTERNAL-EDD-NOTES-8a4c",
    "QC comment": "IDOR-INTERNAL-QC-COMMENT-3d6f",
    "QC dispute": "IDOR-INTERNAL-QC-DISPUTE-9b2e",
    "EDD evidence description": "IDOR-INTERNAL-EVIDENCE-1f7a",
}
# Seller-visible text of A's case: a seller A response that holds it proves the check above
# looks at a page that shows comments at all.
SELLER_VISIBLE_MARKER = "IDOR-SELLER-VISIBLE-4c8e"

# Ids no row will ever have: the "does not exist" twin of every foreign id.
MISSING_ID = 987654321

# Apps whose tables are watched to prove that a refused request wrote nothing (sessions live
# in django_session, outside them: a request may touch its session).
FINGERPRINTED_APPS = ("accounts", "audit", "webhooks", "merchants", "kyc", "cases")


@dataclass
class World:
    users: dict[str, Any]
    # Per owner ("A", "B"): the path parameters of that seller's objects.
    ids: dict[str, dict[str, Any]]
    # Staff-only objects (QC, webhooks, tokens of staff).
    staff_ids: dict[str, Any] = field(default_factory=dict)

    def params(self, owner: str = "A") -> dict[str, Any]:
        return {**self.staff_ids, **self.ids[owner]}

    def missing_params(self) -> dict[str, Any]:
        """Every id replaced by one that does not exist (string parameters kept)."""
        return {k: (MISSING_ID if isinstance(v, int) else v) for k, v in self.params().items()}


# --------------------------------------------------------------------------- building


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _seller_side(
    *, seller: Any, reviewer: Any, legal_name: str, registration_number: str, tag: str
) -> dict[str, Any]:
    """A seller's merchant with people and documents, an answered RFI, comments of both
    visibilities, and its onboarding case back in review with `reviewer`."""
    from cases import services
    from cases.models import CaseState, CommentVisibility
    from kyc.models import DocumentPreview, DocumentType
    from kyc.services import document_upload

    merchant, case = services.onboarding_start(
        actor=seller,
        data={
            "legal_name": legal_name,
            "entity_type": "company",
            "country": "CN",
            "registration_number": registration_number,
        },
    )
    rep = PersonFactory(
        merchant=merchant,
        full_name=f"Rep {tag}",
        is_legal_representative=True,
        ownership_percent=60,
        is_beneficial_owner=True,
    )
    director = PersonFactory(
        merchant=merchant, full_name=f"Director {tag}", is_legal_representative=False
    )
    license_doc = document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=_upload("license.pdf", pdf_bytes(f"License {tag}")),
        filename="license.pdf",
        metadata={"number": registration_number, "expiry_date": "2031-01-01"},
    )
    document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="identity_document"),
        fileobj=_upload("id.pdf", pdf_bytes(f"ID {tag}")),
        filename="id.pdf",
        metadata={"number": "110101199001011234", "expiry_date": "2032-01-01", "person": rep.pk},
    )
    # The first-page image the checks job would have made (the job runs after commit).
    preview = DocumentPreview(document=license_doc, width=80, height=60)
    preview.file.save(f"previews/document-{license_doc.pk}.png", ContentFile(png_bytes((80, 60))))
    services.case_submit(actor=seller, case_id=case.pk)
    services.case_claim(actor=reviewer, case_id=case.pk)
    internal = services.comment_add(
        actor=reviewer,
        case_id=case.pk,
        body=f"{INTERNAL_MARKERS['internal comment']} {tag}: the director looks like a nominee.",
        visibility=CommentVisibility.INTERNAL,
    )
    visible = services.comment_add(
        actor=reviewer,
        case_id=case.pk,
        body=f"{SELLER_VISIBLE_MARKER} {tag}: thank you, we are looking at your file.",
        visibility=CommentVisibility.SELLER,
    )
    services.case_request_info(
        actor=reviewer,
        case_id=case.pk,
        message=f"Please send a clearer scan of the license ({tag}).",
        deadline=timezone.now() + timedelta(days=10),
    )
    services.case_resubmit(actor=seller, case_id=case.pk, answer=f"Sent again ({tag}).")
    # The screening and checks that follow (after commit outside tests); approval waits.
    screen_and_check(case, score=False)
    case.refresh_from_db()
    if case.state != CaseState.IN_REVIEW:  # back in the queue: the same reviewer takes it
        services.case_claim(actor=reviewer, case_id=case.pk)
        case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and case.assignee_id == reviewer.pk
    capability = case.capabilities.order_by("pk").first()
    assert capability is not None
    return {
        "merchant": merchant.pk,
        "person": rep.pk,
        "director": director.pk,
        "doc": license_doc.pk,
        "case": case.pk,
        "capability": capability.pk,
        "comment_internal": internal.pk,
        "comment_visible": visible.pk,
        "rfi": case.information_requests.get().pk,
        "queue": case.queue.code if case.queue is not None else "",
    }


def _staff_side_of_case(
    ids: dict[str, Any], *, reviewer: Any, senior: Any, qc_lead: Any, qc_lead_2: Any, tag: str
) -> None:
    """What staff keep about one seller's case: a screening hit, EDD notes and evidence, a
    built review report, and an earlier decided case of the merchant with QC reviews (one
    pending, one finding, one disputed finding)."""
    from cases.models import (
        EddChecklistItem,
        EddEvidence,
        EddItem,
        QcDispute,
        QcReview,
        ReportStatus,
        ReportTrigger,
        ReviewCase,
        ReviewReport,
    )
    from kyc.models import Disposition, SanctionsEntry, SanctionsList, ScreeningMatch
    from merchants.models import Merchant

    merchant = Merchant.objects.get(pk=ids["merchant"])
    case = ReviewCase.objects.get(pk=ids["case"])
    sdn = SanctionsList.objects.filter(is_active=True).first() or SanctionsList.objects.create(
        source="ofac_sdn", label="idor-sdn.csv", sha256="0" * 64, is_active=True
    )
    entry = SanctionsEntry.objects.create(
        sanctions_list=sdn,
        list_id=f"idor-{tag}",
        entry_type="entity",
        primary_name=f"LISTED TRADING {tag}",
        names=[{"name": f"LISTED TRADING {tag}", "kind": "primary"}],
        programs=["SDGT"],
    )
    match = ScreeningMatch.objects.create(
        merchant=merchant,
        subject="legal_name",
        screened_name=merchant.legal_name,
        sanctions_list=sdn,
        entry=entry,
        matched_name=entry.primary_name,
        score=91,
        explanation="token match",
        status=Disposition.OPEN,
    )
    disposed = ScreeningMatch.objects.create(
        merchant=merchant,
        person_id=ids["director"],
        subject="person",
        screened_name=f"Director {tag}",
        sanctions_list=sdn,
        entry=entry,
        matched_name=entry.primary_name,
        score=88,
        explanation="token match",
        status=Disposition.FALSE_POSITIVE,
        disposition_comment=f"{INTERNAL_MARKERS['screening disposition']} {tag}",
        disposed_by=reviewer,
        disposed_at=timezone.now(),
    )
    item = EddChecklistItem.objects.create(
        case=case,
        item=EddItem.SOURCE_OF_FUNDS,
        status=EddChecklistItem.Status.SATISFIED,
        notes=f"{INTERNAL_MARKERS['EDD notes']} {tag}",
        completed_by=senior,
        completed_at=timezone.now(),
    )
    data = pdf_bytes(f"Evidence {tag}")
    evidence = EddEvidence(
        item=item,
        original_filename="bank-statement.pdf",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type="application/pdf",
        description=f"{INTERNAL_MARKERS['EDD evidence description']} {tag}",
        uploaded_by=senior,
    )
    evidence.file.save("upload", ContentFile(data), save=False)
    evidence.save()
    report_bytes = pdf_bytes(f"Review report {tag}")
    report = ReviewReport(
        case=case,
        version=1,
        trigger=ReportTrigger.REBUILD,
        status=ReportStatus.BUILT,
        sha256=hashlib.sha256(report_bytes).hexdigest(),
        size=len(report_bytes),
        page_count=1,
        requested_by=senior,
        built_at=timezone.now(),
    )
    report.file.save(report.key, ContentFile(report_bytes), save=False)
    report.save()

    # An earlier decision on the merchant (made directly: QC reads only the decision).
    decided = []
    for n in range(3):
        decided.append(
            ReviewCase.objects.create(
                merchant=merchant,
                kind="periodic_review",
                state="approved",
                risk_tier="low",
                maker=reviewer,
                decided_at=timezone.now() - timedelta(days=30 + n),
                decision_rationale=f"{INTERNAL_MARKERS['decision rationale']} {tag}",
            )
        )

    def review(case: ReviewCase, **kwargs: Any) -> QcReview:
        assert case.decided_at is not None
        return QcReview.objects.create(
            case=case,
            sampled_by_rule="rate:idor",
            case_decision=case.state,
            case_decided_at=case.decided_at,
            risk_tier=case.risk_tier,
            maker=case.maker,
            checker=case.checker,
            **kwargs,
        )

    finding = {
        "status": "completed",
        "qc_reviewer": qc_lead_2,
        "outcome": "disagree",
        "error_category": "poor_rationale",
        "severity": "minor",
        "comment": f"{INTERNAL_MARKERS['QC comment']} {tag}",
        "completed_at": timezone.now(),
    }
    pending = review(decided[0])
    undisputed = review(decided[1], **finding)
    disputed = review(decided[2], **finding)
    dispute = QcDispute.objects.create(
        review=disputed,
        raised_by=reviewer,
        reason=f"{INTERNAL_MARKERS['QC dispute']} {tag}",
    )
    ids.update(
        match=match.pk,
        match_disposed=disposed.pk,
        edd_item=EddItem.SOURCE_OF_FUNDS.value,
        evidence=evidence.pk,
        report=report.pk,
        decided_case=decided[0].pk,
        qc_review=pending.pk,
        qc_finding=undisputed.pk,
        qc_disputed=disputed.pk,
        dispute=dispute.pk,
    )


def _webhooks(admin: Any) -> dict[str, Any]:
    from webhooks.models import (
        DeliveryStatus,
        WebhookAttempt,
        WebhookDelivery,
        WebhookEvent,
        WebhookSubscription,
    )

    sub = WebhookSubscription.objects.create(
        name="Platform",
        url="https://hooks.platform.test/kyc",
        secret="whsec_idor_" + "0" * 32,
        created_by=admin,
    )
    event = WebhookEvent.objects.create(event_type="case.approved", payload={"case": 1})
    delivery = WebhookDelivery.objects.create(
        event=event,
        subscription=sub,
        status=DeliveryStatus.FAILED,
        attempt_count=1,
        last_status_code=500,
    )
    WebhookAttempt.objects.create(delivery=delivery, number=1, status_code=500)
    return {"subscription": sub.pk, "delivery": delivery.pk, "event": event.pk}


def _compliance(admin: Any) -> dict[str, Any]:
    """What the compliance admin pages edit: a rule of a draft policy version, a reason
    code, a QC sampling rule, a risk country class."""
    from cases.models import QcSamplingRule, ReasonCode
    from compliance.services import policy_draft_create

    draft = policy_draft_create(actor=admin)
    return {
        "draft_rule": draft.rules.order_by("pk").first().pk,
        "reason": ReasonCode.objects.order_by("pk").first().pk,
        "qc_rule": QcSamplingRule.objects.order_by("pk").first().pk,
        "risk_class": "embargoed",
    }


def build_world() -> World:
    from cases.models import QcDraw
    from cases.reference_data import load_reference_data
    from kyc.models import DocumentType
    from merchants.models import Brand, Category

    load_reference_data()
    users = {
        "seller_a": make_user(Role.SELLER, username="idor-seller-a"),
        "seller_b": make_user(Role.SELLER, username="idor-seller-b"),
        "reviewer": make_user(Role.REVIEWER, username="idor-reviewer"),
        "senior": make_user(Role.SENIOR_REVIEWER, username="idor-senior"),
        "qc_lead": make_user(Role.QC_LEAD, username="idor-qc-lead"),
        "admin": make_user(Role.COMPLIANCE_ADMIN, username="idor-admin"),
        "superuser": make_user("", username="idor-superuser", is_superuser=True, is_staff=True),
    }
    # Helpers of the world, not roles of the table: the QC lead who made the findings (so
    # `qc_lead` may decide the dispute) and a second reviewer to reassign to.
    qc_lead_2 = make_user(Role.QC_LEAD, username="idor-qc-lead-2")
    reviewer_2 = make_user(Role.REVIEWER, username="idor-reviewer-2")

    ids = {
        "A": _seller_side(
            seller=users["seller_a"],
            reviewer=users["reviewer"],
            legal_name="Shenzhen Alpha Trading Co., Ltd.",
            registration_number="91350100M000100Y43",
            tag="A",
        ),
        "B": _seller_side(
            seller=users["seller_b"],
            reviewer=users["reviewer"],
            legal_name="Guangzhou Beta Export Co., Ltd.",
            registration_number="91440300MA5G9KJ2XT",
            tag="B",
        ),
    }
    for tag, owner_ids in ids.items():
        _staff_side_of_case(
            owner_ids,
            reviewer=users["reviewer"],
            senior=users["senior"],
            qc_lead=users["qc_lead"],
            qc_lead_2=qc_lead_2,
            tag=tag,
        )
    now = timezone.now()
    draw = QcDraw.objects.create(
        seed=42,
        window_start=now - timedelta(days=60),
        window_end=now,
        trigger="on_demand",
        drawn_by=users["qc_lead"],
    )
    staff_ids: dict[str, Any] = {
        "draw": draw.pk,
        # Reference data a form names by id.
        "doctype_license": DocumentType.objects.get(code="business_license").pk,
        "category_food": Category.objects.get(code="food").pk,
        "reviewer_2": reviewer_2.pk,
        # Brands are reference data; a merchant's authorization chain for one is its own.
        "brand": Brand.objects.create(
            name="Idor Brand", trademark_number="TM-IDOR-1", trademark_holder="Idor Brand Owner"
        ).pk,
        **_webhooks(users["admin"]),
        **_compliance(users["admin"]),
    }
    # One API token per user; a seller's token is "theirs" (A's, B's), a staff one not.
    for role, user in users.items():
        token, _key = ApiToken.issue(user=user, name=f"{role}-integration")
        if role == "seller_a":
            ids["A"]["token"] = token.pk
        elif role == "seller_b":
            ids["B"]["token"] = token.pk
        else:
            staff_ids[f"token_{role}"] = token.pk
    return World(users=users, ids=ids, staff_ids=staff_ids)


# --------------------------------------------------------------------------- no-write proof


def _fingerprint_tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for app_label in FINGERPRINTED_APPS
            for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
        }
    )


_TABLES: list[str] = []


def fingerprint() -> str:
    """Equal before and after a request exactly when the request wrote nothing to the domain
    tables. On PostgreSQL: the transaction's own insert/update/delete counters of those
    tables (pg_stat_xact_user_tables, cheap, and blind to nothing: an UPDATE that writes the
    same values counts too). Elsewhere: a digest of every row."""
    if not _TABLES:
        _TABLES.extend(_fingerprint_tables())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del "
                "FROM pg_stat_xact_user_tables WHERE relname = ANY(%s) ORDER BY relname",
                [_TABLES],
            )
            return repr(cursor.fetchall())
        qn = connection.ops.quote_name
        digest = hashlib.sha256()
        for table in _TABLES:
            cursor.execute(f"SELECT * FROM {qn(table)}")
            for row in sorted(repr(r) for r in cursor.fetchall()):
                digest.update(row.encode())
            digest.update(b"/")
        return digest.hexdigest()


class Rollback(Exception):
    """Raised inside the savepoint to undo the request's writes."""


def replay(send: Any) -> tuple[Any, bool]:
    """Runs `send()` (one test-client request) inside a savepoint that is always rolled
    back, so every request of the table meets the same world. Returns the response and
    whether the request wrote anything to the domain tables."""
    before = fingerprint()
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            result["response"] = send()
            result["wrote"] = fingerprint() != before
            raise Rollback
    except Rollback:
        pass
    return result["response"], result["wrote"]
