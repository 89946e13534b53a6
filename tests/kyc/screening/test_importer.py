from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from kyc.models import SanctionsEntry, SanctionsList
from kyc.screening.importer import (
    SanctionsImportError,
    import_sanctions_data,
    import_sanctions_list,
    parse_sdn_csv,
    read_source,
)
from tests.kyc.screening.conftest import SMALL_LIST, require_sdn_file, sdn_file, sdn_row


def test_the_published_format_is_parsed_with_types_programs_aliases_and_details(small_file):
    entries = {e.list_id: e for e in parse_sdn_csv(small_file)}

    assert len(entries) == len(SMALL_LIST)
    assert entries["173"].entry_type == "entity"
    assert entries["173"].primary_name == "ANGLO-CARIBBEAN CO., LTD."
    assert entries["173"].remarks == ""
    assert entries["2676"].entry_type == "individual"
    assert entries["7004"].entry_type == "vessel"
    assert entries["7001"].programs == ["SDGT", "IRGC"]
    assert entries["306"].names == [
        {"name": "BANCO NACIONAL DE CUBA", "kind": "primary"},
        {"name": "BNC", "kind": "aka"},
    ]
    # An apostrophe inside an alias does not end it.
    assert [n["name"] for n in entries["7001"].names[1:]] == [
        "ABU-'UMAR",
        "HASAN, Muhammad Yusuf",
    ]
    assert [n["kind"] for n in entries["7002"].names] == ["primary", "fka", "nka"]
    assert entries["2676"].details["dob"] == ["19 Jun 1951"]
    assert entries["2676"].details["nationality"] == ["Egypt"]
    assert entries["7002"].details["registrations"] == [
        {"type": "Registration Number", "number": "12345", "country": "Hong Kong"}
    ]
    assert entries["7004"].details["vessel_flag"] == "Iran"


def test_a_remark_cut_by_the_publisher_keeps_its_last_alias():
    data = sdn_file([sdn_row(1, "GROUP X", None, "CYBER", "a.k.a. 'ONE'; a.k.a. 'WHOIS HACKIN")])
    (entry,) = parse_sdn_csv(data)
    assert [n["name"] for n in entry.names] == ["GROUP X", "ONE", "WHOIS HACKIN"]


def test_an_import_creates_the_active_version_with_counts_hash_and_one_audit_event(db, small_file):
    result = import_sanctions_data(data=small_file, label="small.csv")

    lst = result.sanctions_list
    assert result.changed and lst.is_active
    assert (
        lst.entry_count
        == len(SMALL_LIST)
        == SanctionsEntry.objects.filter(sanctions_list=lst).count()
    )
    assert result.alias_count == 5
    assert lst.name_count == len(SMALL_LIST) + 5
    assert len(lst.sha256) == 64
    entry = SanctionsEntry.objects.get(sanctions_list=lst, list_id="7001")
    assert entry.names[0] == {"name": "HASSAN, Mohamed Yousef", "kind": "primary"}
    (event,) = AuditEvent.objects.filter(action="sanctions.imported")
    assert event.after["entries"] == len(SMALL_LIST) and event.actor_type == "system"


def test_importing_the_same_file_twice_changes_nothing(db, small_file):
    first = import_sanctions_data(data=small_file, label="small.csv")
    second = import_sanctions_data(data=small_file, label="again.csv")

    assert not second.changed
    assert second.sanctions_list.pk == first.sanctions_list.pk
    assert "changes nothing" in second.summary
    assert SanctionsList.objects.count() == 1
    assert AuditEvent.objects.filter(action="sanctions.imported").count() == 1


def test_a_new_file_replaces_the_active_list_and_keeps_the_old_version(db, small_file):
    old = import_sanctions_data(data=small_file, label="v1").sanctions_list
    new = import_sanctions_data(data=sdn_file(SMALL_LIST[:3]), label="v2").sanctions_list

    old.refresh_from_db()
    assert new.is_active and not old.is_active
    assert SanctionsEntry.objects.filter(sanctions_list=old).count() == len(SMALL_LIST)
    assert SanctionsEntry.objects.filter(sanctions_list=new).count() == 3


