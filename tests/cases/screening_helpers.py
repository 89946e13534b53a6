"""Builders for sanctions lists, entries and screening matches, written directly (the
matcher has its own tests), and a stand-in for kyc.screening's `screen_merchant`."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from kyc.models import (
    Disposition,
    SanctionsEntry,
    SanctionsList,
    ScreeningMatch,
    ScreeningRun,
    ScreeningSubject,
)
from merchants.models import Merchant, Person

_ids = itertools.count(36000)


def make_list(*, active: bool = True, source: str = "ofac_sdn") -> SanctionsList:
    if active:
        SanctionsList.objects.filter(source=source, is_active=True).update(is_active=False)
    return SanctionsList.objects.create(
        source=source, label="test-sdn.csv", sha256="0" * 64, is_active=active
    )


def make_entry(
    sanctions_list: SanctionsList,
    name: str,
    *,
    entry_type: str = "entity",
    aliases: Iterable[str] = (),
    programs: Iterable[str] = ("SDGT",),
) -> SanctionsEntry:
    names = [{"name": name, "kind": "primary"}] + [{"name": a, "kind": "aka"} for a in aliases]
    return SanctionsEntry.objects.create(
        sanctions_list=sanctions_list,
        list_id=str(next(_ids)),
        entry_type=entry_type,
        primary_name=name,
        names=names,
        programs=list(programs),
    )


def make_match(
    merchant: Merchant,
    entry: SanctionsEntry,
    *,
    person: Person | None = None,
    screened_name: str | None = None,
    score: int = 92,
    status: str = Disposition.OPEN,
) -> ScreeningMatch:
    """A hit as a screening of the merchant against `entry`'s list finds it: the screening
    (of every name on file) is recorded too, as the real one does."""
    record_screening_run(merchant, entry.sanctions_list)
    return ScreeningMatch.objects.create(
        merchant=merchant,
        person=person,
        subject=ScreeningSubject.PERSON if person else ScreeningSubject.LEGAL_NAME,
        screened_name=screened_name or (person.full_name if person else merchant.legal_name),
        sanctions_list=entry.sanctions_list,
        entry=entry,
        matched_name=entry.primary_name,
        score=score,
        explanation=f"token match on {entry.primary_name}",
        status=status,
    )


def record_screening_run(merchant: Merchant, sanctions_list: Any = None) -> ScreeningRun:
    """What the real `screen_merchant` records besides its matches: that every name on file
    was screened against the list (default: the active one, created empty if none)."""
    from kyc.screening.services import active_list, screening_subjects, subject_key

    sanctions_list = sanctions_list or active_list() or make_list()
    merchant = Merchant.objects.get(pk=merchant.pk)  # the names on file, not a stale copy
    return ScreeningRun.objects.create(
        merchant=merchant,
        sanctions_list=sanctions_list,
        names=sorted({subject_key(s) for s in screening_subjects(merchant)}),
    )


def fake_screener(
    hits: dict[str, SanctionsEntry],
) -> Callable[..., list[ScreeningMatch]]:
    """A `screen_merchant` that "matches" the merchant's legal name and its people's names
    listed in `hits`, idempotently (the real one's contract): it returns only new rows."""
    calls: list[int] = []

    def screen(
        *, merchant: Merchant, sanctions_list: Any = None, case_id: int | None = None
    ) -> list[ScreeningMatch]:
        calls.append(merchant.pk)
        record_screening_run(merchant, sanctions_list)
        new = []
        subjects: list[tuple[str, str, Person | None]] = [
            (ScreeningSubject.LEGAL_NAME, merchant.legal_name, None)
        ]
        subjects += [(ScreeningSubject.PERSON, p.full_name, p) for p in merchant.people.all()]
        for subject, name, person in subjects:
            entry = hits.get(name)
            if entry is None:
                continue
            if sanctions_list is not None and entry.sanctions_list_id != sanctions_list.pk:
                continue
            match, created = ScreeningMatch.objects.get_or_create(
                merchant=merchant,
                subject=subject,
                screened_name=name,
                entry=entry,
                defaults={
                    "person": person,
                    "sanctions_list": entry.sanctions_list,
                    "matched_name": entry.primary_name,
                    "score": 91,
                    "explanation": f"{name} ~ {entry.primary_name}",
                },
            )
            if created:
                new.append(match)
        return new

    screen.calls = calls  # type: ignore[attr-defined]
    return screen
