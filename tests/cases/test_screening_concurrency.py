"""Races around screening on real PostgreSQL (threads, row locks): routing to EDD against a
claim, a disposition against an approval, two re-screenings of one merchant."""

from __future__ import annotations

import pytest

from audit.chain import verify_chain
from cases import screening, services
from cases.models import CaseKind, CaseState, ReviewCase
from kyc.models import Disposition, ScreeningMatch
from merchants.models import MerchantStatus
from tests.cases.screening_helpers import make_entry, make_list, make_match
from tests.conftest import accept_documents
from tests.factories import MerchantFactory
from tests.services import need, race


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_routing_to_edd_and_an_l1_claim_never_leave_an_l1_holding_an_edd_case(
    attempt, submitted_case, reviewer
):
    need("postgres")
    make_match(submitted_case.merchant, make_entry(make_list(), "LISTED"))
    results = race(
        lambda: services.case_claim(actor=reviewer, case_id=submitted_case.pk),
        lambda: screening.case_score(case_id=submitted_case.pk),
    )
    assert not any(isinstance(r, Exception) and not hasattr(r, "code") for r in results), results
    case = ReviewCase.objects.get(pk=submitted_case.pk)
    assert (case.state, case.assignee_id, case.requires_four_eyes) == (CaseState.EDD, None, True)
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_an_approval_racing_a_disposition_never_approves_over_an_open_hit(
    attempt, claimed_case, reviewer
):
    need("postgres")
    accept_documents(claimed_case, reviewer)
    match = make_match(claimed_case.merchant, make_entry(make_list(), "LISTED"))
    results = race(
        lambda: services.case_approve(actor=reviewer, case_id=claimed_case.pk),
        lambda: screening.screening_dispose(
            actor=reviewer,
            case_id=claimed_case.pk,
            match_id=match.pk,
            status="false_positive",
            comment="Different entity.",
        ),
    )
    assert isinstance(results[1], ScreeningMatch), results
    case = ReviewCase.objects.get(pk=claimed_case.pk)
    if case.state == CaseState.APPROVED:
        assert ScreeningMatch.objects.get(pk=match.pk).status == Disposition.FALSE_POSITIVE
    else:
        assert getattr(results[0], "code", None) == "screening_hits_open"
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_two_rescreenings_of_one_merchant_open_one_case(reference):
    need("postgres")
    merchant = MerchantFactory(status=MerchantStatus.ACTIVE)
    entry = make_entry(make_list(), "LISTED")
    match = make_match(merchant, entry)
    results = race(
        lambda: screening.case_open_by_screening(merchant_id=merchant.pk, match_ids=[match.pk]),
        lambda: screening.case_open_by_screening(merchant_id=merchant.pk, match_ids=[match.pk]),
    )
    assert all(isinstance(r, ReviewCase) for r in results), results
    assert results[0].pk == results[1].pk
    assert ReviewCase.objects.filter(merchant=merchant, kind=CaseKind.REVERIFICATION).count() == 1
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_recording_hits_on_a_case_while_it_is_approved_does_not_deadlock(
    attempt, claimed_case, reviewer
):
    need("postgres")
    accept_documents(claimed_case, reviewer)
    # Disposed already, so the approval goes through and updates the merchant row while the
    # re-screening holds (then releases) its merchant lock and records the hit on the case.
    match = make_match(
        claimed_case.merchant, make_entry(make_list(), "LISTED"), status="false_positive"
    )
    results = race(
        lambda: services.case_approve(actor=reviewer, case_id=claimed_case.pk),
        lambda: screening.case_open_by_screening(
            merchant_id=claimed_case.merchant_id, match_ids=[match.pk]
        ),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == CaseState.APPROVED
    assert verify_chain().ok
