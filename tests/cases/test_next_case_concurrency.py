"""Twenty reviewers pulling new cases at once (case_pull, what "next case" does once a reviewer
holds nothing) over 1,000 cases (real PostgreSQL, threads): no case is handed out twice and none
is lost."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role
from audit.chain import verify_chain
from audit.models import AuditEvent
from cases import queues
from cases.models import CaseState, Queue, ReviewCase
from cases.reference_data import load_queues
from merchants.models import Merchant
from tests.factories import make_user
from tests.services import need

REVIEWERS = 20
CASES = 1000


def _bulk_cases(n: int) -> list[int]:
    load_queues()
    queue = Queue.objects.get(code="onboarding-standard")
    now = timezone.now()
    merchants = Merchant.objects.bulk_create(
        Merchant(legal_name=f"Bulk {i} Ltd", country="CN", registration_number=f"R{i}")
        for i in range(n)
    )
    cases = ReviewCase.objects.bulk_create(
        ReviewCase(
            merchant=m,
            state=CaseState.SUBMITTED,
            queue=queue,
            risk_tier="low",
            sla_due_at=now + timedelta(minutes=i % 97),
            submitted_at=now,
        )
        for i, m in enumerate(merchants)
    )
    return [c.pk for c in cases]


@pytest.mark.django_db(transaction=True)
def test_twenty_reviewers_pulling_at_once_never_share_a_case_and_lose_none():
    need("postgres")
    case_ids = _bulk_cases(CASES)
    reviewers = [make_user(Role.REVIEWER, max_open_cases=CASES) for _ in range(REVIEWERS)]
    barrier = threading.Barrier(REVIEWERS)
    taken: list[list[int]] = [[] for _ in reviewers]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            while True:
                case = queues.case_pull(actor=reviewers[index])
                if case is None:
                    return
                taken[index].append(case.pk)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(REVIEWERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors[:3]
    handed_out = Counter(pk for per_reviewer in taken for pk in per_reviewer)
    assert [pk for pk, n in handed_out.items() if n > 1] == []  # never twice
    assert sorted(handed_out) == sorted(case_ids)  # none lost
    assert sum(1 for per_reviewer in taken if per_reviewer) > 1  # really concurrent
    assert not ReviewCase.objects.filter(pk__in=case_ids, assignee__isnull=True).exists()
    assert ReviewCase.objects.filter(pk__in=case_ids, state=CaseState.IN_REVIEW).count() == CASES
    claimed = AuditEvent.objects.filter(action="case.claimed", case_id__in=case_ids)
    assert claimed.count() == CASES
    for reviewer, per_reviewer in zip(reviewers, taken, strict=True):
        assert ReviewCase.objects.filter(assignee=reviewer).count() == len(per_reviewer)
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_next_case_skips_a_case_locked_by_another_transaction():
    need("postgres")
    first, second = _bulk_cases(2)
    reviewer = make_user(Role.REVIEWER)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                ReviewCase.objects.select_for_update().get(pk=first)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        case: Any = queues.case_pull(actor=reviewer)
        assert case is not None and case.pk == second  # did not wait for, nor take, the first
    finally:
        release.set()
        holder.join(10)
    assert ReviewCase.objects.get(pk=first).assignee is None
