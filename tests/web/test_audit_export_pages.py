"""The audit export page: who may see it, the form's errors, the streamed download."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.audit.test_export import T0, read_csv, read_jsonl, write

URL = "/audit/export/"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def events(db: Any) -> list[AuditEvent]:
    return [write(c, T0.replace(hour=i)) for i, c in enumerate([12, 13, 12])]


def _body(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_the_url_name_is_audit_export():
    assert reverse("audit:export") == URL


@pytest.mark.parametrize(("who", "status"), [("seller", 404), ("reviewer", 403), ("senior", 403)])
def test_the_page_is_403_for_other_staff_and_404_for_sellers(request, events, who, status):
    client = _client(request.getfixturevalue(who))
    assert client.get(URL).status_code == status
    assert client.get(URL, {"case": "12"}).status_code == status
    assert client.post(URL, {"case": "12", "format": "csv"}).status_code == status
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_anonymous_users_are_sent_to_sign_in(events):
    response = Client().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_sees_the_form_with_case_and_period(events, admin_user):
    response = _client(admin_user).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="case"' in html and 'name="since"' in html and 'name="until"' in html


def test_qc_lead_sees_only_the_case_field_and_period_exports_are_403(events, qc_lead):
    client = _client(qc_lead)
    html = client.get(URL).content.decode()
    assert 'name="case"' in html and 'name="since"' not in html
    assert client.get(URL, {"since": "2026-03-01"}).status_code == 403
    assert client.post(URL, {"since": "2026-03-01", "format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_qc_lead_downloads_a_case_by_query_string(events, qc_lead):
    response = _client(qc_lead).get(URL, {"case": "12", "format": "csv"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-case-12-')
    assert disposition.endswith('Z.csv"')
    rows = read_csv(_body(response))
    assert [r["seq"] for r in rows] == ["1", "3"]
    recorded = AuditEvent.objects.get(action="audit.exported")
    assert recorded.actor_id == qc_lead.pk
    assert response["X-Audit-Verification"].startswith("ok; events=2; checked=3; segment=1-3; ")
    assert response["X-Audit-Verification"].endswith(f"; export-event={recorded.seq}")


def test_the_verification_button_downloads_the_csvs_verification_as_json(events, admin_user):
    response = _client(admin_user).post(
        URL, {"case": "12", "format": "csv", "part": "verification"}
    )
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('Z.csv.verification.json"')
    document = json.loads(_body(response))
    assert document["verification"]["ok"] is True and document["events"] == 2
    assert document["filter"] == {"case": 12} and document["part"] == "verification"
    assert response["X-Audit-Verification"].startswith("ok; events=2; ")


def test_the_page_has_the_verification_button_and_says_the_csv_is_plain(events, admin_user):
    html = _client(admin_user).get(URL).content.decode()
    assert 'name="part" value="verification"' in html
    assert "The CSV is a plain table with a header row" in html
    assert "starts with the verification" not in html


def test_admin_submits_a_period_and_downloads_jsonl(events, admin_user):
    response = _client(admin_user).post(
        URL, {"since": "2026-03-01", "until": "2026-03-02", "format": "jsonl"}
    )
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert 'filename="audit-2026-03-01-to-2026-03-02-' in response["Content-Disposition"]
    meta, rows = read_jsonl(_body(response))
    assert [r["seq"] for r in rows] == [1, 2, 3]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"case": "12", "since": "2026-03-01", "format": "csv"}, "case"),
        ({"since": "2026-03-05", "until": "2026-03-01", "format": "csv"}, "until"),
        ({"since": "not-a-date", "format": "csv"}, "since"),
        ({"case": "", "format": "csv"}, "case"),
        ({"case": "999", "format": "csv"}, "case"),
    ],
)
def test_invalid_submissions_show_errors_next_to_the_field(events, admin_user, data, field):
    response = _client(admin_user).post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_errors"' in html
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
