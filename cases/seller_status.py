"""What a seller is told about a case's state: the one place internal states become
seller-facing statuses (tipping-off).

A seller must never learn that a case went to enhanced due diligence, needs a second
(senior) approval, was screened, hit a list or was referred: any of those tells a listed or
suspicious party to walk away or hide. So the seller sees "under review" for every state in
which the platform is working the case, and "action required" when they must do something.
Every seller-facing output (seller pages, the seller's view of the API, e-mails, the
seller-visible part of webhook payloads) goes through `seller_status`; the tipping-off test
(tests/cases/test_tipping_off.py) renders them all for a case in EDD with a confirmed hit.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import CaseState


class SellerStatus(models.TextChoices):
    DRAFT = "draft", _("Not submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    ACTION_REQUIRED = "action_required", _("Action required")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


SELLER_STATUS_BY_STATE: dict[str, SellerStatus] = {
    CaseState.DRAFT: SellerStatus.DRAFT,
    CaseState.SUBMITTED: SellerStatus.UNDER_REVIEW,
    CaseState.IN_REVIEW: SellerStatus.UNDER_REVIEW,
    CaseState.EDD: SellerStatus.UNDER_REVIEW,
    CaseState.PENDING_SECOND_APPROVAL: SellerStatus.UNDER_REVIEW,
    CaseState.INFO_REQUESTED: SellerStatus.ACTION_REQUIRED,
    CaseState.APPROVED: SellerStatus.APPROVED,
    CaseState.REJECTED: SellerStatus.REJECTED,
    CaseState.WITHDRAWN: SellerStatus.WITHDRAWN,
    CaseState.EXPIRED: SellerStatus.EXPIRED,
}

# The API keeps its `state` field (one documented enum for every reader), but a seller reads
# it projected: the states that would tip them off read as the one every review passes through.
SELLER_STATE_BY_STATE: dict[str, str] = {
    CaseState.EDD: CaseState.IN_REVIEW,
    CaseState.PENDING_SECOND_APPROVAL: CaseState.IN_REVIEW,
}


def seller_status(state: str) -> SellerStatus:
    """The seller-facing status of an internal case state."""
    return SELLER_STATUS_BY_STATE[state]


def seller_state(state: str) -> str:
    """The internal state as a seller may read it in the API's `state` field."""
    return SELLER_STATE_BY_STATE.get(state, state)


def seller_states_matching(state: str) -> list[str]:
    """The internal states a seller's `state=` filter selects: the projection's preimage, so
    filtering by a hidden state finds nothing and filtering by `in_review` finds them all."""
    return [s for s in CaseState.values if seller_state(s) == state]


def seller_status_explained(state: str, *, rejection_severity: str = "") -> str:
    """One sentence telling the seller where the case stands and what to do, if anything."""
    status = seller_status(state)
    if status == SellerStatus.DRAFT:
        return str(
            _("Not submitted yet. Complete everything listed under Requirements, then submit.")
        )
    if status == SellerStatus.UNDER_REVIEW:
        return str(
            _(
                "Your application is under review. There is nothing for you to do now; we "
                "will e-mail you if we need anything or when it is decided."
            )
        )
    if status == SellerStatus.ACTION_REQUIRED:
        return str(_("The reviewer needs more information. See the request below."))
    if status == SellerStatus.APPROVED:
        return str(_("Approved."))
    if status == SellerStatus.REJECTED:
        if rejection_severity == "final":
            return str(_("Rejected. This decision is final."))
        return str(_("Rejected. Fix the problems below and apply again."))
    if status == SellerStatus.WITHDRAWN:
        return str(_("You withdrew this application."))
    return str(
        _("This application expired because the requested information did not arrive in time.")
    )
