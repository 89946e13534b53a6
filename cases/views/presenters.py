"""Turns the requirements objects (kyc.requirements) into what a page says in plain words:
for every item still due, what it is, which documents satisfy it, and why it is due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from cases.labels import requirement_labels
from kyc.models import QualificationDocument
from kyc.selectors import document_type_list
from merchants.forms import brand_name, capability_label, category_name
from merchants.models import Capability, CapabilityStatus


def disabled_reason_text(code: str | None) -> str:
    if not code:
        return ""
    texts = {
        "requirements.past_due": _("Required documents are overdue."),
        "requirements.not_requested": _("Not requested yet."),
        "requirements.currently_due": _("Waiting for the documents listed below."),
        "requirements.pending_verification": _("The documents are being verified."),
        "under_review": _("Under review."),
        "withdrawn": _("The application was withdrawn."),
        "rejected.retry": _("Rejected: fix the problems and apply again."),
        "rejected.final": _("Rejected. This decision is final."),
    }
    return texts.get(code, code)


def _deadline(value: str | None) -> datetime | date | None:
    if not value:
        return None
    return parse_datetime(value) or parse_date(value)


class RequirementsPresenter:
    """Shapes requirements objects for templates; loads the document type names once."""

    def __init__(
        self, merchant_id: int, capabilities: Iterable[Capability], *, is_draft: bool = False
    ) -> None:
        self.merchant_id = merchant_id
        # In a draft nobody reviews yet: "under review" would mislead the seller.
        self.is_draft = is_draft
        self.capabilities = {c.pk: c for c in capabilities}
        self.type_names = {dt.code: dt.name for dt in document_type_list()}

    def upload_url(
        self, capability: Capability | None, item: dict[str, Any], document_id: int | None = None
    ) -> str:
        params: dict[str, Any] = {}
        if item.get("document_types"):
            params["document_type"] = item["document_types"][0]
        if item.get("person_id"):
            params["person"] = item["person_id"]
        if capability is not None and capability.category_id:
            params["category"] = capability.category_id
        if capability is not None and capability.brand_id:
            params["brand"] = capability.brand_id
        if document_id:
            params["replaces"] = document_id
        url = reverse("cases:document_upload", kwargs={"merchant_id": self.merchant_id})
        return f"{url}?{urlencode(params)}" if params else url

    def _item(
        self, capability: Capability | None, item: dict[str, Any], errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        reasons = [e for e in errors if e["requirement"] == item["code"]]
        return {
            **item,
            "type_names": [self.type_names.get(code, code) for code in item["document_types"]],
            "reasons": reasons,
            "upload_url": self.upload_url(capability, item, item.get("document_id"))
            if item["document_types"]
            else "",
            "expires_on_date": parse_date(item["expires_on"]) if item.get("expires_on") else None,
        }

    def present(self, requirements: dict[str, Any]) -> dict[str, Any]:
        capability = self.capabilities.get(requirements["capability_id"])
        errors = requirements["errors"]

        def items(key: str) -> list[dict[str, Any]]:
            return [self._item(capability, i, errors) for i in requirements[key]]

        due = items("currently_due")
        past_due = items("past_due")
        shown = {i["code"] for i in due + past_due}
        status = requirements["status"]
        return {
            "capability": capability,
            "code": requirements["capability"],
            "label": capability_label(capability) if capability else requirements["label"],
            "status": status,
            "status_label": _("Not submitted")
            if self.is_draft and status == CapabilityStatus.PENDING
            else CapabilityStatus(status).label
            if status in CapabilityStatus.values
            else status,
            # In a draft nothing is pending review yet: the badge agrees with the case.
            "badge": "draft" if self.is_draft and status == CapabilityStatus.PENDING else status,
            "currently_due": due,
            "past_due": past_due,
            "pending_verification": items("pending_verification"),
            "eventually_due": items("eventually_due"),
            # Problems with an item that is not itself due (e.g. on an accepted document).
            "other_errors": [e for e in errors if e["requirement"] not in shown],
            "current_deadline": _deadline(requirements.get("current_deadline")),
            "disabled_reason": requirements.get("disabled_reason"),
            "disabled_reason_text": _("Complete. It is reviewed once you submit.")
            if self.is_draft and requirements.get("disabled_reason") == "under_review"
            else disabled_reason_text(requirements.get("disabled_reason")),
            "is_clear": not due and not past_due,
        }

    def present_all(self, requirements: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.present(r) for r in requirements]

    def item_labels(self, requirements: Iterable[dict[str, Any]]) -> dict[str, str]:
        """Every requirement code to its label, for RFI items that name a requirement."""
        labels: dict[str, str] = {}
        for req in requirements:
            for key in ("currently_due", "past_due", "pending_verification", "eventually_due"):
                for item in req[key]:
                    labels[item["code"]] = item["label"]
        return labels


def document_subject(document: QualificationDocument) -> str:
    """Whom or what a document is for; empty when it is the merchant's own."""
    if document.person_id:
        return document.person.full_name  # type: ignore[union-attr]
    if document.category_id:
        return category_name(document.category)  # type: ignore[arg-type]
    if document.brand_id:
        return brand_name(document.brand)  # type: ignore[arg-type]
    return ""


def label_rfi_items(rfi: Any, labels: dict[str, str]) -> list[Any]:
    """The RFI's items, each with the label of the requirement it names (if any): from the
    current requirements, else from the rules on file (never the bare code)."""
    items = list(rfi.items.all())
    missing = {i.requirement_code for i in items if i.requirement_code not in labels}
    known = {**labels, **requirement_labels(missing)}
    for item in items:
        item.requirement_label = known.get(item.requirement_code, "")
    return items
