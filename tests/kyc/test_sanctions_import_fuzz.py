"""Hostile sanctions files through the whole import, database included: a mutated OFAC SDN
file either becomes the active list, complete, or is refused with the importer's own error
naming the line; never another exception, and never a half-imported list: on refusal the
list in force stays in force, with no new version, no entries and no audit event."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from kyc.models import SanctionsEntry, SanctionsList
from kyc.screening.importer import SanctionsImportError, active_list, import_sanctions_data
from tests.kyc.screening.conftest import SMALL_LIST, sdn_file, sdn_row

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=5000,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

cell_text = st.text(
    alphabet=st.sampled_from(list("AZaz09 ,\"'-;.[]\r\n\x1aé中")) | st.characters(),
    max_size=40,
)


@st.composite
def mutated_file(draw: st.DrawFn) -> bytes:
    """The small valid file, with rows dropped, duplicated, swapped for hostile ones, cells
    changed, bytes flipped or the tail cut."""
    rows = list(SMALL_LIST)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, max(0, len(rows) - 1)))
        action = draw(st.sampled_from(["drop", "dup", "hostile", "row", "cell"]))
        if action == "drop" and rows:
            del rows[at]
        elif action == "dup" and rows:
            rows.insert(at, rows[at])
        elif action == "hostile":
            rows.insert(at, draw(cell_text))
        elif action == "row":
            rows.insert(
                at,
                sdn_row(
                    draw(st.one_of(st.integers(-5, 10**12), cell_text)),
                    draw(cell_text),
                    draw(st.one_of(st.none(), st.sampled_from(["individual", "vessel", "x"]))),
                    draw(cell_text),
                    draw(st.one_of(st.none(), cell_text)),
                ),
            )
        elif rows:
            cells = rows[at].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(cell_text)
            rows[at] = ",".join(cells)
    eof = "\r\n\x1a" if draw(st.booleans()) else ""  # the publisher's last line, or none
    encoding = draw(st.sampled_from(["utf-8", "cp1252"]))
    data = bytearray(("\r\n".join(rows) + eof).encode(encoding, "replace"))
    for _ in range(draw(st.integers(0, 3))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@pytest.fixture
def list_in_force(db: Any) -> Any:
    return import_sanctions_data(data=sdn_file(SMALL_LIST), label="small.csv").sanctions_list


def _state() -> tuple[Any, ...]:
    return (
        SanctionsList.objects.count(),
        SanctionsEntry.objects.count(),
        AuditEvent.objects.count(),
        active_list().pk,  # type: ignore[union-attr]
    )


@FUZZ
@given(data=mutated_file())
def test_a_mutated_file_is_imported_whole_or_refused_with_its_line(list_in_force, data):
    before = _state()
    try:
        result = import_sanctions_data(data=data, label="fuzz.csv")
    except SanctionsImportError as exc:
        event("refused")
        assert exc.message
        assert exc.line is None or exc.line >= 1
        assert _state() == before  # the list in force stays in force, nothing half-written
        return
    event("imported" if result.changed else "unchanged")
    new = result.sanctions_list
    assert active_list() == new
    if result.changed:
        assert new.is_active and new.pk != before[3]
        assert SanctionsEntry.objects.filter(sanctions_list=new).count() == new.entry_count
        assert new.entry_count == result.entry_count > 0
        assert AuditEvent.objects.count() == before[2] + 1
        # Restore the small list as the one in force for the next example.
        SanctionsList.objects.filter(pk=new.pk).update(is_active=False)
        SanctionsList.objects.filter(pk=before[3]).update(is_active=True)
    else:
        assert _state() == before


@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_with_the_clear_error_or_imported(list_in_force, data):
    before = _state()
    try:
        import_sanctions_data(data=data, label="bytes.bin")
    except SanctionsImportError:
        assert _state() == before
