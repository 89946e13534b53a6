"""IDOR attempts over every object endpoint by every role (issue 7).

Every URL pattern of the project that takes an object id (pages and /api/v1/) has a row in
TABLE: the method, the path with its ids filled from one world (tests/security/idor_support.py:
seller A's and seller B's merchants with people, documents, a case in review with comments of
both visibilities and an answered RFI, a screening hit, EDD evidence, a review report, QC
reviews and a dispute; a webhook subscription, event and delivery; an API token per user),
a plausible body, and the status each role gets. test_every_object_route_has_a_row fails when
a route with an id has no row, or a row leaves out a method the view answers: a new endpoint
cannot ship untested.

The refusal rule these rows pin (DESIGN.md, "404 (not found or not yours)"):

- Anonymous: 401 on the API, 302 to the sign-in page on pages.
- A seller asking for another seller's object, by any method: 404, exactly as for an id that
  does not exist (same status, same error body), never 403, never 2xx, never 500.
- Sellers (and anyone without a staff role, e.g. a role-less superuser) in a staff area: the
  review workbench pages (/review/…, even for the seller's own case), QC, audit export,
  webhooks, EDD, review reports, queues: 404; the area's existence is not confirmed.
- Staff holding some role but not the one a staff feature needs: 403 (the QC pages to a
  reviewer, webhooks to a QC lead, a period audit export or the chain verification to a QC
  lead). Staff-only objects a role may not see at all stay 404 (a reviewer asking for the QC
  review of someone else's decision). The seller portal pages are the sellers' feature: 403
  for staff.
- On the API, a role acting on a case it can see with an action its role may not take (a
  seller claiming its own case, a reviewer withdrawing it): 403; an action the state does not
  allow: 409.
- Staff features without an id (POST /api/v1/cases/next/, /api/v1/me/availability/) follow
  the same rule: 404 to sellers (tests/api/test_queues.py, tests/security/test_role_matrix.py).

Every refused request (and every GET that is not an audited file view) inserts, updates and
deletes nothing in the domain tables; each request runs in a savepoint that is rolled back,
so every row meets the same world. Text only staff may read (internal comments, rationales,
dispositions, EDD notes, QC comments and disputes) never appears in a response to a seller.

The world takes about a second to build, once per test; the table runs once per role, so the
roles spread over pytest-xdist workers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from tests.conftest import login_verified
from tests.factories import pdf_bytes
from tests.security.idor_support import (
    INTERNAL_MARKERS,
    MISSING_ID,
    ROLES,
    SELLER_VISIBLE_MARKER,
    World,
    build_world,
    replay,
)

# --------------------------------------------------------------------------- the table


class Upload:
    """A multipart body with a fresh PDF each time (an uploaded file is read once)."""

    def __init__(self, **fields: Any) -> None:
        self.fields = fields

    def build(self, params: dict[str, Any]) -> dict[str, Any]:
        from django.core.files.uploadedfile import SimpleUploadedFile

        body = {k: _fill(v, params) for k, v in self.fields.items()}
        body["file"] = SimpleUploadedFile("scan.pdf", pdf_bytes("IDOR"), "application/pdf")
        return body


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # "/api/v1/cases/{case}/claim/": {name} is a world id (idor_support.World)
    expect: tuple[int, ...]  # one status per role, in ROLES order
    body: Any = None  # dict (JSON for the API, a form for pages) or Upload
    # A GET that writes on success: viewing a document or a report is an audit event.
    audited_read: bool = False

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


_TODAY = dt.date.today().isoformat()
_SOON = (dt.date.today() + dt.timedelta(days=10)).isoformat()

# fmt: off
# ROLES: anon, seller_b (not the owner), seller_a (owner), reviewer (holds A's case), senior,
#        qc_lead, admin (compliance), superuser (no role)
TABLE: list[Row] = [
    # ---------------------------------------------------------------- API: merchants, people
    Row("GET", "/api/v1/merchants/{merchant}/", (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("PATCH", "/api/v1/merchants/{merchant}/",
        (401, 404, 200, 403, 403, 403, 403, 404), {"trading_name": "Renamed"}),
    Row("GET", "/api/v1/merchants/{merchant}/people/", (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("POST", "/api/v1/merchants/{merchant}/people/", (401, 404, 201, 403, 403, 403, 403, 404),
        {"full_name": "New Director", "is_director": True}),
    Row("GET", "/api/v1/merchants/{merchant}/people/{person}/",
        (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("PATCH", "/api/v1/merchants/{merchant}/people/{person}/",
        (401, 404, 200, 403, 403, 403, 403, 404), {"full_name": "Renamed"}),
    Row("DELETE", "/api/v1/merchants/{merchant}/people/{director}/",
        (401, 404, 204, 403, 403, 403, 403, 404)),
    Row("GET", "/api/v1/merchants/{merchant}/capabilities/",
        (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("POST", "/api/v1/merchants/{merchant}/capabilities/",
        (401, 404, 201, 403, 403, 403, 403, 404),
        {"kind": "category", "category": "food"}),
    Row("GET", "/api/v1/merchants/{merchant}/requirements/",
        (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("GET", "/api/v1/merchants/{merchant}/brands/{brand}/authorization-chain/",
        (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("PUT", "/api/v1/merchants/{merchant}/brands/{brand}/authorization-chain/",
        (401, 404, 200, 403, 403, 403, 403, 404),
        {"links": [{"grantor_name": "Idor Brand Owner",
                    "grantee_name": "Shenzhen Alpha Trading Co., Ltd.",
                    "territories": ["CN"], "valid_from": _TODAY, "valid_until": _SOON}]}),
    # ---------------------------------------------------------------- API: documents
    Row("GET", "/api/v1/merchants/{merchant}/documents/", (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("POST", "/api/v1/merchants/{merchant}/documents/", (401, 404, 201, 403, 403, 403, 403, 404),
        Upload(document_type="business_license", number="91350100M000100Y43",
               expiry_date="2031-01-01")),
    Row("GET", "/api/v1/documents/{doc}/", (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("GET", "/api/v1/documents/{doc}/file/",
        (401, 404, 200, 200, 200, 200, 200, 404), audited_read=True),
    # ---------------------------------------------------------------- API: cases
    Row("GET", "/api/v1/cases/{case}/", (401, 404, 200, 200, 200, 200, 200, 404)),
    Row("POST", "/api/v1/cases/{case}/submit/", (401, 404, 409, 403, 403, 403, 403, 404), {}),
    Row("POST", "/api/v1/cases/{case}/claim/", (401, 404, 403, 409, 409, 403, 403, 404), {}),
    Row("POST", "/api/v1/cases/{case}/release/", (401, 404, 403, 200, 403, 403, 403, 404), {}),
    Row("POST", "/api/v1/cases/{case}/request_info/",
        (401, 404, 403, 200, 403, 403, 403, 404), {"message": "Send a clearer scan."}),
    Row("POST", "/api/v1/cases/{case}/resubmit/",
        (401, 404, 409, 403, 403, 403, 403, 404), {"answer": "Here it is."}),
    Row("POST", "/api/v1/cases/{case}/escalate/",
        (401, 404, 403, 200, 403, 403, 403, 404), {"rationale": "PEP declared."}),
    # The holder passes every permission check and is refused (409) by the approval gates:
    # the seller's own rows above changed the merchant's documents and capabilities.
    Row("POST", "/api/v1/cases/{case}/approve/", (401, 404, 403, 409, 403, 403, 403, 404),
        {"reason_codes": ["approved_clean"], "rationale": "All consistent."}),
    Row("POST", "/api/v1/cases/{case}/acknowledge_changes/",
        (401, 404, 403, 409, 403, 403, 403, 404), {}),
    Row("POST", "/api/v1/cases/{case}/second_approve/",
        (401, 404, 403, 403, 409, 403, 403, 404), {"rationale": "Agreed."}),
    Row("POST", "/api/v1/cases/{case}/reject/", (401, 404, 403, 200, 403, 403, 403, 404),
        {"reason_codes": ["requirements_not_met"], "rationale": "The license expired."}),
    Row("POST", "/api/v1/cases/{case}/withdraw/", (401, 404, 409, 403, 403, 403, 403, 404), {}),
    Row("POST", "/api/v1/cases/{case}/reopen/",
        (401, 404, 403, 403, 403, 409, 409, 404), {"rationale": "QC finding."}),
    Row("POST", "/api/v1/cases/{case}/reassign/", (401, 404, 403, 403, 200, 403, 403, 404),
        {"assignee": "{reviewer_2}", "reason": "Holiday."}),
    Row("POST", "/api/v1/cases/{case}/comments/",
        (401, 404, 201, 201, 201, 201, 201, 404), {"body": "Hello.", "visibility": "seller"}),
    Row("POST", "/api/v1/cases/{case}/documents/{doc}/decision/",
        (401, 404, 403, 201, 403, 403, 403, 404), {"decision": "accept"}),
    # The holder's approval of a capability is refused while its documents are undecided.
    Row("POST", "/api/v1/cases/{case}/capabilities/{capability}/decision/",
        (401, 404, 403, 409, 403, 403, 403, 404),
        {"decision": "approve"}),
    Row("POST", "/api/v1/cases/{case}/documents/accept-clean/",
        (401, 404, 403, 200, 403, 403, 403, 404), {}),
    Row("POST", "/api/v1/cases/{case}/screening-matches/{match}/agreement/",
        (401, 404, 403, 409, 409, 403, 403, 404), {"comment": "Agreed."}),
    Row("POST", "/api/v1/cases/{case}/screening-matches/{match}/disposition/",
        (401, 404, 403, 200, 403, 403, 403, 404),
        {"disposition": "false_positive", "comment": "Different date of birth."}),
    Row("POST", "/api/v1/cases/{case}/risk-override/", (401, 404, 403, 200, 403, 403, 403, 404),
        {"risk_tier": "prohibited", "comment": "Adverse media found."}),
    Row("GET", "/api/v1/queues/{queue}/cases/", (401, 404, 404, 200, 200, 200, 200, 404)),
    # ---------------------------------------------------------------- API: EDD, reports
    Row("GET", "/api/v1/cases/{case}/edd/", (401, 404, 404, 200, 200, 200, 200, 404)),
    Row("POST", "/api/v1/cases/{case}/edd/{edd_item}/", (401, 404, 404, 403, 409, 403, 403, 404),
        {"status": "satisfied", "notes": "Bank statements."}),
    Row("POST", "/api/v1/cases/{case}/edd/{edd_item}/evidence/",
        (401, 404, 404, 403, 409, 403, 403, 404),
        Upload(description="Bank statement.")),
    Row("GET", "/api/v1/edd-evidence/{evidence}/file/",
        (401, 404, 404, 200, 200, 200, 200, 404), audited_read=True),
    Row("GET", "/api/v1/cases/{case}/reports/", (401, 404, 404, 200, 200, 200, 200, 404)),
    Row("POST", "/api/v1/cases/{case}/reports/", (401, 404, 404, 403, 202, 202, 202, 404), {}),
    Row("GET", "/api/v1/reports/{report}/file/",
        (401, 404, 404, 200, 200, 200, 200, 404), audited_read=True),
    # ---------------------------------------------------------------- API: QC
    Row("GET", "/api/v1/qc/reviews/{qc_finding}/", (401, 404, 404, 200, 404, 200, 200, 404)),
    Row("POST", "/api/v1/qc/reviews/{qc_review}/complete/",
        (401, 404, 404, 404, 404, 200, 403, 404), {"outcome": "agree"}),
    Row("POST", "/api/v1/qc/reviews/{qc_finding}/dispute/",
        (401, 404, 404, 201, 404, 403, 403, 404),
        {"reason": "The rationale was complete."}),
    Row("POST", "/api/v1/qc/disputes/{dispute}/decide/", (401, 404, 404, 403, 403, 200, 403, 404),
        {"status": "dismissed", "comment": "The finding stands."}),
    # ---------------------------------------------------------------- API: webhooks, tokens
    Row("GET", "/api/v1/webhooks/subscriptions/{subscription}/",
        (401, 404, 404, 403, 403, 403, 200, 404)),
    Row("PATCH", "/api/v1/webhooks/subscriptions/{subscription}/",
        (401, 404, 404, 403, 403, 403, 200, 404), {"name": "Renamed"}),
    Row("DELETE", "/api/v1/webhooks/subscriptions/{subscription}/",
        (401, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/api/v1/webhooks/subscriptions/{subscription}/rotate-secret/",
        (401, 404, 404, 403, 403, 403, 200, 404), {}),
    Row("POST", "/api/v1/webhooks/subscriptions/{subscription}/test/",
        (401, 404, 404, 403, 403, 403, 202, 404), {}),
    Row("GET", "/api/v1/webhooks/deliveries/{delivery}/", (401, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/api/v1/webhooks/deliveries/{delivery}/redeliver/",
        (401, 404, 404, 403, 403, 403, 202, 404), {}),
    Row("DELETE", "/api/v1/tokens/{token}/",
        (401, 404, 200, 404, 404, 404, 200, 404)),  # seller A's token
    Row("DELETE", "/api/v1/tokens/{token_admin}/",
        (401, 404, 404, 404, 404, 404, 200, 404)),  # the compliance admin's token
    # ---------------------------------------------------------------- API: ids in the query
    Row("GET", "/api/v1/audit/export/?case={case}",
        (401, 404, 404, 403, 403, 200, 200, 404), audited_read=True),
    Row("GET", "/api/v1/webhooks/deliveries/?subscription={subscription}",
        (401, 404, 404, 403, 403, 403, 200, 404)),
    # ---------------------------------------------------------------- pages: seller portal
    Row("GET", "/seller/merchants/{merchant}/", (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/", (302, 404, 200, 403, 403, 403, 403, 403), {}),
    Row("GET", "/seller/merchants/{merchant}/edit/", (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/edit/", (302, 404, 302, 403, 403, 403, 403, 403),
        {"legal_name": "Renamed Trading Co., Ltd.", "entity_type": "company", "country": "CN",
         "registration_number": "91350100M000100Y43", "business_model": "marketplace_seller",
         "expected_monthly_volume": "10000", "preferred_language": "en",
         "contact_email": "a@example.com", "bank_account_holder": "Renamed Trading"}),
    Row("GET", "/seller/merchants/{merchant}/people/add/",
        (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/people/add/",
        (302, 404, 302, 403, 403, 403, 403, 403),
        {"full_name": "New Director", "is_director": "on", "control_type": "",
         "ownership_percent": "0"}),
    Row("GET", "/seller/merchants/{merchant}/people/{person}/edit/",
        (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/people/{person}/edit/",
        (302, 404, 302, 403, 403, 403, 403, 403),
        {"full_name": "Renamed", "is_legal_representative": "on", "ownership_percent": "60",
         "is_beneficial_owner": "on"}),
    Row("GET", "/seller/merchants/{merchant}/people/{director}/remove/",
        (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/people/{director}/remove/",
        (302, 404, 302, 403, 403, 403, 403, 403), {}),
    Row("GET", "/seller/merchants/{merchant}/brands/{brand}/authorization-chain/",
        (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/brands/{brand}/authorization-chain/",
        (302, 404, 400, 403, 403, 403, 403, 403), {}),
    Row("GET", "/seller/merchants/{merchant}/apply/", (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/apply/", (302, 404, 302, 403, 403, 403, 403, 403),
        {"kind": "category", "category": "{category_food}"}),
    Row("GET", "/seller/merchants/{merchant}/documents/upload/",
        (302, 404, 200, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/merchants/{merchant}/documents/upload/",
        (302, 404, 302, 403, 403, 403, 403, 403),
        Upload(document_type="{doctype_license}", number="91350100M000100Y43",
               expiry_date="2031-01-01")),
    Row("GET", "/seller/cases/{case}/", (302, 404, 302, 403, 403, 403, 403, 403)),
    Row("POST", "/seller/cases/{case}/", (302, 404, 302, 403, 403, 403, 403, 403), {}),
    Row("POST", "/seller/cases/{case}/submit/", (302, 404, 409, 403, 403, 403, 403, 403), {}),
    Row("POST", "/seller/cases/{case}/resubmit/",
        (302, 404, 409, 403, 403, 403, 403, 403), {"answer": "Here it is."}),
    Row("POST", "/seller/cases/{case}/withdraw/", (302, 404, 409, 403, 403, 403, 403, 403), {}),
    Row("POST", "/seller/cases/{case}/comment/",
        (302, 404, 302, 403, 403, 403, 403, 403), {"body": "Hello."}),
    Row("GET", "/documents/{doc}/file/",
        (302, 404, 200, 200, 200, 200, 200, 404), audited_read=True),
    Row("GET", "/documents/{doc}/preview/",
        (302, 404, 200, 200, 200, 200, 200, 404), audited_read=True),
    # ---------------------------------------------------------------- pages: workbench
    # The case's own seller following a link to it lands on its merchant page.
    Row("GET", "/review/cases/{case}/", (302, 404, 302, 200, 200, 200, 200, 404)),
    Row("POST", "/review/cases/{case}/", (302, 404, 302, 200, 200, 200, 200, 404), {}),
    Row("POST", "/review/cases/{case}/reassign/",
        (302, 404, 404, 403, 302, 403, 403, 404), {"assignee": "{reviewer_2}"}),
    Row("POST", "/review/cases/{case}/claim/", (302, 404, 404, 409, 409, 403, 403, 404), {}),
    Row("POST", "/review/cases/{case}/release/", (302, 404, 404, 302, 403, 403, 403, 404), {}),
    Row("POST", "/review/cases/{case}/request-info/", (302, 404, 404, 302, 403, 403, 403, 404),
        {"rfi-message": "Send a clearer scan.", "rfi-deadline": _SOON}),
    Row("POST", "/review/cases/{case}/escalate/",
        (302, 404, 404, 302, 403, 403, 403, 404), {"escalate-rationale": "PEP declared."}),
    Row("POST", "/review/cases/{case}/approve/", (302, 404, 404, 409, 403, 403, 403, 404),
        {"approve-reason_codes": ["approved_clean"], "approve-rationale": "All consistent."}),
    Row("POST", "/review/cases/{case}/acknowledge-changes/",
        (302, 404, 404, 409, 403, 403, 403, 404), {}),
    Row("POST", "/review/cases/{case}/second-approve/", (302, 404, 404, 403, 409, 403, 403, 404),
        {"second-approve-rationale": "Agreed."}),
    Row("POST", "/review/cases/{case}/reject/", (302, 404, 404, 302, 403, 403, 403, 404),
        {"reject-reason_codes": ["requirements_not_met"], "reject-rationale": "Not met."}),
    Row("POST", "/review/cases/{case}/reopen/",
        (302, 404, 404, 403, 403, 409, 409, 404), {"reopen-rationale": "QC finding."}),
    Row("POST", "/review/cases/{case}/comment/", (302, 404, 404, 302, 302, 302, 302, 404),
        {"comment-body": "Note.", "comment-visibility": "internal"}),
    Row("POST", "/review/cases/{case}/decide-document/", (302, 404, 404, 302, 403, 403, 403, 404),
        {"document": "{doc}", "decision": "accept"}),
    Row("POST", "/review/cases/{case}/decide-capability/", (302, 404, 404, 409, 403, 403, 403, 404),
        {"capability": "{capability}", "decision": "approve"}),
    Row("POST", "/review/cases/{case}/accept-clean/", (302, 404, 404, 302, 403, 403, 403, 404),
        {}),
    Row("POST", "/review/cases/{case}/agree-screening/", (302, 404, 404, 409, 409, 403, 403, 404),
        {"match": "{match}", "comment": "Agreed."}),
    Row("POST", "/review/cases/{case}/dispose-screening/", (302, 404, 404, 302, 403, 403, 403, 404),
        {"match": "{match}", "status": "false_positive", "comment": "Different person."}),
    Row("POST", "/review/cases/{case}/override-risk/", (302, 404, 404, 302, 403, 403, 403, 404),
        {"override-risk-tier": "prohibited", "override-risk-comment": "Adverse media found."}),
    Row("POST", "/review/cases/{case}/edd/{edd_item}/", (302, 404, 404, 403, 409, 403, 403, 404),
        {"status": "satisfied", "notes": "Bank statements."}),
    Row("POST", "/review/cases/{case}/edd/{edd_item}/evidence/",
        (302, 404, 404, 403, 409, 403, 403, 404),
        Upload(description="Bank statement.")),
    Row("GET", "/review/edd-evidence/{evidence}/",
        (302, 404, 404, 200, 200, 200, 200, 404), audited_read=True),
    Row("GET", "/review/reports/{report}/download/",
        (302, 404, 404, 200, 200, 200, 200, 404), audited_read=True),
    Row("POST", "/review/reports/cases/{case}/rebuild/",
        (302, 404, 404, 403, 302, 302, 302, 404), {"language": "en"}),
    # ---------------------------------------------------------------- pages: QC
    Row("GET", "/qc/reviews/{qc_review}/", (302, 404, 404, 404, 404, 200, 200, 404)),
    Row("POST", "/qc/reviews/{qc_review}/",
        (302, 404, 404, 404, 404, 302, 403, 404), {"outcome": "agree"}),
    Row("POST", "/qc/reviews/{qc_finding}/dispute/", (302, 404, 404, 302, 404, 403, 403, 404),
        {"reason": "The rationale was complete."}),
    Row("POST", "/qc/disputes/{dispute}/decide/", (302, 404, 404, 403, 403, 302, 403, 404),
        {"status": "dismissed", "comment": "The finding stands."}),
    # ---------------------------------------------------------------- pages: webhooks
    Row("GET", "/webhooks/{subscription}/", (302, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/webhooks/{subscription}/", (302, 404, 404, 403, 403, 403, 302, 404),
        {"name": "Renamed", "url": "https://hooks.platform.test/kyc", "is_active": "on"}),
    Row("POST", "/webhooks/{subscription}/rotate-secret/",
        (302, 404, 404, 403, 403, 403, 200, 404), {}),
    Row("POST", "/webhooks/{subscription}/deactivate/",
        (302, 404, 404, 403, 403, 403, 302, 404), {}),
    Row("POST", "/webhooks/{subscription}/test/", (302, 404, 404, 403, 403, 403, 302, 404), {}),
    Row("GET", "/webhooks/deliveries/{delivery}/", (302, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/webhooks/deliveries/{delivery}/redeliver/",
        (302, 404, 404, 403, 403, 403, 302, 404), {}),
    Row("GET", "/webhooks/events/{event}/", (302, 404, 404, 403, 403, 403, 200, 404)),
    # ---------------------------------------------------------------- pages: compliance admin
    Row("GET", "/compliance/policy/draft/rules/{draft_rule}/",
        (302, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/compliance/policy/draft/rules/{draft_rule}/",
        (302, 404, 404, 403, 403, 403, 302, 404),
        {"code": "idor_rule", "capability_kind": "sell", "entity_type": "", "country": "",
         "category": "", "person_scope": "", "document_types": ["{doctype_license}"],
         "label_en": "IDOR rule", "label_zh": "IDOR 规则"}),
    Row("POST", "/compliance/policy/draft/rules/{draft_rule}/delete/",
        (302, 404, 404, 403, 403, 403, 302, 404), {}),
    Row("GET", "/compliance/reason-codes/{reason}/", (302, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/compliance/reason-codes/{reason}/", (302, 404, 404, 403, 403, 403, 302, 404),
        {"kind": "rejection", "severity": "retry", "text_en": "Reworded.", "text_zh": "改写。"}),
    Row("POST", "/compliance/reason-codes/{reason}/toggle/",
        (302, 404, 404, 403, 403, 403, 302, 404), {}),
    Row("GET", "/compliance/risk/countries/{risk_class}/",
        (302, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/compliance/risk/countries/{risk_class}/",
        (302, 404, 404, 403, 403, 403, 302, 404),
        {"label_en": "Embargo", "label_zh": "禁运", "points": "100", "nationality_points": "60",
         "countries": "CU IR KP"}),
    Row("GET", "/compliance/qc-sampling/{qc_rule}/", (302, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/compliance/qc-sampling/{qc_rule}/", (302, 404, 404, 403, 403, 403, 302, 404),
        {"rate_percent": "20", "min_per_reviewer_per_week": "2", "is_active": "on"}),
    Row("GET", "/compliance/users/{reviewer_2}/", (302, 404, 404, 403, 403, 403, 200, 404)),
    Row("POST", "/compliance/users/{reviewer_2}/", (302, 404, 404, 403, 403, 403, 302, 404),
        {"roles": ["reviewer", "senior_reviewer"]}),
    Row("POST", "/compliance/users/{reviewer_2}/deactivate/",
        (302, 404, 404, 403, 403, 403, 302, 404), {}),
    Row("POST", "/compliance/users/{reviewer_2}/activate/",
        (302, 404, 404, 403, 403, 403, 302, 404), {}),
    Row("POST", "/compliance/users/{reviewer_2}/reset-second-factor/",
        (302, 404, 404, 403, 403, 403, 302, 404), {}),
    # ---------------------------------------------------------------- pages: tokens, audit
    Row("POST", "/accounts/api-tokens/{token}/revoke/",
        (302, 404, 302, 404, 404, 404, 302, 404), {}),
    Row("POST", "/accounts/api-tokens/{token_admin}/revoke/",
        (302, 404, 404, 404, 404, 404, 302, 404), {}),
    Row("GET", "/audit/export/?case={case}&format=csv",
        (302, 404, 404, 403, 403, 200, 200, 404), audited_read=True),
    Row("POST", "/audit/export/",
        (302, 404, 404, 403, 403, 200, 200, 404), {"case": "{case}", "format": "csv"}),
]
# fmt: on

# Routes with an id that no row covers, and why.
EXCLUDED: dict[str, str] = {
    # The Django admin: only superusers (is_staff) reach it, and they reach every object by
    # design; everyone else is redirected to its sign-in (tests/security/test_role_matrix.py).
    "admin/": "Django admin site (superusers only; see test_role_matrix)",
    # The invitation e-mail's set-password link: public, the token in the path is the
    # credential (Django's password reset); tests/compliance/test_users_and_roles.py.
    "accounts/set-password/": "token-authenticated public page",
}


# --------------------------------------------------------------------------- helpers


def _fill(value: Any, params: dict[str, Any]) -> Any:
    """The body with "{name}" strings replaced by world ids (an id alone stays an int)."""
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    if isinstance(value, str) and "{" in value:
        if value.startswith("{") and value.endswith("}") and value[1:-1] in params:
            return params[value[1:-1]]
        return value.format(**params)
    return value


def _routes() -> Iterator[tuple[str, Any]]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    yield from walk(get_resolver().url_patterns, "")


def _has_id(route: str, pattern: URLPattern) -> bool:
    return "<" in route or bool(pattern.pattern.regex.groupindex)


def _view_methods(callback: Any) -> set[str] | None:
    """The HTTP methods a view answers: a DRF view's handlers, or the list a
    require_http_methods decorator holds; None when the view takes any method."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return {
            m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)
        }
    func = callback
    seen = set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        for cell in getattr(func, "__closure__", None) or ():
            try:
                content = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(content, list | tuple)
                and content
                and all(isinstance(m, str) and m.isupper() for m in content)
            ):
                return set(content)
        func = getattr(func, "__wrapped__", None)
    return None


