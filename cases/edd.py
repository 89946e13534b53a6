"""Enhanced due diligence: the checklist a case gets when it enters EDD, the senior
reviewer's work on it (status and notes per item, evidence files) and the approval rule that
every item must be worked before the maker's approval.

The checklist is created in the same transaction as the transition into EDD (a reviewer's
escalation, or the risk score routing a high tier, a PEP or a high-risk country), so a case
in EDD always has one. Evidence files go through the same hostile-upload inspection as the
sellers' documents; the row, the stored object and the audit event are one unit.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.roles import Role, has_role, is_staff_member
from audit.services import audit_record
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound, storage_write
from kyc.uploads import inspect_upload

from .models import CaseState, EddChecklistItem, EddEvidence, EddItem, ReviewCase

logger = logging.getLogger(__name__)

Status = EddChecklistItem.Status
# A worked item must say why it is satisfied, a concern or not applicable.
STATUSES_NEEDING_NOTES = frozenset({Status.SATISFIED, Status.CONCERN, Status.NOT_APPLICABLE})
DESCRIPTION_MAX = 300


# --------------------------------------------------------------------------- checklist


def edd_checklist_ensure(case: ReviewCase) -> int:
    """Gives the case one open item per EddItem; items it already has are left as they are,
    so calling it again (a second escalation, a rescoring) changes nothing. Runs inside the
    transaction of the transition into EDD, with the case row locked. Returns how many
    items it created."""
    existing = set(EddChecklistItem.objects.filter(case=case).values_list("item", flat=True))
    missing = [
        EddChecklistItem(case=case, item=code) for code in EddItem.values if code not in existing
    ]
    if missing:
        # The unique (case, item) constraint makes a concurrent twin a no-op, not an error.
        EddChecklistItem.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def edd_checklist(*, case_id: int) -> QuerySet[EddChecklistItem]:
    """The case's checklist with its evidence and the people involved, in two queries."""
    return (
        EddChecklistItem.objects.filter(case_id=case_id)
        .select_related("completed_by")
        .prefetch_related(
            Prefetch("evidence", queryset=EddEvidence.objects.select_related("uploaded_by"))
        )
        .order_by("id")
    )


def edd_open_items(case: ReviewCase) -> list[str]:
    return list(
        EddChecklistItem.objects.filter(case=case, status=Status.OPEN)
        .order_by("id")
        .values_list("item", flat=True)
    )


def edd_can_edit(*, actor: Any, case: ReviewCase) -> bool:
    """Only the senior reviewer holding the case works its checklist, and only in EDD."""
    return (
        case.state == CaseState.EDD
        and case.assignee_id == getattr(actor, "pk", None)
        and has_role(actor, Role.SENIOR_REVIEWER)
    )


def _lock_item(*, actor: Any, case_id: int, item: str) -> tuple[ReviewCase, EddChecklistItem]:
    """Locks the case and the item; 404 for a case the actor may not see or an unknown item,
    403 for anyone but the senior reviewer holding the case, 409 outside EDD."""
    from .services import _lock_case, _require_holder

    case = _lock_case(actor=actor, case_id=case_id)
    if not is_staff_member(actor):
        raise NotFound("Case not found.")
    if item not in EddItem.values:
        raise NotFound("No such EDD checklist item.")
    if not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed("Only senior reviewers work the EDD checklist.", code="senior_only")
    if case.state != CaseState.EDD:
        raise Conflict(
            f"Case {case.pk} is {case.get_state_display().lower()}; its EDD checklist cannot "
            "be changed now.",
            code="invalid_state",
            details={"state": case.state},
        )
    _require_holder(actor, case)
    edd_checklist_ensure(case)
    row = EddChecklistItem.objects.select_for_update().get(case=case, item=item)
    return case, row


def _item_snapshot(row: EddChecklistItem) -> dict[str, Any]:
    return {"item": row.item, "status": row.status, "notes": row.notes}