GOOD = sdn_row(1, "GOOD NAME LTD", None, "SDGT")
MALFORMED = {
    "wrong column count": (sdn_file([GOOD, '2,"SHORT",-0- ,"SDGT"']), "line 2", "columns"),
    "non-numeric id": (sdn_file([GOOD, sdn_row("12a", "X", None)]), "line 2", "not a number"),
    "duplicate id": (sdn_file([GOOD, sdn_row(1, "OTHER", None)]), "line 2", "appears twice"),
    "unknown type": (sdn_file([sdn_row(3, "X", "ship")]), "line 1", "unknown type"),
    "header row": (
        sdn_file(
            [
                "ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,"
                "Vess_flag,Vess_owner,Remarks",
                GOOD,
            ]
        ),
        "line 1",
        "not a number",
    ),
    "empty": (b"", "", "no entries"),
    "only the end-of-file byte": (b"\r\n\x1a", "", "no entries"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "", "binary"),
    "end-of-file byte in the middle": (b"\x1a\r\n" + sdn_file([GOOD]), "line 1", "0x1A"),
    "broken quoting": (b'1,"A"B",-0- \r\n', "line 1", "CSV"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_is_refused_and_the_previous_list_stays_active(db, small_list, case):
    data, where, what = MALFORMED[case]
    events = AuditEvent.objects.count()

    with pytest.raises(SanctionsImportError) as raised:
        import_sanctions_data(data=data, label=f"{case}.csv")

    assert where in raised.value.message and what in raised.value.message
    assert raised.value.code == "sanctions_file_invalid"
    assert list(SanctionsList.objects.filter(is_active=True)) == [small_list]
    assert SanctionsList.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_a_missing_path_is_a_clear_error(db, tmp_path):
    with pytest.raises(SanctionsImportError, match="no such file"):
        import_sanctions_list(location=tmp_path / "nope.csv")


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    """A throwaway HTTP server on the loopback interface serving tmp_path."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_list_is_imported_from_a_url(db, tmp_path, http_server, small_file):
    (tmp_path / "sdn.csv").write_bytes(small_file)

    result = import_sanctions_list(location=f"{http_server}/sdn.csv")

    assert result.changed and result.entry_count == len(SMALL_LIST)
    assert result.sanctions_list.label == f"{http_server}/sdn.csv"


def test_a_download_larger_than_the_limit_is_refused(tmp_path, http_server, small_file):
    (tmp_path / "sdn.csv").write_bytes(small_file)

    with pytest.raises(SanctionsImportError, match="more than 100"):
        read_source(f"{http_server}/sdn.csv", max_bytes=100)


def test_an_unreachable_url_is_a_clear_error(http_server):
    with pytest.raises(SanctionsImportError, match="cannot download"):
        read_source(f"{http_server}/missing.csv")


_hostile_text = st.text(
    alphabet=st.sampled_from(list("0123456789 ,\"'-;\r\n\x1a\x00aZé中.[]")) | st.characters(),
    max_size=80,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.one_of(
            _hostile_text,
            st.builds(
                lambda i, name, remarks: sdn_row(i, name, None, "SDGT", remarks),
                st.integers(min_value=-5, max_value=10**6),
                st.text(max_size=30),
                st.none() | st.text(max_size=60),
            ),
        ),
        max_size=8,
    ),
    eof=st.booleans(),
)
def test_hostile_lines_give_entries_or_the_clear_error_never_a_crash(lines, eof):
    data = "\r\n".join(lines).encode("utf-8", "surrogatepass") + (b"\r\n\x1a" if eof else b"")
    try:
        entries = parse_sdn_csv(data)
    except SanctionsImportError as exc:
        assert exc.message
        return
    assert entries and len({e.list_id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.primary_name and entry.names[0]["kind"] == "primary"


@pytest.mark.django_db
def test_the_real_sdn_list_loads_14965_entries_and_a_second_import_changes_nothing():
    path = require_sdn_file()

    result = import_sanctions_list(location=path)
    again = import_sanctions_list(location=path)

    assert result.changed and result.entry_count == 14965
    assert SanctionsEntry.objects.filter(sanctions_list=result.sanctions_list).count() == 14965
    assert not again.changed and SanctionsList.objects.count() == 1
    anglo = SanctionsEntry.objects.get(sanctions_list=result.sanctions_list, list_id="173")
    assert anglo.primary_name == "ANGLO-CARIBBEAN CO., LTD." and anglo.entry_type == "entity"