def _row_route(row: Row, params: dict[str, Any]) -> str:
    path = row.path.format(**params).split("?")[0]
    return resolve(path).route


SAMPLE_PARAMS: dict[str, Any] = {
    k: 1
    for k in (
        "merchant person director doc case capability match evidence report qc_review "
        "qc_finding dispute subscription delivery event token token_admin reviewer_2 "
        "category_food doctype_license decided_case draft_rule reason qc_rule brand"
    ).split()
} | {"edd_item": "source_of_funds", "queue": "standard", "risk_class": "embargoed"}


# --------------------------------------------------------------------------- the world


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    """About a second to build; each test gets its own (a module-scoped world would not
    survive pytest-django closing the connection after each test)."""
    from tests.webhooks.conftest import PUBLIC_ADDRESS
    from webhooks import network

    monkeypatch.setattr(network, "resolve", lambda host, port: [PUBLIC_ADDRESS])
    return build_world()


@pytest.fixture
def clients(world: World) -> dict[str, tuple[Client, APIClient]]:
    """Per role: a page client and an API client, signed in (staff second-factor verified)."""
    out: dict[str, tuple[Client, APIClient]] = {}
    for role in ROLES:
        # A crash is a 500 in the list of failures, not an exception ending the sweep.
        page = Client(raise_request_exception=False)
        api = APIClient(raise_request_exception=False)
        user = world.users.get(role)
        if user is not None:
            login_verified(page, user)
            login_verified(api, user)
        out[role] = (page, api)
    return out


