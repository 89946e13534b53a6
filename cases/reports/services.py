"""Write use-cases for PDF review reports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from accounts.roles import Role, has_role, is_staff_member
from audit.services import audit_record
from config.errors import InvalidInput, NotAllowed, NotFound
from merchants.models import Capability

from ..models import ReportTrigger, ReviewCase, ReviewReport

REPORT_LANGUAGES = ("en", "zh-hans")


def report_request(
    *,
    case: ReviewCase,
    trigger: str,
    actor: Any = None,
    capability: Capability | None = None,
    language: str | None = None,
) -> ReviewReport:
    """Requests the next version of the case's report inside the caller's transaction and
    builds it by a task after commit.

    Guarantees: versions of one case are numbered 1, 2, 3… without reuse (the caller holds
    the case row lock; the unique constraint catches anyone who does not); nothing is built
    if the decision rolls back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("report_request must run inside the decision's transaction")
    if trigger not in ReportTrigger.values:
        raise ValueError(f"unknown report trigger {trigger!r}")
    last = ReviewReport.objects.filter(case_id=case.pk).aggregate(v=Max("version"))["v"] or 0
    report = ReviewReport.objects.create(
        case_id=case.pk,
        version=last + 1,
        trigger=trigger,
        capability=capability,
        language=language or settings.KYC_REPORT_LANGUAGE,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    from ..tasks import build_report_task

    build_report_task.delay_on_commit(report.pk)
    return report


# Who may read reports: the staff who can see the case. Sellers never see them (the report
# holds internal notes, screening and QC outcomes).
READER_ROLES = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.QC_LEAD, Role.COMPLIANCE_ADMIN)
# Who may ask for a rebuild (a new version): not the L1 reviewer who decided.
REBUILD_ROLES = (Role.SENIOR_REVIEWER, Role.QC_LEAD, Role.COMPLIANCE_ADMIN)


def report_can_read(actor: Any) -> bool:
    return has_role(actor, *READER_ROLES)


def report_can_rebuild(actor: Any) -> bool:
    return has_role(actor, *REBUILD_ROLES)


def report_list(*, actor: Any, case_id: int) -> list[ReviewReport]:
    """The case's report versions, newest first (404 for anyone who may not read them)."""
    if not report_can_read(actor):
        raise NotFound("Case not found.")
    if not ReviewCase.objects.filter(pk=case_id).exists():
        raise NotFound("Case not found.")
    return list(
        ReviewReport.objects.filter(case_id=case_id)
        .select_related("requested_by", "capability__category", "capability__brand")
        .order_by("-version")
    )


def report_get(*, actor: Any, report_id: int) -> ReviewReport:
    """One report version for a reader; 404 for anyone else or an unknown id."""
    if not report_can_read(actor):
        raise NotFound("Report not found.")
    report = (
        ReviewReport.objects.select_related("case", "requested_by").filter(pk=report_id).first()
    )
    if report is None:
        raise NotFound("Report not found.")
    return report


def report_record_download(*, actor: Any, report: ReviewReport) -> None:
    """Each download of a report is one `report.downloaded` audit event, written before the
    bytes are served."""
    with transaction.atomic():
        audit_record(
            action="report.downloaded",
            actor=actor,
            obj=report,
            case_id=report.case_id,
            merchant_id=report.case.merchant_id,
            after={"version": report.version, "sha256": report.sha256, "key": report.key},
        )


@transaction.atomic
def report_rebuild(*, actor: Any, case_id: int, language: str | None = None) -> ReviewReport:
    """Requests a new version of a case's report (trigger `rebuild`): earlier versions, their
    rows and their objects stay as they are. Senior reviewers, QC leads and compliance admins
    (or the system, actor None, from the build_report command)."""
    if actor is not None and not is_staff_member(actor):
        raise NotFound("Case not found.")
    case = ReviewCase.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise NotFound("Case not found.")
    if actor is not None and not report_can_rebuild(actor):
        raise NotAllowed(
            "Only senior reviewers, QC leads and compliance admins rebuild review reports."
        )
    if language is not None and language not in REPORT_LANGUAGES:
        raise InvalidInput(
            "Choose en or zh-hans.", fields={"language": [f"One of {', '.join(REPORT_LANGUAGES)}."]}
        )
    report = report_request(
        case=case, trigger=ReportTrigger.REBUILD, actor=actor, language=language
    )
    audit_record(
        action="report.rebuild_requested",
        actor=actor,
        obj=report,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        after={"version": report.version, "language": report.language},
    )
    return report
