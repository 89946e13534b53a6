"""Of two simultaneous transitions on one case exactly one wins (real PostgreSQL, threads)."""

from __future__ import annotations

import pytest

from audit.chain import verify_chain
from audit.models import AuditEvent
from cases import services
from cases.models import CaseState, ReviewCase
from config.errors import Conflict
from tests.conftest import accept_documents
from tests.services import need, race


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_approve_and_reject_one_wins_one_conflicts(attempt, claimed_case, reviewer):
    need("postgres")
    accept_documents(claimed_case, reviewer)
    results = race(
        lambda: services.case_approve(actor=reviewer, case_id=claimed_case.pk),
        lambda: services.case_reject(
            actor=reviewer,
            case_id=claimed_case.pk,
            reason_codes=["requirements_not_met"],
            rationale="blurred",
        ),
    )
    winners = [r for r in results if isinstance(r, ReviewCase)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    final = ReviewCase.objects.get(pk=claimed_case.pk)
    assert final.state == winners[0].state
    decisions = AuditEvent.objects.filter(
        case_id=claimed_case.pk, action__in=["case.approved", "case.rejected"]
    )
    assert list(decisions.values_list("action", flat=True)) == [
        "case.approved" if final.state == CaseState.APPROVED else "case.rejected"
    ]
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_at_once_get_one_case_holder(
    submitted_case, reviewer, other_reviewer
):
    need("postgres")
    results = race(
        lambda: services.case_claim(actor=reviewer, case_id=submitted_case.pk),
        lambda: services.case_claim(actor=other_reviewer, case_id=submitted_case.pk),
    )
    assert sum(isinstance(r, ReviewCase) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert AuditEvent.objects.filter(case_id=submitted_case.pk, action="case.claimed").count() == 1
