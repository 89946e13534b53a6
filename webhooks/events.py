"""The event types a subscription can ask for. Plain strings: this app sits below cases and
merchants, which emit them (tests/webhooks check the list against their state choices)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TEST_EVENT = "webhook.test"

EVENT_TYPES: dict[str, Promise] = {
    "case.submitted": _("A case was submitted for review."),
    "case.in_review": _("A reviewer took the case."),
    "case.info_requested": _("The reviewer asked the seller for information."),
    "case.edd": _("The case went to enhanced due diligence."),
    "case.pending_second_approval": _("The maker approved; a second approval is needed."),
    "case.approved": _("The case was approved."),
    "case.rejected": _("The case was rejected."),
    "case.withdrawn": _("The seller withdrew the case."),
    "case.expired": _("The RFI deadline passed without an answer."),
    "case.draft": _("A decided case was reopened, or an RFI case went back to draft."),
    "capability.pending": _("A capability awaits review."),
    "capability.active": _("A capability became active."),
    "capability.inactive": _("A capability became inactive (rejected, expired, withdrawn)."),
    "capability.unrequested": _("A pending capability was dropped (its case was withdrawn)."),
    TEST_EVENT: _("A test event sent from the webhooks page."),
}


def event_type_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in EVENT_TYPES]
