"""GET /api/v1/audit/export/ and /api/v1/audit/verify/."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import StreamingHttpResponse

from audit.models import AuditEvent
from tests.audit.test_chain import _raw
from tests.audit.test_export import T0, read_csv, read_jsonl, write

EXPORT = "/api/v1/audit/export/"
VERIFY = "/api/v1/audit/verify/"


@pytest.fixture
def events(db: Any) -> list[AuditEvent]:
    return [write(c, T0.replace(hour=i)) for i, c in enumerate([12, 13, 12])]


def _body(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("seller", 404, "not_found"), ("reviewer", 403, "forbidden"), ("senior", 403, "forbidden")],
)
def test_export_is_refused_in_the_api_shape_for_other_roles(
    request, client_for, events, who, status, code
):
    # Other staff are refused (403); sellers are not told the audit API exists (404).
    client = client_for(request.getfixturevalue(who))
    response = client.get(EXPORT, {"case": 12})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert client.get(VERIFY).status_code == status
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_qc_lead_exports_a_case_but_not_a_period(client_for, qc_lead, events):
    client = client_for(qc_lead)
    response = client.get(EXPORT, {"case": 12, "format": "jsonl"})
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    meta, rows = read_jsonl(_body(response))
    assert [r["seq"] for r in rows] == [1, 3]
    assert client.get(EXPORT, {"since": "2026-03-01"}).status_code == 403
    assert client.get(VERIFY).status_code == 403


def test_admin_exports_a_period_as_csv(client_for, admin_user, events):
    response = client_for(admin_user).get(
        EXPORT, {"since": "2026-03-01T01:00:00Z", "until": "2026-03-02", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-2026-03-01')
    rows = read_csv(_body(response))
    assert [r["seq"] for r in rows] == ["2", "3"]
    recorded = AuditEvent.objects.get(action="audit.exported")
    assert recorded.actor_id == admin_user.pk
    assert response["X-Audit-Verification"] == (
        f"ok; events=2; checked=2; segment=2-3; head-seq=3; head-hash={events[-1].hash}; "
        f"export-event={recorded.seq}"
    )


def test_the_verification_part_is_the_csvs_sidecar(client_for, admin_user, events):
    response = client_for(admin_user).get(EXPORT, {"case": 12, "part": "verification"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(_body(response))
    assert document["record"] == "export" and document["format"] == "csv"
    assert document["exported_by"] == f"{admin_user.username} (compliance_admin)"
    assert document["verification"] == {
        "ok": True,
        "scope": "segment",
        "checked": 3,
        "seq_range": [1, 3],
        "problem": None,
    }


def test_a_broken_segment_says_so_in_the_header_of_the_csv(client_for, admin_user, events):
    _raw("UPDATE audit_auditevent SET text = %s WHERE id = %s", ["forged", events[2].pk])
    response = client_for(admin_user).get(EXPORT, {"case": 12})
    assert response.status_code == 200
    assert response["X-Audit-Verification"].startswith("broken; events=2; checked=2; ")
    assert "; problem-seq=3; " in response["X-Audit-Verification"]
    assert [r["seq"] for r in read_csv(_body(response))] == ["1", "3"]


def test_export_through_an_api_token_records_the_token(token_for, admin_user, events):
    client, token = token_for(admin_user)
    response = client.get(EXPORT, {"case": 13})
    assert response.status_code == 200
    _body(response)
    assert AuditEvent.objects.get(action="audit.exported").actor_type == "api_token"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"case": 12, "since": "2026-03-01"}, "case"),
        ({}, "case"),
        ({"case": "x"}, "case"),
        ({"since": "2026-03-05", "until": "2026-03-01"}, "until"),
        ({"since": "bad"}, "since"),
        ({"case": 12, "format": "xml"}, "format"),
        ({"case": 12, "part": "all"}, "part"),
    ],
)
def test_bad_parameters_are_400_with_fields(client_for, admin_user, events, params, field):
    response = client_for(admin_user).get(EXPORT, params)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and field in body["fields"]
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_unknown_case_is_404(client_for, admin_user, events):
    response = client_for(admin_user).get(EXPORT, {"case": 999})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_verify_reports_ok_then_the_edited_event(client_for, admin_user, events):
    client = client_for(admin_user)
    body = client.get(VERIFY).json()
    assert body["ok"] is True and body["checked"] == 3 and body["problem"] is None
    assert isinstance(body["elapsed_s"], float)
    _raw("UPDATE audit_auditevent SET text = %s WHERE id = %s", ["forged", events[1].pk])
    body = client.get(VERIFY).json()
    assert body["ok"] is False and body["checked"] == 1
    assert body["problem"]["seq"] == 2 and body["problem"]["event_id"] == events[1].pk
    assert "edited" in body["problem"]["message"]


def test_the_schema_documents_both_operations(client_for, admin_user):
    schema = client_for(admin_user).get("/api/v1/schema/?format=json").json()
    export = schema["paths"]["/api/v1/audit/export/"]["get"]
    assert {p["name"] for p in export["parameters"]} >= {"case", "since", "until", "format"}
    assert {"text/csv", "application/x-ndjson"} <= set(export["responses"]["200"]["content"])
    assert "/api/v1/audit/verify/" in schema["paths"]