def _send(row: Row, clients: tuple[Client, APIClient], params: dict[str, Any]) -> Callable[[], Any]:
    """The request of `row` as `clients`' user, ready to run (and to be rolled back)."""
    page, api = clients
    path = row.path.format(**params)

    def send() -> Any:
        if isinstance(row.body, Upload):
            data = row.body.build(params)
            return api.post(path, data, format="multipart") if row.is_api else page.post(path, data)
        if row.is_api:
            if row.body is None:
                return api.generic(row.method, path)
            return api.generic(
                row.method, path, json.dumps(_fill(row.body, params)), "application/json"
            )
        if row.method == "GET":
            return page.get(path)
        return page.post(path, _fill(row.body or {}, params))

    return send


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


# --------------------------------------------------------------------------- the tests


def test_every_object_route_has_a_row() -> None:
    """A route with an id and no row (or a row set that leaves out a method the view
    answers) fails here: add the row, with what each role gets."""
    covered: dict[str, set[str]] = {}
    for row in TABLE:
        covered.setdefault(_row_route(row, SAMPLE_PARAMS), set()).add(row.method)
    missing: list[str] = []
    for route, pattern in _routes():
        if not _has_id(route, pattern) or route.startswith(tuple(EXCLUDED)):
            continue
        # A view that takes any method gets a GET and a POST row.
        methods = _view_methods(pattern.callback) or {"GET", "POST"}
        lacking = methods - covered.get(route, set())
        if lacking:
            missing.append(f"{route}: {', '.join(sorted(lacking))}")
    assert not missing, "Routes with an id and no row in TABLE:\n" + "\n".join(missing)


