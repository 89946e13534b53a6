"""Seller notifications: written as rows in the caller's transaction (an outbox) and sent
by a task after commit, so a rolled-back decision never notifies anyone.

What a seller e-mail may contain is decided here, and only here: the event's own text in the
seller's language, the seller-visible reason codes, and the facts passed in `details`
(document types, dates, capability labels). Internal comments, rationales, QC findings and
screening details are never passed in, and no event text refers to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from config.i18n import localized
from merchants.models import Merchant

from .models import Notification, ReasonCode, ReviewCase

# Every event a seller may be told about (the tests render each one).
SELLER_EVENTS = (
    "case.submitted",
    "case.info_requested",
    "case.approved",
    "case.rejected",
    "case.withdrawn",
    "case.expired",
    "case.reopened",
    "document.expiring",
    "capabilities.disabled",
    "periodic_review.opened",
    "change_of_details.opened",
)


def _subjects() -> dict[str, str]:
    return {
        "case.submitted": _("We received your application for %(name)s"),
        "case.info_requested": _("Action needed: more information for %(name)s"),
        "case.approved": _("Approved: %(name)s"),
        "case.rejected": _("Decision on your application for %(name)s"),
        "case.withdrawn": _("Application withdrawn: %(name)s"),
        "case.expired": _("Application expired: %(name)s"),
        "case.reopened": _("Your application for %(name)s is being reviewed again"),
        "document.expiring": _("Action needed: documents of %(name)s are expiring"),
        "capabilities.disabled": _("Paused: some capabilities of %(name)s"),
        "periodic_review.opened": _("Periodic review of %(name)s"),
        "change_of_details.opened": _("We are reviewing the changes to %(name)s"),
    }


def _bodies() -> dict[str, str]:
    return {
        "case.submitted": _("Your application (case %(case)s) is in the review queue."),
        "case.info_requested": _(
            "A reviewer needs more information on case %(case)s. Sign in to see every item to fix."
        ),
        "case.approved": _("Case %(case)s was approved."),
        "case.rejected": _("Case %(case)s was rejected. Sign in to see the reasons."),
        "case.withdrawn": _("Case %(case)s was withdrawn."),
        "case.expired": _(
            "Case %(case)s expired because the requested information did not arrive in time."
        ),
        "case.reopened": _("Case %(case)s was reopened for another review."),
        "document.expiring": _(
            "These documents expire soon. Upload a renewed version of each (on the document, "
            "choose “Replace”), then submit re-verification case %(case)s. What you may do "
            "now stays active until the date shown, as long as the renewal is being reviewed."
        ),
        "capabilities.disabled": _(
            "These capabilities are paused because a document they depend on has expired. "
            "Upload a renewed document and submit case %(case)s to have them reviewed again."
        ),
        "periodic_review.opened": _(
            "It is time for the periodic review of your merchant profile (case %(case)s). Sign "
            "in, check that your company details, people, owners and bank details are still "
            "correct, update what changed, replace any expired document, then submit the case."
        ),
        "change_of_details.opened": _(
            "You changed details that we must verify again (case %(case)s). A reviewer will "
            "look at the changes and may ask for documents. You can keep selling meanwhile."
        ),
    }


def _detail_lines(event: str, details: Mapping[str, Any]) -> list[str]:
    """The facts of an event in the active language: one line each."""
    lines: list[str] = []
    for doc in details.get("documents", ()):
        name = localized(doc.get("type_en", ""), doc.get("type_zh", ""))
        if doc.get("person"):
            name = f"{name} ({doc['person']})"
        if event == "document.expiring":
            line = _("%(document)s: expires on %(date)s; upload the renewal by %(deadline)s") % {
                "document": name,
                "date": doc.get("expiry_date", ""),
                "deadline": doc.get("renewal_deadline", doc.get("expiry_date", "")),
            }
        else:
            line = _("%(document)s: expired on %(date)s") % {
                "document": name,
                "date": doc.get("expiry_date", ""),
            }
        lines.append(f"- {line}")
    for capability in details.get("capabilities", ()):
        label = localized(capability.get("label_en", ""), capability.get("label_zh", ""))
        lines.append("- " + _("Paused: %(capability)s") % {"capability": label})
    for change in details.get("changes", ()):
        lines.append("- " + str(change_label(change)))
    return lines


def change_label(change: Mapping[str, Any]) -> str:
    """A seller-readable line for one recorded change of details (no values: e-mail is not
    the place for bank account numbers)."""
    field = change.get("field", "")
    person = change.get("person", "")
    labels = {
        "legal_name": _("Legal name"),
        "registration_number": _("Registration number"),
        "bank_account_holder": _("Bank account holder"),
        "bank_name": _("Bank"),
        "bank_country": _("Bank country"),
        "bank_account_number": _("Bank account number"),
        "bank_swift": _("SWIFT / BIC"),
        "person.added": _("Person added: %(person)s"),
        "person.removed": _("Person removed: %(person)s"),
        "ownership_percent": _("Ownership of %(person)s"),
        "is_beneficial_owner": _("Beneficial owner status of %(person)s"),
        "control_type": _("Control exercised by %(person)s"),
        "full_name": _("Name of %(person)s"),
        "local_name": _("Local-script name of %(person)s"),
    }
    text = labels.get(field, field)
    return text % {"person": person} if "%(person)s" in text else text


def _texts(
    merchant: Merchant,
    case: ReviewCase | None,
    event: str,
    extra: str,
    reason_codes: Sequence[ReasonCode],
    details: Mapping[str, Any],
) -> tuple[str, str]:
    name = merchant.legal_name
    case_ref: object = case.pk if case is not None else "—"
    subject = _subjects().get(event, _("Update on %(name)s")) % {"name": name}
    body = _bodies().get(event, _("Case %(case)s was updated.")) % {"case": case_ref}
    lines = _detail_lines(event, details)
    if lines:
        body += "\n\n" + "\n".join(lines)
    if reason_codes:
        body += "\n\n" + "\n".join(f"- {code.text}" for code in reason_codes)
    if extra:
        body = f"{body}\n\n{extra}"
    return subject, body


def notify_seller(
    *,
    case: ReviewCase | None = None,
    event: str,
    message: str = "",
    reason_codes: Sequence[ReasonCode] = (),
    merchant: Merchant | None = None,
    details: Mapping[str, Any] | None = None,
) -> Notification:
    """Queues one notification in the seller's language; `message` must be seller-visible
    text only (never internal notes). `details` carries the event's facts as plain values
    (see `_detail_lines`); they are rendered in the seller's language."""
    if merchant is None:
        if case is None:
            raise ValueError("notify_seller needs a case or a merchant")
        merchant = case.merchant
    language = merchant.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject, body = _texts(merchant, case, event, message, reason_codes, details or {})
    emails = {merchant.contact_email, *merchant.members.values_list("email", flat=True)}
    recipients = sorted(emails - {""})
    notification = Notification.objects.create(
        merchant=merchant,
        case=case,
        event=event,
        language=language,
        recipients=recipients,
        subject=subject,
        body=body,
    )
    from .tasks import send_notification_task

    send_notification_task.delay_on_commit(notification.pk)
    return notification