@transaction.atomic
def edd_item_update(
    *, actor: Any, case_id: int, item: str, status: str, notes: str = ""
) -> EddChecklistItem:
    """Records the senior reviewer's finding on one checklist item: satisfied, concern or
    not applicable need notes saying why; back to open clears who completed it. One
    "edd.item_updated" event with before and after; nothing is written when nothing
    changes."""
    case, row = _lock_item(actor=actor, case_id=case_id, item=item)
    if status not in Status.values:
        raise InvalidInput(
            "Choose open, satisfied, concern or not applicable.",
            fields={"status": ["Choose open, satisfied, concern or not applicable."]},
        )
    notes = (notes or "").strip()
    if status in STATUSES_NEEDING_NOTES and not notes:
        raise InvalidInput(
            "Say what was checked and found.",
            code="notes_required",
            fields={"notes": ["Required."]},
        )
    before = _item_snapshot(row)
    if before == {"item": row.item, "status": status, "notes": notes}:
        return row
    row.status = status
    row.notes = notes
    if status == Status.OPEN:
        row.completed_by = None
        row.completed_at = None
    else:
        row.completed_by = actor
        row.completed_at = timezone.now()
    row.save(update_fields=["status", "notes", "completed_by", "completed_at"])
    audit_record(
        action="edd.item_updated",
        actor=actor,
        obj=row,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after=_item_snapshot(row),
        text=notes,
    )
    return row


# --------------------------------------------------------------------------- evidence


def edd_evidence_add(
    *,
    actor: Any,
    case_id: int,
    item: str,
    fileobj: IO[bytes],
    filename: str,
    size: int | None = None,
    description: str = "",
) -> EddEvidence:
    """Attaches one evidence file to a checklist item, or nothing at all.

    The file is inspected like a seller's document (type sniffed from the bytes, size limit,
    empty refused) before anything is written; it is stored under the deterministic key
    edd/case-<id>/<uuid>.<ext>. If any later step fails — the row, the audit event, the
    commit — the stored object is deleted and the transaction rolls back. A store that is
    down or refuses the write is StorageUnavailable (503): no row, no event.
    """
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            f"The description may be at most {DESCRIPTION_MAX} characters.",
            fields={"description": [f"At most {DESCRIPTION_MAX} characters."]},
        )
    stored_name: str | None = None
    evidence: EddEvidence | None = None
    try:
        with transaction.atomic():
            case, row = _lock_item(actor=actor, case_id=case_id, item=item)
            inspected = inspect_upload(fileobj, filename, size)
            evidence = EddEvidence(
                item=row,
                original_filename=inspected.safe_filename,
                sha256=inspected.sha256,
                size=inspected.size,
                content_type=inspected.content_type,
                description=description,
                uploaded_by=actor,
            )
            with storage_write("EDD evidence upload"):  # 503 storage_unavailable
                evidence.file.save("upload", File(fileobj, name="upload"), save=False)
            stored_name = evidence.file.name
            evidence.save()
            audit_record(
                action="edd.evidence_added",
                actor=actor,
                obj=evidence,
                case_id=case.pk,
                merchant_id=case.merchant_id,
                after={
                    "item": row.item,
                    "evidence": str(evidence.uuid),
                    "filename": evidence.original_filename,
                    "sha256": evidence.sha256,
                    "size": evidence.size,
                    "content_type": evidence.content_type,
                },
                text=description,
            )
    except Exception:
        if stored_name and evidence is not None:
            try:
                evidence.file.storage.delete(stored_name)
            except Exception:  # the sweeper (operations) removes what could not be deleted now
                logger.exception("could not delete orphaned EDD evidence %s", stored_name)
        raise
    return evidence


def edd_evidence_get(*, actor: Any, evidence_id: int) -> EddEvidence:
    """EDD evidence is internal to the review team: 404 for anyone else."""
    if not is_staff_member(actor):
        raise NotFound("Evidence not found.")
    evidence = EddEvidence.objects.select_related("item__case").filter(pk=evidence_id).first()
    if evidence is None:
        raise NotFound("Evidence not found.")
    return evidence


def edd_evidence_record_view(*, actor: Any, evidence: EddEvidence, disposition: str) -> None:
    """Viewing or downloading evidence is itself an audit event."""
    with transaction.atomic():
        audit_record(
            action=f"edd.evidence_{disposition}",
            actor=actor,
            obj=evidence,
            case_id=evidence.item.case_id,
            merchant_id=evidence.item.case.merchant_id,
            after={"item": evidence.item.item, "sha256": evidence.sha256},
        )
