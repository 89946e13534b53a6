"""The document is in force: an expired document fails; one expiring within the warning
window (settings.KYC_EXPIRY_WARNING_DAYS) warns, so the seller renews it in time."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed, warning
from .context import CheckContext

NAME = "expiry"


@guarded(NAME)
def check(ctx: CheckContext) -> CheckResult:
    expiry, today = ctx.expiry_date, ctx.today
    if expiry is None:
        if ctx.valid_indefinitely:
            return passed(
                NAME,
                "valid_indefinitely",
                "The document is valid indefinitely (长期).",
                "此文件长期有效。",
            )
        if ctx.has_expiry:
            return failed(
                NAME,
                "expiry_date_missing",
                "Enter the expiry date printed on the document.",
                "请填写文件上印有的有效期截止日期。",
            )
        return passed(
            NAME,
            "no_expiry",
            "This document does not expire.",
            "此文件没有有效期限制。",
        )
    days_left = (expiry - today).days
    evidence = {"expiry_date": expiry.isoformat(), "today": today.isoformat()}
    if ctx.issue_date and ctx.issue_date > today:
        return failed(
            NAME,
            "issue_date_in_future",
            "The issue date is in the future. Check the dates against the document.",
            "签发日期晚于今天。请对照文件核对日期。",
            issue_date=ctx.issue_date.isoformat(),
            **evidence,
        )
    if days_left < 0:
        return failed(
            NAME,
            "document_expired",
            f"The document expired on {expiry.isoformat()}. Upload a current one.",
            f"该文件已于 {expiry.isoformat()} 过期。请上传有效的文件。",
            days_overdue=-days_left,
            **evidence,
        )
    if days_left <= ctx.limits.expiry_warning_days:
        return warning(
            NAME,
            "document_expiring_soon",
            f"The document expires on {expiry.isoformat()}, in {days_left} day(s). Renew it "
            "and upload the new one before then.",
            f"该文件将于 {expiry.isoformat()} 到期（还剩 {days_left} 天）。"
            "请在到期前续期并上传新文件。",
            days_left=days_left,
            warning_days=ctx.limits.expiry_warning_days,
            **evidence,
        )
    return passed(
        NAME,
        "document_valid",
        f"The document is valid until {expiry.isoformat()}.",
        f"该文件有效期至 {expiry.isoformat()}。",
        days_left=days_left,
        **evidence,
    )
