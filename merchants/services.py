"""Write use-cases for merchants, their people and capabilities."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.forms.models import model_to_dict
from django.utils import timezone
from stdnum import iban
from stdnum.exceptions import ValidationError as StdnumError

from accounts.roles import Role, has_role
from audit.services import audit_record
from config.errors import InvalidInput, NotAllowed
from webhooks.services import webhook_emit

from . import hooks
from .models import (
    Brand,
    Capability,
    CapabilityKind,
    CapabilityStatus,
    Category,
    Merchant,
    MerchantMembership,
    Person,
)
from .registration import registration_number_error

# The payout account; a change on an active merchant opens a change-of-details case.
BANK_FIELDS = (
    "bank_account_holder",
    "bank_name",
    "bank_country",
    "bank_account_number",
    "bank_swift",
)
MERCHANT_FIELDS = (
    "legal_name",
    "local_name",
    "trading_name",
    "entity_type",
    "country",
    "registration_number",
    "registered_address",
    "operating_address",
    "website",
    "business_model",
    "expected_monthly_volume",
    "contact_email",
    "preferred_language",
    *BANK_FIELDS,
)
PERSON_FIELDS = (
    "full_name",
    "local_name",
    "is_legal_representative",
    "is_director",
    "is_beneficial_owner",
    "ownership_percent",
    "control_type",
    "nationality",
    "date_of_birth",
    "is_pep",
    "pep_details",
)

# The verifiable data (DESIGN, "Change control"): what a decision is about, so what a change
# during a review records on the case (cases.details) and what a decision's digest covers
# (cases.digest). The rest of the profile (contact e-mail, website, language, business model,
# expected volume) describes the relationship, not who the merchant is.
VERIFIABLE_MERCHANT_FIELDS = (
    "legal_name",
    "local_name",
    "trading_name",
    "entity_type",
    "country",
    "registration_number",
    "registered_address",
    "operating_address",
    *BANK_FIELDS,
)
# Every person field is verifiable: who they are, what they own or control, PEP status.
VERIFIABLE_PERSON_FIELDS = PERSON_FIELDS


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return model_to_dict(obj, fields=fields)


def ensure_member(*, actor: Any, merchant: Merchant) -> None:
    """Only a seller who belongs to the merchant may change it."""
    if not has_role(actor, Role.SELLER) or not merchant.memberships.filter(user=actor).exists():
        raise NotAllowed("Only the merchant's own sellers can change it.")


def _clean_merchant_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(MERCHANT_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", fields={k: ["Unknown field."] for k in unknown})
    cleaned = dict(data)
    if "country" in cleaned:
        cleaned["country"] = str(cleaned["country"] or "").strip().upper()
        # The page offers a list; the API must not store what the list would not offer.
        if cleaned["country"] and cleaned["country"] not in ISO_COUNTRIES:
            raise InvalidInput(
                "Please correct the highlighted fields.", fields={"country": [COUNTRY_CODE_MESSAGE]}
            )
    if "registration_number" in cleaned:
        cleaned["registration_number"] = str(cleaned["registration_number"]).strip().upper()
    _clean_bank_data(cleaned)
    return cleaned


COUNTRY_CODE_MESSAGE = "Enter a two-letter ISO country code, e.g. HK."
# ISO 3166-1 alpha-2 (the 249 officially assigned codes).
ISO_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_IBAN_LIKE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$")


def _clean_bank_data(cleaned: dict[str, Any]) -> None:
    """Normalises and validates the bank fields present in `cleaned` (in place): an account
    number that looks like an IBAN must be a valid IBAN (checksum and country format); a
    SWIFT/BIC has 8 or 11 characters; the bank country is an ISO 3166 alpha-2 code."""
    errors: dict[str, list[str]] = {}
    for key in ("bank_account_holder", "bank_name"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "").strip()
    if "bank_country" in cleaned:
        country = str(cleaned["bank_country"] or "").strip().upper()
        cleaned["bank_country"] = country
        if country and country not in ISO_COUNTRIES:
            errors["bank_country"] = [COUNTRY_CODE_MESSAGE]
    if "bank_swift" in cleaned:
        bic = re.sub(r"\s+", "", str(cleaned["bank_swift"] or "")).upper()
        cleaned["bank_swift"] = bic
        if bic and not _BIC.match(bic):
            errors["bank_swift"] = ["A SWIFT/BIC code has 8 or 11 letters and digits."]
    if "bank_account_number" in cleaned:
        number = str(cleaned["bank_account_number"] or "").strip()
        compact = re.sub(r"[\s-]+", "", number).upper()
        if _IBAN_LIKE.match(compact):
            try:
                number = iban.validate(compact)
            except StdnumError:
                errors["bank_account_number"] = ["This IBAN is not valid (check the digits)."]
        else:
            number = re.sub(r"\s+", " ", number)
        cleaned["bank_account_number"] = number
    if errors:
        raise InvalidInput("Please correct the bank details.", fields=errors)


def _check_registration_number(merchant: Merchant) -> None:
    """A registration number with a bad check digit or length is refused where the country
    has a validator (merchants/registration.py), as a field error."""
    error = registration_number_error(
        country=merchant.country,
        entity_type=merchant.entity_type,
        number=merchant.registration_number,
    )
    if error:
        raise InvalidInput(
            "Please correct the highlighted fields.", fields={"registration_number": [error]}
        )


# An edit re-validates the number only when what it depends on changed: a number accepted
# before this rule (or by a staff correction) does not block unrelated edits.
REGISTRATION_FIELDS = ("country", "entity_type", "registration_number")


def _full_clean(obj: Any) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=["members"] if isinstance(obj, Merchant) else None)
    except ValidationError as exc:
        raise InvalidInput(
            "Please correct the highlighted fields.",
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
        ) from None


@transaction.atomic
def seller_register(
    *, username: str, email: str, password: str, preferred_language: str = "en"
) -> Any:
    """Creates a seller's own account (already validated by the sign-up form) and records
    the registration in the audit trail."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username=username, email=email, password=password, preferred_language=preferred_language
    )
    group, _created = Group.objects.get_or_create(name=Role.SELLER)
    user.groups.add(group)
    audit_record(
        action="seller.registered",
        actor=user,
        obj=user,
        after={"username": username, "email": email, "preferred_language": preferred_language},
    )
    return user


