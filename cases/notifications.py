"""Seller notifications: written as rows in the caller's transaction (an outbox) and sent
by a task after commit, so a rolled-back decision never notifies anyone."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Notification, ReasonCode, ReviewCase


def _texts(
    case: ReviewCase, event: str, extra: str, reason_codes: Sequence[ReasonCode]
) -> tuple[str, str]:
    name = case.merchant.legal_name
    subjects = {
        "case.submitted": _("We received your application for %(name)s"),
        "case.info_requested": _("Action needed: more information for %(name)s"),
        "case.approved": _("Approved: %(name)s"),
        "case.rejected": _("Decision on your application for %(name)s"),
        "case.withdrawn": _("Application withdrawn: %(name)s"),
        "case.expired": _("Application expired: %(name)s"),
        "case.reopened": _("Your application for %(name)s is being reviewed again"),
    }
    bodies = {
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
    }
    subject = subjects.get(event, _("Update on %(name)s")) % {"name": name}
    body = bodies.get(event, _("Case %(case)s was updated.")) % {"case": case.pk}
    if reason_codes:
        body += "\n\n" + "\n".join(f"- {code.text}" for code in reason_codes)
    if extra:
        body = f"{body}\n\n{extra}"
    return subject, body


def notify_seller(
    *,
    case: ReviewCase,
    event: str,
    message: str = "",
    reason_codes: Sequence[ReasonCode] = (),
) -> Notification:
    """Queues one notification in the seller's language; `message` must be seller-visible
    text only (never internal notes)."""
    language = case.merchant.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject, body = _texts(case, event, message, reason_codes)
    recipients = sorted(
        {case.merchant.contact_email}
        | set(case.merchant.members.values_list("email", flat=True)) - {""}
    )
    notification = Notification.objects.create(
        merchant=case.merchant,
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
