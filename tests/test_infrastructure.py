"""The operator-facing plumbing: the audit verification command, the demo seed, production
settings' refusal to start without a secret, and the CI entry point."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def _counts() -> dict[str, int]:
    from accounts.models import User
    from audit.models import AuditEvent
    from cases.models import Notification, ReasonCode, ReviewCase
    from kyc.models import DocumentType, QualificationDocument
    from merchants.models import Capability, Merchant, Person

    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Merchant,
            Person,
            Capability,
            ReviewCase,
            QualificationDocument,
            Notification,
            AuditEvent,
            DocumentType,
            ReasonCode,
        )
    }


def test_verify_audit_exits_zero_on_a_clean_chain(db: Any) -> None:
    from django.db import transaction

    from audit.services import audit_record

    for index in range(3):
        with transaction.atomic():
            audit_record(action="test.event", object_type="x", object_id=str(index))
    out = io.StringIO()
    call_command("verify_audit", stdout=out)  # raises CommandError (exit 1) on a broken chain
    assert "Audit chain OK: 3 events verified" in out.getvalue()


def test_seed_demo_twice_gives_the_same_data_with_every_case_state(
    transactional_db: Any,
) -> None:
    from accounts.models import User
    from accounts.roles import Role
    from audit.chain import verify_chain
    from cases.models import CaseState, ReviewCase
    from merchants.models import Merchant

    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert _counts() == first
    assert "nothing to add" in out.getvalue()
    names = list(Merchant.objects.values_list("legal_name", flat=True))
    assert len(names) == len(set(names))
    assert set(ReviewCase.objects.values_list("state", flat=True)) == set(CaseState.values)
    assert {"CN", "HK", "SG", "GB", "US"} <= set(Merchant.objects.values_list("country", flat=True))
    assert Merchant.objects.exclude(local_name="").filter(local_name__regex=r"[\u4e00-\u9fff]")
    roles = Counter(User.objects.values_list("groups__name", flat=True))
    assert roles[Role.SELLER] == 2 and roles[Role.SENIOR_REVIEWER] == 2
    # Two compliance admins: one drafts requirement rules, the other publishes them.
    assert roles[Role.COMPLIANCE_ADMIN] == 2
    for role in (Role.REVIEWER, Role.QC_LEAD):
        assert roles[role] == 1
    assert User.objects.get(username="admin").is_superuser
    # Four-eyes really happened: maker and checker are two different senior reviewers.
    four_eyes = ReviewCase.objects.filter(state=CaseState.APPROVED, checker__isnull=False).get()
    assert four_eyes.maker_id != four_eyes.checker_id
    assert verify_chain().ok


def test_seed_demo_refuses_production_settings_unless_told(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.SETTINGS_MODULE = "config.settings.production"
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=io.StringIO())


def _import_production_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('loaded')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_load_without_secret_key() -> None:
    missing = _import_production_settings()
    assert missing.returncode != 0
    assert "SECRET_KEY must be set" in missing.stderr

    short = _import_production_settings(SECRET_KEY="too-short")
    assert short.returncode != 0
    assert "SECRET_KEY must be set" in short.stderr

    # The same process loads once a real key is given: the refusal above was about the key.
    ok = _import_production_settings(SECRET_KEY="k" * 20 + "0123456789abcdefghijklmnopqrst")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "loaded"


def test_ci_entry_point_runs_make_test_under_ci() -> None:
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert "CI=true make test" in text
