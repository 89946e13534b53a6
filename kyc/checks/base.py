"""The shape every document check returns, and the guard that keeps a hostile file from
turning a check into a crash."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ParamSpec

logger = logging.getLogger(__name__)

P = ParamSpec("P")


class Outcome(StrEnum):
    # The same values as kyc.models.CheckOutcome, so a result is stored as it is.
    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: a machine code, a message for the seller in English and
    Simplified Chinese (what to fix), and the evidence a reviewer reads (JSON-able)."""

    check_name: str
    outcome: Outcome
    code: str
    message_en: str
    message_zh: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # Staff only (a fraud-ring signal the seller must not learn of): never shown to sellers.
    is_internal: bool = False

    @property
    def is_failed(self) -> bool:
        return self.outcome == Outcome.FAILED

    def message(self, language: str | None) -> str:
        return self.message_zh if (language or "").startswith("zh") else self.message_en

    def as_row(self) -> dict[str, Any]:
        """The stored columns of a DocumentCheckResult, without the document."""
        return {
            "outcome": str(self.outcome),
            "code": self.code,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "evidence": self.evidence,
            "is_internal": self.is_internal,
        }


def passed(name: str, code: str, en: str, zh: str, **evidence: Any) -> CheckResult:
    return CheckResult(name, Outcome.PASSED, code, en, zh, evidence)


def warning(name: str, code: str, en: str, zh: str, **evidence: Any) -> CheckResult:
    return CheckResult(name, Outcome.WARNING, code, en, zh, evidence)


def failed(name: str, code: str, en: str, zh: str, **evidence: Any) -> CheckResult:
    return CheckResult(name, Outcome.FAILED, code, en, zh, evidence)


def internal_warning(name: str, code: str, en: str, zh: str, **evidence: Any) -> CheckResult:
    """A warning for staff only: sellers never see it (no tipping-off, no oracle)."""
    return CheckResult(name, Outcome.WARNING, code, en, zh, evidence, is_internal=True)


def check_error(name: str, exc: BaseException) -> CheckResult:
    """What a check reports when something it did not foresee went wrong: a failed result,
    so a reviewer looks at the file by hand, never a crashed worker."""
    return failed(
        name,
        "check_error",
        "This file could not be checked automatically. Upload a clean copy of the document "
        "(a PDF exported again, or a new scan or photo).",
        "无法自动检查此文件。请重新上传一份干净的文件（重新导出的 PDF，或重新扫描/拍摄的图片）。",
        error=f"{type(exc).__name__}: {str(exc)[:300]}",
    )


def guarded(name: str) -> Callable[[Callable[P, CheckResult]], Callable[P, CheckResult]]:
    """Each check catches its own parsing errors; this is the net under that net (a
    MemoryError from a hostile file too: it fails the check, not the task)."""

    def decorate(func: Callable[P, CheckResult]) -> Callable[P, CheckResult]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> CheckResult:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                logger.warning("check %s raised %r", name, exc)
                return check_error(name, exc)

        wrapper.check_name = name  # type: ignore[attr-defined]
        return wrapper

    return decorate
