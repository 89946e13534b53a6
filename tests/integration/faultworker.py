"""The Celery app for the fault tests: the project's app, plus a deliberate hang.

Started as `celery -A tests.integration.faultworker worker ...` (never in production). When
KYC_FAULT_HANG_ACTION names an audit action (e.g. `report.built`), the first time a task is
about to record that event — its work done and stored, its transaction not yet committed —
the worker writes the file KYC_FAULT_MARKER and sleeps (KYC_FAULT_HANG_SECONDS, default 120),
so the test can SIGKILL it at exactly that point. A worker started when the marker file
already exists does not hang: it is the one that picks the redelivered task up.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init, worker_ready

from config.celery import app

__all__ = ["app"]

_installed = False


def _install(**_: Any) -> None:
    global _installed
    action = os.environ.get("KYC_FAULT_HANG_ACTION", "")
    marker = os.environ.get("KYC_FAULT_MARKER", "")
    if _installed or not action or not marker:
        return
    _installed = True
    seconds = float(os.environ.get("KYC_FAULT_HANG_SECONDS", "120"))

    import audit.services
    import cases.reports.build
    import kyc.services

    real = audit.services.audit_record

    def audit_record(**kwargs: Any) -> Any:
        path = Path(marker)
        if kwargs.get("action") == action and not path.exists():
            path.write_text(f"{os.getpid()} {action}\n")
            time.sleep(seconds)  # killed here
        return real(**kwargs)

    # The modules that record the events the tests interrupt imported the function by name.
    for module in (audit.services, cases.reports.build, kyc.services):
        module.audit_record = audit_record  # type: ignore[attr-defined]


worker_ready.connect(_install, weak=False)  # solo pool: tasks run in this process
worker_process_init.connect(_install, weak=False)  # prefork: in each child
