"""Fills the load test's database (run by bench/run_load.py, in its own process).

    DATABASE_URL=postgres://…/kyc_load DJANGO_SETTINGS_MODULE=config.settings.production \\
        .venv/bin/python bench/load/setup_data.py --merchants 300 --tokens var/load/tokens.json

Expects an empty, migrated database. Everything goes through the services a person would use
(onboarding, people, uploads with their checks run in-process, submission, comments), so the
audit trail is a real hash chain and `verify_audit` passes afterwards. Writes the API keys of
the seller and reviewer tokens to --tokens (JSON) for the locustfile.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from accounts.models import ApiToken, User  # noqa: E402
from accounts.roles import Role  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from cases import services as case_services  # noqa: E402
from cases.reference_data import load_reference_data  # noqa: E402
from kyc.models import DocumentType  # noqa: E402
from kyc.services import document_upload  # noqa: E402
from merchants.services import person_add  # noqa: E402

COMMENTS_PER_CASE = 8


def token_scopes(user: User) -> list[str]:
    """Every scope the user's roles can use, once the token scopes feature (issue 7) exists."""
    try:
        from accounts import scopes
    except ImportError:
        return []
    allowed = getattr(scopes, "scopes_for_roles", None)
    if allowed is not None:
        return sorted(allowed(user))
    return sorted(getattr(scopes, "SCOPES", []))


def pdf(*lines: str, pad_to: int = 0) -> bytes:
    """A valid one-page PDF (the demo's builder); `pad_to` adds scan-like lines until the
    file is about that many bytes, so uploads have a realistic size."""
    from cases.management.commands.seed_demo import demo_pdf

    padding: list[str] = []
    while pad_to and len(padding) * 40 < pad_to:
        padding.append(f"scan line {len(padding):06d}")
    return demo_pdf(*lines, *padding)


def registration_number(i: int) -> str:
    base = f"91330100MA{i:07d}"
    return base + uscc.calc_check_digit(base)


def users(prefix: str, role: str, n: int, senior_every: int = 0) -> list[User]:
    group, _ = Group.objects.get_or_create(name=role)
    senior, _ = Group.objects.get_or_create(name=Role.SENIOR_REVIEWER)
    made = []
    for i in range(n):
        user = User.objects.create_user(
            username=f"{prefix}-{i}", email=f"{prefix}-{i}@load.example.com", password=None
        )
        user.groups.add(senior if senior_every and i % senior_every == 0 else group)
        made.append(user)
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--sellers", type=int, default=60)
    parser.add_argument("--reviewers", type=int, default=40)
    parser.add_argument("--tokens", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    load_reference_data()
    sellers = users("load-seller", Role.SELLER, args.sellers)
    reviewers = users("load-reviewer", Role.REVIEWER, args.reviewers, senior_every=5)
    licence = DocumentType.objects.get(code="business_license")
    identity = DocumentType.objects.get(code="identity_document")
    case_ids = []
    for i in range(args.merchants):
        seller = sellers[i % len(sellers)]
        number = registration_number(i)
        merchant, case = case_services.onboarding_start(
            actor=seller,
            data={
                "legal_name": f"Load Trading {i} Co., Ltd.",
                "local_name": f"负载贸易{i}有限公司",
                "entity_type": "company",
                "country": "CN",
                "registration_number": number,
                "contact_email": f"merchant-{i}@load.example.com",
            },
        )
        person = person_add(
            actor=seller,
            merchant=merchant,
            data={
                "full_name": f"Li Wei {i}",
                "is_legal_representative": True,
                "is_beneficial_owner": True,
                "ownership_percent": 60,
            },
        )
        for doc_type, name, meta in (
            (licence, "license.pdf", {"number": number, "expiry_date": "2031-01-01"}),
            (
                identity,
                "id.pdf",
                {
                    "number": f"110101199001{i:06d}"[:18],
                    "expiry_date": "2032-01-01",
                    "person": person.pk,
                },
            ),
        ):
            data = pdf(f"{doc_type.code} {i}", number, pad_to=20_000)
            document_upload(
                actor=seller,
                merchant=merchant,
                document_type=doc_type,
                fileobj=SimpleUploadedFile(name, data, content_type="application/pdf"),
                filename=name,
                metadata=dict(meta),
            )
        case_services.case_submit(actor=seller, case_id=case.pk)
        case_ids.append(case.pk)
        if (i + 1) % 50 == 0:
            print(f"  {i + 1} merchants ({time.perf_counter() - started:.0f} s)", flush=True)
    for n, case_id in enumerate(case_ids):
        for k in range(COMMENTS_PER_CASE):
            case_services.comment_add(
                actor=reviewers[(n + k) % len(reviewers)],
                case_id=case_id,
                body=f"Load-test note {k} on case {case_id}: registration checked.",
                visibility="internal",
            )
    tokens: dict[str, list[dict[str, Any]]] = {"sellers": [], "reviewers": []}
    for kind, group in (("sellers", sellers), ("reviewers", reviewers)):
        for user in group:
            scopes = token_scopes(user)
            _token, key = ApiToken.issue(user=user, name="load-test", scopes=scopes)
            tokens[kind].append({"username": user.username, "key": key})
    Path(args.tokens).write_text(json.dumps(tokens))
    # Planner statistics for the freshly loaded tables, as autovacuum would gather them on a
    # live system (without them PostgreSQL guesses row counts and may pick scans).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"setup: {args.merchants} merchants and submitted cases, {len(sellers)} sellers, "
        f"{len(reviewers)} reviewers, {AuditEvent.objects.count()} audit events, "
        f"token scopes {scopes or '(none defined yet)'} (last token); "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