@transaction.atomic
def merchant_create(*, actor: Any, data: dict[str, Any]) -> Merchant:
    """Creates a merchant owned by the seller, with its `sell` capability requested."""
    if not has_role(actor, Role.SELLER):
        raise NotAllowed("Only sellers create merchants.")
    merchant = Merchant(**_clean_merchant_data(data))
    if not merchant.contact_email:
        merchant.contact_email = actor.email
    _full_clean(merchant)
    _check_registration_number(merchant)
    merchant.save()
    MerchantMembership.objects.create(merchant=merchant, user=actor, is_owner=True)
    Capability.objects.create(
        merchant=merchant,
        kind=CapabilityKind.SELL,
        status=CapabilityStatus.PENDING,
        requested_at=timezone.now(),
    )
    audit_record(
        action="merchant.created",
        actor=actor,
        obj=merchant,
        merchant_id=merchant.pk,
        after=_snapshot(merchant, MERCHANT_FIELDS),
    )
    return merchant


@transaction.atomic
def merchant_update(*, actor: Any, merchant: Merchant, data: dict[str, Any]) -> Merchant:
    """Updates the profile; the audit event holds exactly the fields that changed."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    ensure_member(actor=actor, merchant=merchant)
    before = _snapshot(merchant, MERCHANT_FIELDS)
    for key, value in _clean_merchant_data(data).items():
        setattr(merchant, key, value)
    _full_clean(merchant)
    if any(str(getattr(merchant, f)) != str(before[f]) for f in REGISTRATION_FIELDS):
        _check_registration_number(merchant)
    merchant.save()
    after = _snapshot(merchant, MERCHANT_FIELDS)
    changed = {k for k in after if str(after[k]) != str(before[k])}
    if changed:
        audit_record(
            action="merchant.updated",
            actor=actor,
            obj=merchant,
            merchant_id=merchant.pk,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        hooks.details_changed(
            hooks.DetailsChange(
                actor=actor,
                merchant_id=merchant.pk,
                event=hooks.MERCHANT_UPDATED,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
        )
    return merchant


def _pct(value: Decimal) -> str:
    """30 → "30", 12.50 → "12.5": the same text on every database backend."""
    return format(Decimal(value).quantize(Decimal("0.01")).normalize(), "f")


def _check_ownership(merchant: Merchant, person: Person) -> None:
    others = merchant.people.exclude(pk=person.pk).aggregate(total=Sum("ownership_percent"))[
        "total"
    ] or Decimal("0")
    total = others + Decimal(person.ownership_percent or 0)
    if total > Decimal("100"):
        raise InvalidInput(
            f"Declared ownership would total {_pct(total)}%, more than 100%.",
            code="ownership_over_100",
            fields={
                "ownership_percent": [
                    f"At most {_pct(Decimal('100') - others)}% is left to declare."
                ]
            },
        )
    threshold = Decimal(settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD)
    if Decimal(person.ownership_percent or 0) >= threshold and not person.is_beneficial_owner:
        # Anyone at or above the threshold is a beneficial owner by definition.
        person.is_beneficial_owner = True


def _clean_person_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", fields={k: ["Unknown field."] for k in unknown})
    cleaned = dict(data)
    if cleaned.get("nationality"):
        cleaned["nationality"] = str(cleaned["nationality"]).strip().upper()
        if cleaned["nationality"] not in ISO_COUNTRIES:
            raise InvalidInput(
                "Please correct the highlighted fields.",
                fields={"nationality": [COUNTRY_CODE_MESSAGE]},
            )
    return cleaned


@transaction.atomic
def person_add(*, actor: Any, merchant: Merchant, data: dict[str, Any]) -> Person:
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    ensure_member(actor=actor, merchant=merchant)
    person = Person(merchant=merchant, **_clean_person_data(data))
    if not (
        person.is_legal_representative
        or person.is_director
        or person.is_beneficial_owner
        or person.ownership_percent
    ):
        raise InvalidInput(
            "Say how this person is related to the merchant.",
            fields={"is_legal_representative": ["Choose at least one role."]},
        )
    _full_clean(person)
    _check_ownership(merchant, person)
    person.save()
    audit_record(
        action="person.added",
        actor=actor,
        obj=person,
        merchant_id=merchant.pk,
        after=_snapshot(person, PERSON_FIELDS),
    )
    hooks.details_changed(
        hooks.DetailsChange(
            actor=actor,
            merchant_id=merchant.pk,
            event=hooks.PERSON_ADDED,
            after=_snapshot(person, PERSON_FIELDS),
            person_id=person.pk,
            person_name=person.full_name,
        )
    )
    return person


@transaction.atomic
def person_update(*, actor: Any, person: Person, data: dict[str, Any]) -> Person:
    merchant = Merchant.objects.select_for_update().get(pk=person.merchant_id)
    ensure_member(actor=actor, merchant=merchant)
    person = Person.objects.get(pk=person.pk)
    before = _snapshot(person, PERSON_FIELDS)
    for key, value in _clean_person_data(data).items():
        setattr(person, key, value)
    _full_clean(person)
    _check_ownership(merchant, person)
    person.save()
    audit_record(
        action="person.updated",
        actor=actor,
        obj=person,
        merchant_id=merchant.pk,
        before=before,
        after=_snapshot(person, PERSON_FIELDS),
    )
    hooks.details_changed(
        hooks.DetailsChange(
            actor=actor,
            merchant_id=merchant.pk,
            event=hooks.PERSON_UPDATED,
            before=before,
            after=_snapshot(person, PERSON_FIELDS),
            person_id=person.pk,
            person_name=person.full_name,
        )
    )
    return person


@transaction.atomic
def person_remove(*, actor: Any, person: Person) -> None:
    merchant = Merchant.objects.select_for_update().get(pk=person.merchant_id)
    ensure_member(actor=actor, merchant=merchant)
    before = _snapshot(person, PERSON_FIELDS)
    audit_record(
        action="person.removed", actor=actor, obj=person, merchant_id=merchant.pk, before=before
    )
    hooks.details_changed(
        hooks.DetailsChange(
            actor=actor,
            merchant_id=merchant.pk,
            event=hooks.PERSON_REMOVED,
            before=before,
            person_id=person.pk,
            person_name=person.full_name,
        )
    )
    person.delete()


@transaction.atomic
def capability_request(
    *,
    actor: Any,
    merchant: Merchant,
    kind: str,
    category: Category | None = None,
    brand: Brand | None = None,
) -> Capability:
    """Requests a capability (idempotent: asking again for one already pending returns it)."""
    ensure_member(actor=actor, merchant=merchant)
    if kind == CapabilityKind.CATEGORY:
        if category is None:
            raise InvalidInput("Choose a category.", fields={"category": ["Required."]})
        if category.is_prohibited:
            raise InvalidInput(
                f"“{category.name_en}” is a prohibited category and cannot be applied for.",
                code="category_prohibited",
                fields={"category": ["This category is prohibited on the platform."]},
            )
        lookup: dict[str, Any] = {"kind": kind, "category": category}
    elif kind == CapabilityKind.BRAND:
        if brand is None:
            raise InvalidInput("Choose a brand.", fields={"brand": ["Required."]})
        lookup = {"kind": kind, "brand": brand}
    elif kind == CapabilityKind.SELL:
        lookup = {"kind": kind}
    else:
        raise InvalidInput("Unknown capability kind.", fields={"kind": ["Unknown kind."]})
    capability, created = Capability.objects.select_for_update().get_or_create(
        merchant=merchant,
        **lookup,
        defaults={"status": CapabilityStatus.PENDING, "requested_at": timezone.now()},
    )
    if not created and capability.status in (CapabilityStatus.PENDING, CapabilityStatus.ACTIVE):
        return capability
    before = capability.status
    capability.status = CapabilityStatus.PENDING
    capability.disabled_reason = ""
    capability.requested_at = timezone.now()
    capability.status_changed_at = timezone.now()
    capability.save()
    _emit_capability_change(capability, None if created else before)
    audit_record(
        action="capability.requested",
        actor=actor,
        obj=capability,
        merchant_id=merchant.pk,
        before=None if created else {"status": before},
        after={"status": capability.status, "capability": capability.code},
    )
    hooks.details_changed(
        hooks.DetailsChange(
            actor=actor,
            merchant_id=merchant.pk,
            event=hooks.CAPABILITY_REQUESTED,
            before={"capability": capability.code, "status": None if created else before},
            after={"capability": capability.code, "status": capability.status},
        )
    )
    return capability


def _emit_capability_change(capability: Capability, previous_status: str | None) -> None:
    """The webhook of a capability status change. Every change goes through
    capability_set_status (decisions, expiry, withdrawal) or capability_request (a seller's
    application); webhooks sits below merchants, so both call it directly."""
    webhook_emit(
        event_type=f"capability.{capability.status}",
        data={
            "capability_id": capability.pk,
            "merchant_id": capability.merchant_id,
            "kind": capability.kind,
            "code": capability.code,
            "category": capability.category.code if capability.category else None,
            "brand_id": capability.brand_id,
            "status": capability.status,
            "previous_status": previous_status,
            "disabled_reason": capability.disabled_reason,
        },
        merchant_id=capability.merchant_id,
    )


def capability_set_status(
    *, capability: Capability, status: str, disabled_reason: str = ""
) -> dict[str, Any]:
    """Changes a capability's status in the caller's transaction; returns the before/after
    for the caller's audit event (the case decision that caused it)."""
    before = {"status": capability.status, "disabled_reason": capability.disabled_reason}
    capability.status = status
    capability.disabled_reason = "" if status == CapabilityStatus.ACTIVE else disabled_reason
    capability.status_changed_at = timezone.now()
    capability.save(update_fields=["status", "disabled_reason", "status_changed_at"])
    if before["status"] != status:
        _emit_capability_change(capability, before["status"])
    return {
        "capability": capability.code,
        "before": before,
        "after": {"status": status, "disabled_reason": capability.disabled_reason},
    }
