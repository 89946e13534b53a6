"""Brand authorization chains as sellers declare them: brand owner → (distributors) → seller,
each link with its territory and validity. The brand-chain check (kyc/checks/brand_chain.py)
reads these links; entering them here validates what can be validated at once, so a seller
learns of a broken chain next to the field instead of from a failed check later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from config.errors import InvalidInput
from merchants.models import Brand, BrandAuthorization, Merchant
from merchants.services import ISO_COUNTRIES, ensure_member

from .checks.context import DEFAULT_NAME_MATCH_PASS, limits_from_settings
from .checks.names import best_match, similarity
from .models import DocumentStatus, QualificationDocument

# A chain longer than this is not a chain a marketplace accepts (the check applies the
# category's own, smaller limit).
MAX_LINKS = 5
WORLDWIDE = "WORLDWIDE"

# Fixed messages (accounts.forms.SERVICE_MESSAGES shows them in the page's language).
GRANTOR_REQUIRED = "Enter who grants this authorization."
GRANTEE_REQUIRED = "Enter who receives this authorization."
NOT_FROM_OWNER = (
    "The first authorization must come from the brand owner on the trademark certificate."
)
NOT_CONTINUOUS = "Each authorization must be granted by the previous one's recipient."
NOT_TO_MERCHANT = "The last authorization must be granted to your company's registered name."
DATES_REVERSED = "The end of validity is before its start."
LINK_EXPIRED = "This authorization has already ended."
OUTLIVES_PARENT = "A sub-authorization cannot last longer than the authorization it comes from."
STARTS_BEFORE_PARENT = "A sub-authorization cannot start before the authorization it comes from."
BAD_TERRITORY = (
    "Enter two-letter ISO country codes separated by commas, or leave empty for worldwide."
)
TERRITORY_WIDER = (
    "A sub-authorization cannot cover countries the authorization it comes from does not."
)
TERRITORY_MISSES_MERCHANT = (
    "The authorization must cover the country your company is registered in."
)
TOO_MANY_LINKS = "A chain has at most 5 authorizations."


@dataclass(frozen=True)
class LinkInput:
    grantor_name: str
    grantee_name: str
    territories: tuple[str, ...] = ()  # ISO codes; empty = worldwide
    valid_from: date | None = None
    valid_until: date | None = None


def parse_territories(value: Any) -> tuple[tuple[str, ...], bool]:
    """(codes, valid) from "CN, HK" or a list; empty or "worldwide" = worldwide."""
    if isinstance(value, str):
        parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    else:
        parts = [str(p) for p in (value or [])]
    codes = tuple(dict.fromkeys(p.strip().upper() for p in parts if p.strip()))
    if any(c in (WORLDWIDE, "WW", "*", "GLOBAL") for c in codes):
        return (), True
    return codes, all(c in ISO_COUNTRIES for c in codes)


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def link_inputs(rows: list[dict[str, Any]]) -> tuple[list[LinkInput], dict[str, list[str]]]:
    """Turns raw rows (API or form) into links; errors are keyed `links.<i>.<field>`."""
    links: list[LinkInput] = []
    errors: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        territories, valid = parse_territories(row.get("territories"))
        if not valid:
            errors[f"links.{i}.territories"] = [BAD_TERRITORY]
        dates: dict[str, date | None] = {}
        for key in ("valid_from", "valid_until"):
            try:
                dates[key] = _as_date(row.get(key))
            except ValueError:
                errors[f"links.{i}.{key}"] = ["Enter a date as YYYY-MM-DD."]
                dates[key] = None
        links.append(
            LinkInput(
                grantor_name=str(row.get("grantor_name") or "").strip()[:255],
                grantee_name=str(row.get("grantee_name") or "").strip()[:255],
                territories=territories,
                valid_from=dates["valid_from"],
                valid_until=dates["valid_until"],
            )
        )
    return links, errors


def validate_chain(
    *, merchant: Merchant, brand: Brand, links: list[LinkInput], today: date
) -> dict[str, list[str]]:
    """What is wrong with the chain, keyed `links.<i>.<field>` (empty when it is sound):
    it starts at the brand owner, each link is granted by the previous grantee, it ends at
    this merchant, every link is in force, no sub-authorization is wider or longer than the
    one it comes from, and the territory covers the merchant's country."""
    errors: dict[str, list[str]] = {}
    threshold = limits_from_settings().name_match_pass or DEFAULT_NAME_MATCH_PASS

    def add(i: int, field: str, message: str) -> None:
        errors.setdefault(f"links.{i}.{field}", []).append(message)

    if not links:
        return errors  # an empty chain: the merchant holds the trademark itself, or clears it
    if len(links) > MAX_LINKS:
        errors["links"] = [TOO_MANY_LINKS]
        return errors
    for i, link in enumerate(links):
        if not link.grantor_name:
            add(i, "grantor_name", GRANTOR_REQUIRED)
        if not link.grantee_name:
            add(i, "grantee_name", GRANTEE_REQUIRED)
        if link.valid_from and link.valid_until and link.valid_until < link.valid_from:
            add(i, "valid_until", DATES_REVERSED)
        elif link.valid_until and link.valid_until < today:
            add(i, "valid_until", LINK_EXPIRED)
    holder = brand.trademark_holder
    first = links[0]
    if holder and first.grantor_name and similarity(first.grantor_name, holder) < threshold:
        add(0, "grantor_name", NOT_FROM_OWNER)
    for i in range(1, len(links)):
        previous, link = links[i - 1], links[i]
        if (
            previous.grantee_name
            and link.grantor_name
            and similarity(previous.grantee_name, link.grantor_name) < threshold
        ):
            add(i, "grantor_name", NOT_CONTINUOUS)
        if previous.valid_until and (
            link.valid_until is None or link.valid_until > previous.valid_until
        ):
            add(i, "valid_until", OUTLIVES_PARENT)
        if previous.valid_from and link.valid_from and link.valid_from < previous.valid_from:
            add(i, "valid_from", STARTS_BEFORE_PARENT)
        if previous.territories and (
            not link.territories or not set(link.territories) <= set(previous.territories)
        ):
            add(i, "territories", TERRITORY_WIDER)
    last = links[-1]
    names = [n for n in (merchant.legal_name, merchant.local_name, merchant.trading_name) if n]
    if last.grantee_name and best_match(last.grantee_name, names)[0] < threshold:
        add(len(links) - 1, "grantee_name", NOT_TO_MERCHANT)
    country = (merchant.country or "").upper()
    for i, link in enumerate(links):
        if country and link.territories and country not in link.territories:
            add(i, "territories", TERRITORY_MISSES_MERCHANT)
    return errors


