from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kyc.models import SanctionsList
from kyc.screening.matcher import clear_matcher_cache
from tests.kyc.screening.conftest import sdn_file, sdn_row


@pytest.fixture(autouse=True)
def _fresh_matchers():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_sanctions_reports_counts_and_queues_the_rescreen(
    db, tmp_path, small_file, django_capture_on_commit_callbacks
):
    path = tmp_path / "sdn.csv"
    path.write_bytes(small_file)

    with django_capture_on_commit_callbacks() as callbacks:
        out = run("import_sanctions", str(path))

    assert "8 entries, 5 aliases" in out and "it is now the active list" in out
    assert "Re-screening of all active merchants" in out or "unavailable" in out
    assert len(callbacks) >= 1 or "unavailable" in out
    again = run("import_sanctions", str(path))
    assert "changes nothing" in again
    assert "Re-screening" not in again


def test_import_sanctions_refuses_a_malformed_file_and_keeps_the_active_list(
    db, tmp_path, small_list
):
    path = tmp_path / "bad.csv"
    path.write_bytes(sdn_file([sdn_row(1, "A", None), sdn_row(1, "B", None)]))

    with pytest.raises(CommandError) as raised:
        run("import_sanctions", str(path))

    assert "line 2: entry number 1 appears twice" in str(raised.value)
    assert "The active list is unchanged" in str(raised.value)
    assert list(SanctionsList.objects.filter(is_active=True)) == [small_list]


def test_screen_prints_hits_with_their_explanation(small_list):
    out = run("screen", "Anglo Caribbean Company Limited")
    assert "173" in out and "ANGLO-CARIBBEAN CO., LTD." in out and "legal form" in out
    assert "no match" in run("screen", "Shenzhen Lumen Trading Co., Ltd.")


def test_screen_json_gives_one_line_with_the_documented_fields(small_list):
    out = run("screen", "Aiman al Zawahri", "--type", "individual", "--json")
    (line,) = out.splitlines()
    record = json.loads(line)
    assert record["name"] == "Aiman al Zawahri"
    (match,) = record["matches"]
    assert match["list_id"] == 2676 and isinstance(match["list_id"], int)
    assert match["listed_name"] == match["matched_name"] == "AL ZAWAHIRI, Dr. Ayman"
    assert 82 <= match["score"] <= 100
    assert set(match) == {"list_id", "listed_name", "matched_name", "score", "explanation"}


def test_screen_input_writes_one_json_line_per_query_in_order(small_list, tmp_path):
    queries = tmp_path / "names.jsonl"
    queries.write_text(
        "\n".join(
            json.dumps(q, ensure_ascii=False)
            for q in [
                {"name": "Banco Nacional de Cuba", "type": "entity"},
                {"name": "Li Wei", "type": "individual"},
                {"name": "Orchid Gold Shipping Co"},
                {"name": "哈桑", "type": "individual"},
            ]
        )
        + "\n\n",
        encoding="utf-8",
    )

    lines = [json.loads(x) for x in run("screen", "--input", str(queries), "--json").splitlines()]

    assert [x["name"] for x in lines] == [
        "Banco Nacional de Cuba",
        "Li Wei",
        "Orchid Gold Shipping Co",
        "哈桑",
    ]
    assert [m["list_id"] for m in lines[0]["matches"]] == [306]
    assert lines[1]["matches"] == [] and lines[3]["matches"] == []
    assert lines[2]["matches"][0]["matched_name"] == "ORCHID GOLD SHIPPING CO"
    scores = [m["score"] for line in lines for m in line["matches"]]
    assert all(82 <= s <= 100 for s in scores)


def test_screen_input_names_the_bad_line(small_list, tmp_path):
    queries = tmp_path / "names.jsonl"
    queries.write_text('{"name": "Banco Nacional de Cuba"}\n{"type": "entity"}\n')
    with pytest.raises(CommandError, match="line 2"):
        run("screen", "--input", str(queries), "--json")


def test_screen_without_a_list_says_so(db):
    with pytest.raises(CommandError, match="No sanctions list has been imported"):
        run("screen", "Anyone")
