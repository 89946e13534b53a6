"""Four-eyes on clearing a strong screening hit: the first false-positive disposition is a
proposal, the hit stays open (and blocks approval) until a different staff member agrees; the
proposer cannot agree; the risk breakdown keeps a factor naming who cleared it."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from cases import screening, services
from cases.models import CaseState, ReviewCase
from config.errors import Conflict, NotAllowed
from kyc.models import Disposition, ScreeningMatch
from kyc.risk import merchant_risk
from tests.cases.screening_helpers import make_entry, make_list, make_match
from tests.conftest import accept_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def strong_hit(claimed_case: ReviewCase) -> ScreeningMatch:
    entry = make_entry(make_list(), "BANCO NACIONAL DE CUBA")
    return make_match(claimed_case.merchant, entry, score=100)


def _propose(case: ReviewCase, match: ScreeningMatch, actor: Any) -> ScreeningMatch:
    return screening.screening_dispose(
        actor=actor,
        case_id=case.pk,
        match_id=match.pk,
        status="false_positive",
        comment="Different entity: registry number and address differ.",
    )


def test_a_100_score_hit_cleared_by_one_person_stays_open_until_a_second_agrees(
    claimed_case: ReviewCase, strong_hit: ScreeningMatch, reviewer: Any, senior: Any
) -> None:
    accept_documents(claimed_case, reviewer)
    match = _propose(claimed_case, strong_hit, reviewer)
    assert match.status == Disposition.OPEN and match.awaits_agreement
    assert match.proposed_by == reviewer and match.disposed_by is None
    # An open hit is a 409 among the approval preconditions (cases.readiness).
    with pytest.raises(Conflict) as refused:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert refused.value.code == "screening_hits_open"
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == CaseState.IN_REVIEW

    agreed = screening.screening_agree(
        actor=senior, case_id=claimed_case.pk, match_id=strong_hit.pk, comment="Checked too."
    )
    assert agreed.status == Disposition.FALSE_POSITIVE
    assert (agreed.disposed_by, agreed.agreed_by) == (reviewer, senior)
    actions = list(
        AuditEvent.objects.filter(object_id=str(strong_hit.pk), action__startswith="screening.")
        .order_by("seq")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("screening.disposition_proposed", reviewer.pk),
        ("screening.disposition_agreed", senior.pk),
    ]
    case = services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert case.state == CaseState.APPROVED


def test_the_proposer_cannot_agree_to_their_own_proposal(
    claimed_case: ReviewCase, strong_hit: ScreeningMatch, reviewer: Any
) -> None:
    _propose(claimed_case, strong_hit, reviewer)
    with pytest.raises(NotAllowed) as refused:
        screening.screening_agree(actor=reviewer, case_id=claimed_case.pk, match_id=strong_hit.pk)
    assert refused.value.code == "four_eyes_same_person"
    match = ScreeningMatch.objects.get(pk=strong_hit.pk)
    assert match.status == Disposition.OPEN and match.agreed_by is None
    assert not AuditEvent.objects.filter(action="screening.disposition_agreed").exists()


def test_agreeing_without_a_proposal_is_a_conflict_and_a_seller_is_refused(
    claimed_case: ReviewCase, strong_hit: ScreeningMatch, senior: Any, seller: Any, reviewer: Any
) -> None:
    with pytest.raises(Conflict) as refused:
        screening.screening_agree(actor=senior, case_id=claimed_case.pk, match_id=strong_hit.pk)
    assert refused.value.code == "no_disposition_proposed"
    _propose(claimed_case, strong_hit, reviewer)
    with pytest.raises(NotAllowed):
        screening.screening_agree(actor=seller, case_id=claimed_case.pk, match_id=strong_hit.pk)
    assert ScreeningMatch.objects.get(pk=strong_hit.pk).status == Disposition.OPEN


def test_proposing_twice_the_same_way_changes_nothing(
    claimed_case: ReviewCase, strong_hit: ScreeningMatch, reviewer: Any
) -> None:
    _propose(claimed_case, strong_hit, reviewer)
    _propose(claimed_case, strong_hit, reviewer)
    assert AuditEvent.objects.filter(action="screening.disposition_proposed").count() == 1


def test_a_weaker_hit_is_still_cleared_by_one_person(
    claimed_case: ReviewCase, reviewer: Any, settings: Any
) -> None:
    match = make_match(claimed_case.merchant, make_entry(make_list(), "SOMEONE"), score=94)
    cleared = _propose(claimed_case, match, reviewer)
    assert cleared.status == Disposition.FALSE_POSITIVE and not cleared.awaits_agreement


def test_the_threshold_is_a_setting(claimed_case: ReviewCase, reviewer: Any, settings: Any) -> None:
    settings.KYC_STRONG_HIT_SCORE = 90
    match = make_match(claimed_case.merchant, make_entry(make_list(), "SOMEONE"), score=92)
    assert _propose(claimed_case, match, reviewer).awaits_agreement


def test_confirming_a_strong_hit_needs_one_person_and_replaces_the_proposal(
    claimed_case: ReviewCase, strong_hit: ScreeningMatch, reviewer: Any
) -> None:
    _propose(claimed_case, strong_hit, reviewer)
    match = screening.screening_dispose(
        actor=reviewer,
        case_id=claimed_case.pk,
        match_id=strong_hit.pk,
        status="confirmed",
        comment="Same entity after all.",
    )
    assert match.status == Disposition.CONFIRMED
    assert match.proposed_by is None and not match.awaits_agreement


def test_the_risk_breakdown_names_who_cleared_a_strong_hit(
    claimed_case: ReviewCase, strong_hit: ScreeningMatch, reviewer: Any, senior: Any
) -> None:
    _propose(claimed_case, strong_hit, reviewer)
    open_codes = [f["code"] for f in merchant_risk(claimed_case.merchant).factors]
    assert "screening_open" in open_codes
    screening.screening_agree(actor=senior, case_id=claimed_case.pk, match_id=strong_hit.pk)
    score = merchant_risk(claimed_case.merchant)
    factor = next(f for f in score.factors if f["code"] == "screening_strong_hit_cleared")
    assert factor["points"] == 25
    assert reviewer.username in factor["reason"] and senior.username in factor["reason"]
    assert "BANCO NACIONAL DE CUBA" in factor["reason"]
    assert score.tier != "low"