def brand_chain_list(*, merchant: Merchant, brand: Brand) -> list[BrandAuthorization]:
    return list(
        BrandAuthorization.objects.filter(merchant=merchant, brand=brand).order_by("position")
    )


def _link_snapshot(link: BrandAuthorization | LinkInput, position: int) -> dict[str, Any]:
    return {
        "position": position,
        "grantor_name": link.grantor_name,
        "grantee_name": link.grantee_name,
        "territories": list(link.territories or []),
        "valid_from": link.valid_from.isoformat() if link.valid_from else None,
        "valid_until": link.valid_until.isoformat() if link.valid_until else None,
    }


def brand_chain_set(
    *, actor: Any, merchant: Merchant, brand: Brand, rows: list[dict[str, Any]]
) -> list[BrandAuthorization]:
    """Replaces the merchant's authorization chain for one brand with `rows`, or changes
    nothing. Guarantees: only the merchant's own sellers; the chain is validated as a whole
    (errors keyed `links.<i>.<field>`); the old links are replaced in one transaction with
    one `brand_chain.updated` audit event (before/after); the brand documents of this brand
    are checked again after commit, so the brand-chain check reads the new links."""
    ensure_member(actor=actor, merchant=merchant)
    links, errors = link_inputs(rows)
    if not errors:
        errors = validate_chain(
            merchant=merchant, brand=brand, links=links, today=timezone.localdate()
        )
    if errors:
        raise InvalidInput("Please correct the highlighted fields.", fields=errors)
    with transaction.atomic():
        Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        existing = brand_chain_list(merchant=merchant, brand=brand)
        before = [_link_snapshot(link, link.position) for link in existing]
        after = [_link_snapshot(link, i) for i, link in enumerate(links, start=1)]
        if before == after:
            return existing
        BrandAuthorization.objects.filter(merchant=merchant, brand=brand).delete()
        created = BrandAuthorization.objects.bulk_create(
            BrandAuthorization(
                merchant=merchant,
                brand=brand,
                position=i,
                grantor_name=link.grantor_name,
                grantee_name=link.grantee_name,
                territories=list(link.territories),
                valid_from=link.valid_from,
                valid_until=link.valid_until,
            )
            for i, link in enumerate(links, start=1)
        )
        audit_record(
            action="brand_chain.updated",
            actor=actor,
            object_type="merchants.brand",
            object_id=str(brand.pk),
            merchant_id=merchant.pk,
            before={"brand": brand.name, "links": before},
            after={"brand": brand.name, "links": after},
        )
        from .tasks import run_document_checks_task

        for doc_id in (
            QualificationDocument.objects.filter(merchant=merchant, brand=brand)
            .exclude(status=DocumentStatus.SUPERSEDED)
            .values_list("pk", flat=True)
        ):
            run_document_checks_task.delay_on_commit(doc_id)
    return created