def test_every_row_reaches_its_object() -> None:
    """A row whose ids were filled wrongly would answer 404 to everyone and pass for the
    wrong reason: some role must get past the visibility check (2xx, 3xx that is not the
    sign-in redirect, 400 or 409)."""
    assert len({row.id for row in TABLE}) == len(TABLE), "duplicate rows"
    unreached = []
    for row in TABLE:
        assert len(row.expect) == len(ROLES), row.id
        if not any(code in (200, 201, 202, 204, 302, 400, 409) for code in row.expect[1:]):
            unreached.append(row.id)
    assert not unreached, "\n".join(unreached)


@pytest.mark.parametrize("role", ROLES)
def test_object_endpoints_as(
    role: str, world: World, clients: dict[str, tuple[Client, APIClient]]
) -> None:
    """Every row as `role`: the expected status, the refusal rule, no write on refusal and no
    staff-only text in a seller's response. All failures are listed at once."""
    params = world.params("A")
    missing = world.missing_params()
    failures = []
    for row in TABLE:
        expected = row.expect[ROLES.index(role)]
        response, wrote = replay(_send(row, clients[role], params))
        got = response.status_code
        body = _text(response)
        problems = []
        if got != expected:
            problems.append(f"got {got}, expected {expected}")
        if got >= 500:
            problems.append("server error")
        allowed_write = got < 400 and (row.method != "GET" or row.audited_read)
        if wrote and (role in ("anon", "seller_b") or not allowed_write):
            problems.append("the refused request wrote to the database")
        if role == "anon":
            login = response.get("Location", "").startswith("/accounts/login/")
            if (row.is_api and got != 401) or (not row.is_api and not (got == 302 and login)):
                problems.append("anonymous must get 401 (API) or the sign-in redirect")
        if role == "seller_b":
            if got != 404:
                problems.append("another seller's object must be 404")
            twin, _wrote = replay(_send(row, clients[role], missing))
            twin_body = _text(twin)
            if twin.status_code != got or (row.is_api and _error_of(twin_body) != _error_of(body)):
                problems.append(
                    f"tells A's object from a missing one: {got} {_error_of(body)} vs "
                    f"{twin.status_code} {_error_of(twin_body)}"
                )
        if role in ("seller_a", "seller_b"):
            problems += _leaks(role, body)
        if problems:
            failures.append(
                f"{row.method} {row.path.format(**params)} as {role}: " + "; ".join(problems)
            )
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)


