"""Who may reach what: every staff role, the seller who owns the case, a superuser and an
anonymous visitor, against the main pages and API endpoints. A change to any cell is a change
to the access policy and must be deliberate (DESIGN.md, "Roles"; docs/security.md).

Staff sessions here are second-factor-verified (tests/conftest.py); the second factor itself
is pinned in tests/accounts/test_second_factor.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db

ROLES = ("anon", "seller", "reviewer", "senior", "qc_lead", "admin", "superuser")

# (method, path template) → expected status per role, in ROLES order. {case}: a submitted
# case owned by `seller`; {doc}: one of its documents.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    # pages (302 for anonymous: to the sign-in page)
    ("GET", "/review/"): (302, 404, 200, 200, 200, 200, 404),
    ("GET", "/review/cases/{case}/"): (302, 302, 200, 200, 200, 200, 404),
    ("GET", "/qc/"): (302, 404, 403, 403, 200, 200, 404),
    ("GET", "/qc/dashboard/"): (302, 404, 403, 403, 200, 200, 404),
    ("GET", "/audit/export/"): (302, 404, 403, 403, 200, 200, 404),
    ("GET", "/webhooks/"): (302, 404, 403, 403, 403, 200, 404),
    ("GET", "/admin/"): (302, 302, 302, 302, 302, 302, 200),
    ("GET", "/documents/{doc}/file/"): (302, 200, 200, 200, 200, 200, 404),
    ("GET", "/seller/"): (302, 200, 403, 403, 403, 403, 403),
    # Staff areas: 404 for anyone without a staff role, 403 for staff without the feature's
    # role (the rule stated in tests/security/test_idor.py).
    ("GET", "/qc/findings/"): (302, 404, 200, 200, 200, 200, 404),
    ("GET", "/webhooks/new/"): (302, 404, 403, 403, 403, 200, 404),
    ("GET", "/compliance/"): (302, 404, 403, 403, 403, 200, 404),
    ("GET", "/compliance/policy/"): (302, 404, 403, 403, 403, 200, 404),
    ("GET", "/compliance/users/"): (302, 404, 403, 403, 403, 200, 404),
    ("POST", "/compliance/policy/draft/"): (302, 404, 403, 403, 403, 302, 404),
    # API
    ("GET", "/api/v1/cases/"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/cases/{case}/"): (401, 200, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/documents/{doc}/file/"): (401, 200, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/qc/reviews/"): (401, 404, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/audit/export/?case={case}"): (401, 404, 403, 403, 200, 200, 404),
    ("GET", "/api/v1/webhooks/subscriptions/"): (401, 404, 403, 403, 403, 200, 404),
    ("GET", "/api/v1/tokens/"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/queues/"): (401, 404, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/qc/metrics/"): (401, 404, 403, 403, 200, 200, 404),
    ("GET", "/api/v1/audit/export/?since=2026-01-01"): (401, 404, 403, 403, 403, 200, 404),
    ("GET", "/api/v1/audit/verify/"): (401, 404, 403, 403, 403, 200, 404),
    ("GET", "/api/v1/webhooks/deliveries/"): (401, 404, 403, 403, 403, 200, 404),
    ("GET", "/api/v1/webhooks/event-types/"): (401, 404, 403, 403, 403, 200, 404),
    # Transitions: the roles act in ROLES order on the same submitted case, so the reviewer's
    # claim wins and the senior reviewer's then conflicts (409).
    ("POST", "/api/v1/cases/{case}/claim/"): (401, 403, 200, 409, 403, 403, 404),
    ("POST", "/api/v1/cases/{case}/approve/"): (401, 403, 409, 409, 403, 403, 404),
    ("POST", "/api/v1/cases/{case}/reject/"): (401, 403, 409, 409, 403, 403, 404),
    ("POST", "/api/v1/cases/{case}/withdraw/"): (401, 200, 403, 403, 403, 403, 404),
}


@pytest.fixture
def actors(seller: Any, reviewer: Any, senior: Any, qc_lead: Any, admin_user: Any) -> Any:
    superuser = make_user("", is_superuser=True, is_staff=True)
    return {
        "anon": None,
        "seller": seller,
        "reviewer": reviewer,
        "senior": senior,
        "qc_lead": qc_lead,
        "admin": admin_user,
        "superuser": superuser,
    }


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_role_matrix(method: str, path: str, actors: Any, submitted_case: Any) -> None:
    doc = submitted_case.merchant.documents.order_by("pk").first()
    url = path.format(case=submitted_case.pk, doc=doc.pk)
    observed = []
    for role in ROLES:
        client = APIClient()
        if actors[role] is not None:
            client.force_login(actors[role])
        response = client.generic(method, url, data="{}", content_type="application/json")
        observed.append(response.status_code)
    assert dict(zip(ROLES, observed, strict=True)) == dict(
        zip(ROLES, MATRIX[(method, path)], strict=True)
    )
