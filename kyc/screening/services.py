"""Screening a merchant: its names and every person against the active sanctions list.

Called by cases (after a submission, on re-screening after a list reload); kyc never imports
cases. What a hit means for a case (blocking approval, dispositions, OFAC's 50% rule) is
decided there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from audit.services import audit_record
from kyc.models import (
    SanctionsEntry,
    SanctionsList,
    ScreeningMatch,
    ScreeningRun,
    ScreeningSubject,
)
from merchants.models import Merchant, Person

from .importer import active_list
from .matcher import DEFAULT_THRESHOLD, NoActiveSanctionsList, get_matcher
from .normalize import ENTITY, INDIVIDUAL

# Every hit at or above the threshold becomes a match; this only bounds a pathological name.
MAX_HITS_PER_NAME = 50

__all__ = [
    "active_list",
    "screen_merchant",
    "screening_coverage",
    "screening_subjects",
    "subject_key",
]


@dataclass(frozen=True)
class Subject:
    subject: str  # ScreeningSubject value
    name: str
    entity_type: str  # entity / individual
    person: Person | None = None


def screening_subjects(merchant: Merchant) -> list[Subject]:
    """The names screened for a merchant: legal, local-script and trading names (as an
    entity) and each person's full and local-script names (as an individual)."""
    subjects: list[Subject] = []
    seen: set[tuple[str, int | None, str]] = set()

    def add(subject: str, name: str, entity_type: str, person: Person | None = None) -> None:
        name = " ".join((name or "").split())[:500]
        key = (entity_type, person.pk if person else None, name.casefold())
        if name and key not in seen:
            seen.add(key)
            subjects.append(Subject(subject, name, entity_type, person))

    add(ScreeningSubject.LEGAL_NAME, merchant.legal_name, ENTITY)
    add(ScreeningSubject.LOCAL_NAME, merchant.local_name, ENTITY)
    add(ScreeningSubject.TRADING_NAME, merchant.trading_name, ENTITY)
    for person in merchant.people.order_by("id"):
        add(ScreeningSubject.PERSON, person.full_name, INDIVIDUAL, person)
        add(ScreeningSubject.PERSON, person.local_name, INDIVIDUAL, person)
    return subjects


def subject_key(subject: Subject) -> str:
    """How a screened name is remembered: its kind and the name, casefolded."""
    return f"{subject.entity_type}:{subject.name.casefold()}"


@dataclass(frozen=True)
class Coverage:
    """Whether the merchant's names on file now were screened against the active list."""

    is_current: bool
    unscreened: list[str]  # the names on file not covered by the last screening
    last_run: ScreeningRun | None
    list_loaded: bool


def screening_coverage(merchant: Merchant) -> Coverage:
    """Compares the names on file with the latest screening of the merchant against the
    active list (two queries, plus the people). Content, not clocks: a name screened once
    stays screened; a new or changed name is unscreened until the next run."""
    sanctions_list = active_list()
    subjects = screening_subjects(merchant)
    if sanctions_list is None:
        return Coverage(False, [s.name for s in subjects], None, False)
    run = (
        ScreeningRun.objects.filter(merchant=merchant, sanctions_list=sanctions_list)
        .order_by("-id")
        .first()
    )
    covered = set(run.names) if run is not None else set()
    unscreened = [s.name for s in subjects if subject_key(s) not in covered]
    return Coverage(run is not None and not unscreened, unscreened, run, True)


def screen_merchant(
    *,
    merchant: Merchant,
    sanctions_list: SanctionsList | None = None,
    actor: Any = None,
    threshold: int | None = None,
    case_id: int | None = None,
) -> list[ScreeningMatch]:
    """Screens the merchant's names and people against `sanctions_list` (default: the active
    OFAC SDN list) and returns the matches this run created.

    Guarantees: idempotent — a match is identified by (merchant, subject, screened name,
    listed entry), an existing one is left as it is (its disposition included), so running
    it twice creates nothing the second time; the new matches and one "screening.completed"
    audit event (with the counts, on `case_id`'s history when given) and one ScreeningRun
    naming the screened names commit together. Raises NoActiveSanctionsList (code
    `no_sanctions_list`) when no list has been imported.
    """
    if sanctions_list is None:
        sanctions_list = active_list()
        if sanctions_list is None:
            raise NoActiveSanctionsList(
                "No sanctions list has been imported: run `manage.py import_sanctions`."
            )
    matcher = get_matcher(sanctions_list)
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    subjects = screening_subjects(merchant)
    # The matching is pure CPU work on an in-memory index: done before the transaction opens.
    hits = [
        (subject, hit, hit.entry_pk)
        for subject in subjects
        for hit in matcher.match(
            subject.name, subject.entity_type, threshold=threshold, limit=MAX_HITS_PER_NAME
        )
        if hit.entry_pk is not None
    ]
    created: list[ScreeningMatch] = []
    carried = 0
    # A listed party keeps its publisher id across list versions. A hit on a party this
    # merchant already matched under an earlier version is the same hit: it moves to the new
    # entry with its disposition, and is not "new" (a list reload must not reopen cases that
    # were already worked).
    list_ids: dict[int, str] = dict(
        SanctionsEntry.objects.filter(pk__in={entry_pk for _, _, entry_pk in hits}).values_list(
            "pk", "list_id"
        )
    )
    with transaction.atomic():
        earlier = {
            (m.subject, m.screened_name, m.entry.list_id): m
            for m in ScreeningMatch.objects.select_for_update(of=("self",))
            .filter(merchant=merchant, entry__sanctions_list__source=sanctions_list.source)
            .exclude(sanctions_list=sanctions_list)
            .select_related("entry")
            .order_by("created_at", "id")
        }
        for subject, hit, entry_pk in hits:
            if ScreeningMatch.objects.filter(
                merchant=merchant,
                subject=subject.subject,
                screened_name=subject.name,
                entry_id=entry_pk,
            ).exists():
                continue
            party = list_ids.get(entry_pk) or ""
            previous = earlier.pop((subject.subject, subject.name, party), None)
            if previous is not None:
                previous.entry_id = entry_pk
                previous.sanctions_list = sanctions_list
                previous.matched_name = hit.matched_name[:500]
                previous.score = hit.score
                previous.explanation = hit.explanation
                previous.save(
                    update_fields=[
                        "entry",
                        "sanctions_list",
                        "matched_name",
                        "score",
                        "explanation",
                    ]
                )
                carried += 1
                continue
            created.append(
                ScreeningMatch.objects.create(
                    merchant=merchant,
                    subject=subject.subject,
                    screened_name=subject.name,
                    entry_id=entry_pk,
                    person=subject.person,
                    sanctions_list=sanctions_list,
                    matched_name=hit.matched_name[:500],
                    score=hit.score,
                    explanation=hit.explanation,
                )
            )
        ScreeningRun.objects.create(
            merchant=merchant,
            sanctions_list=sanctions_list,
            names=sorted({subject_key(s) for s in subjects}),
            new_matches=len(created),
        )
        audit_record(
            action="screening.completed",
            actor=actor,
            obj=merchant,
            merchant_id=merchant.pk,
            case_id=case_id,
            after={
                "sanctions_list": sanctions_list.pk,
                "threshold": threshold,
                "names_screened": len(subjects),
                "hits": len(hits),
                "new_matches": len(created),
                "carried_over_from_earlier_versions": carried,
                "new_match_ids": [m.pk for m in created],
            },
            text=(
                f"{len(subjects)} names screened against {sanctions_list.source} list "
                f"#{sanctions_list.pk}: {len(hits)} hits, {len(created)} new"
            ),
        )
    return created