# Body and query ids of the other seller, in requests the seller may make on its own objects:
# each must answer exactly as the same request naming an id that does not exist.
CROSS_REFERENCES: list[Row] = [
    Row("GET", "/documents/{doc}/file/?case={b_case}", (), audited_read=True),
    Row(
        "POST",
        "/api/v1/merchants/{merchant}/documents/",
        (),
        Upload(
            document_type="business_license",
            number="91350100M000100Y43",
            expiry_date="2031-01-01",
            supersedes="{b_doc}",
        ),
    ),
    Row(
        "POST",
        "/api/v1/merchants/{merchant}/documents/",
        (),
        Upload(
            document_type="identity_document",
            number="110101199001011234",
            expiry_date="2032-01-01",
            person="{b_person}",
        ),
    ),
    Row(
        "POST",
        "/seller/merchants/{merchant}/documents/upload/",
        (),
        Upload(
            document_type="{doctype_license}",
            number="91350100M000100Y43",
            expiry_date="2031-01-01",
            replaces="{b_doc}",
        ),
    ),
]


def test_the_other_sellers_ids_in_a_body_or_query_are_unknown_ids(
    world: World, clients: dict[str, tuple[Client, APIClient]]
) -> None:
    own = world.params("A")
    foreign = {**own, **{f"b_{k}": v for k, v in world.ids["B"].items()}}
    unknown = {**own, **{f"b_{k}": MISSING_ID for k in world.ids["B"]}}
    failures = []
    for row in CROSS_REFERENCES:
        response, wrote = replay(_send(row, clients["seller_a"], foreign))
        twin, _ = replay(_send(row, clients["seller_a"], unknown))
        body, twin_body = _text(response), _text(twin)
        if (response.status_code, _error_of(body)) != (twin.status_code, _error_of(twin_body)):
            failures.append(
                f"{row.id}: B's id {response.status_code} {_error_of(body)} vs unknown id "
                f"{twin.status_code} {_error_of(twin_body)}"
            )
        if response.status_code >= 400 and wrote:
            failures.append(f"{row.id}: the refused request wrote to the database")
        failures += [f"{row.id}: {p}" for p in _leaks("seller_a", body)]
    assert not failures, "\n".join(failures)


