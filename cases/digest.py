"""The digest of the data a decision is about: SHA-256 over a canonical JSON of the
merchant's verifiable fields, its people, its current documents (version and file SHA-256),
the case's capabilities and the merchant's screening matches with their dispositions.

Recorded on every decision (cases.services, cases.decisions) and printed in the PDF report,
so an examiner can tell that what was approved is what was checked: recomputing it from the
same data gives the same value, and any later change of that data gives another one.
Workflow statuses the decision itself changes (document review status, capability status)
are left out on purpose: they are the decision, not its subject.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from kyc.models import DocumentStatus, ScreeningMatch
from merchants.services import VERIFIABLE_MERCHANT_FIELDS, VERIFIABLE_PERSON_FIELDS

from .models import ReviewCase

DIGEST_VERSION = 1
DOCUMENT_FIELDS = ("number", "issuer", "holder_name", "issue_date", "expiry_date")


def decision_data(case: ReviewCase) -> dict[str, Any]:
    """The data a decision on `case` is about, as plain JSON-able values in a fixed order."""
    merchant = case.merchant
    people = [
        {"id": p.pk, **{f: getattr(p, f) for f in VERIFIABLE_PERSON_FIELDS}}
        for p in merchant.people.order_by("id")
    ]
    documents = [
        {
            "id": d.pk,
            "type": d.document_type.code,
            "sha256": d.sha256,
            "person": d.person_id,
            "category": d.category_id,
            "brand": d.brand_id,
            **{f: getattr(d, f) for f in DOCUMENT_FIELDS},
        }
        for d in merchant.documents.exclude(status=DocumentStatus.SUPERSEDED)
        .select_related("document_type")
        .order_by("id")
    ]
    matches = [
        {
            "id": m.pk,
            "subject": m.subject,
            "screened_name": m.screened_name,
            "list_id": m.entry.list_id,
            "score": m.score,
            "status": m.status,
            "disposed_by": m.disposed_by_id,
        }
        for m in ScreeningMatch.objects.filter(merchant=merchant)
        .select_related("entry")
        .order_by("id")
    ]
    return {
        "version": DIGEST_VERSION,
        "case": case.pk,
        "merchant": {
            "id": merchant.pk,
            **{f: getattr(merchant, f) for f in VERIFIABLE_MERCHANT_FIELDS},
        },
        "people": people,
        "documents": documents,
        "capabilities": sorted(c.code for c in case.capabilities.select_related("category")),
        "screening": matches,
    }


def canonical_json(data: Any) -> str:
    return json.dumps(
        data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def data_digest(case: ReviewCase) -> str:
    """SHA-256 (hex) of the canonical JSON of `decision_data(case)`."""
    return hashlib.sha256(canonical_json(decision_data(case)).encode()).hexdigest()