# The seller's own lists and pages, where internal text could slip into a response.
SELLER_READS = [
    "/seller/",
    "/seller/merchants/{merchant}/",
    "/api/v1/merchants/",
    "/api/v1/cases/",
    "/api/v1/cases/{case}/",
    "/api/v1/merchants/{merchant}/documents/",
    "/api/v1/merchants/{merchant}/requirements/",
    "/api/v1/tokens/",
]


def test_internal_notes_never_reach_the_seller(
    world: World, clients: dict[str, tuple[Client, APIClient]]
) -> None:
    params = world.params("A")
    seen = ""
    for path in SELLER_READS:
        page, api = clients["seller_a"]
        client = api if path.startswith("/api/") else page
        response = client.get(path.format(**params))
        assert response.status_code == 200, path
        text = _text(response)
        assert not _leaks("seller_a", text), (path, _leaks("seller_a", text))
        seen += text
    # The seller-visible comment is shown: the pages above do show comments.
    assert SELLER_VISIBLE_MARKER in seen
    # And the staff see the internal note on the same case (the marker is real).
    staff_page = clients["reviewer"][0].get(f"/review/cases/{params['case']}/")
    assert INTERNAL_MARKERS["internal comment"] in _text(staff_page)


def _error_of(text: str) -> Any:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


# What a seller's response must never hold: staff-only text, and the other seller's names.
OTHER_SELLER_TEXT = {
    "seller_a": ("Guangzhou Beta Export", "Rep B", "Director B"),
    "seller_b": ("Shenzhen Alpha Trading", "Rep A", "Director A"),
}


def _leaks(role: str, text: str) -> list[str]:
    found = [f"shows the {what}" for what, marker in INTERNAL_MARKERS.items() if marker in text]
    found += [f"shows the other seller's {t!r}" for t in OTHER_SELLER_TEXT[role] if t in text]
    return found
