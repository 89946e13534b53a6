"""The registration number passes its country's checksum (python-stdnum), and the number on
the registration document is the merchant's.

Country -> validators used (the first that accepts the number wins):

    CN  stdnum.cn.uscc      unified social credit code (统一社会信用代码), 18 chars + check
        stdnum.cn.ric       resident ID, for individual sellers and sole proprietors only
    SG  stdnum.sg.uen       Unique Entity Number (ACRA), with check letter
    US  stdnum.us.ein       Employer Identification Number (prefix table)
    GB  stdnum.gb.utr       Unique Taxpayer Reference (check digit)
        stdnum.gb.vat       VAT registration number (check digits)
        Companies House numbers (8 digits, or 2 letters + 6 digits) have no check digit and
        python-stdnum has no module for them: format only, a WARNING
    DE  stdnum.de.handelsregisternummer   court + register (HRA/HRB/...) + number (format)
    FR  stdnum.fr.siren     SIREN, 9 digits, Luhn
        stdnum.fr.siret     SIRET, 14 digits, Luhn
    JP  stdnum.jp.cn        corporate number (法人番号), 13 digits with check digit
    MY  stdnum.my.nric      NRIC, for individual sellers and sole proprietors only; company
        numbers (SSM, 12 digits since 2019) have no check digit and python-stdnum has no
        module for them: format only, a WARNING
    HK  python-stdnum has no Hong Kong module (BR and CR numbers carry no public check
        digit): format only, a WARNING

Any other country: a WARNING (registration_number_no_validator), never a pass; a reviewer
checks the number against the registry.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from ..labels import VALIDATOR_LABELS, Label
from .base import CheckResult, failed, guarded, passed, warning
from .context import CheckContext

NAME = "registration_number"


@dataclass(frozen=True)
class Validator:
    label: str  # e.g. "cn.uscc"
    module: str  # e.g. "stdnum.cn.uscc"
    description: str


VALIDATORS: dict[str, tuple[Validator, ...]] = {
    "CN": (Validator("cn.uscc", "stdnum.cn.uscc", "unified social credit code"),),
    "SG": (Validator("sg.uen", "stdnum.sg.uen", "Unique Entity Number"),),
    "US": (Validator("us.ein", "stdnum.us.ein", "Employer Identification Number"),),
    "GB": (
        Validator("gb.utr", "stdnum.gb.utr", "Unique Taxpayer Reference"),
        Validator("gb.vat", "stdnum.gb.vat", "VAT registration number"),
    ),
    "DE": (
        Validator(
            "de.handelsregisternummer",
            "stdnum.de.handelsregisternummer",
            "commercial register number",
        ),
    ),
    "FR": (
        Validator("fr.siren", "stdnum.fr.siren", "SIREN"),
        Validator("fr.siret", "stdnum.fr.siret", "SIRET"),
    ),
    "JP": (Validator("jp.cn", "stdnum.jp.cn", "corporate number"),),
}

# Individuals register with their personal ID where there is no business registration.
PERSONAL_VALIDATORS: dict[str, tuple[Validator, ...]] = {
    "CN": (Validator("cn.ric", "stdnum.cn.ric", "resident identity card number"),),
    "MY": (Validator("my.nric", "stdnum.my.nric", "NRIC"),),
}
PERSONAL_ENTITY_TYPES = frozenset({"individual", "sole_proprietorship"})

# Numbers that have no check digit at all: the format is all that can be said.
FORMATS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "GB": (("companies_house", re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")),),
    "HK": (
        ("business_registration", re.compile(r"^\d{8}(\d{3}(\d{2}\d?)?)?$")),
        ("company_registration", re.compile(r"^\d{7}$")),
    ),
    "MY": (
        ("ssm_2019", re.compile(r"^\d{12}$")),
        ("ssm_legacy", re.compile(r"^\d{1,7}[A-Z]$")),
    ),
}

_SEPARATORS = re.compile(r"[\s\-./]+")


def compact_number(number: str) -> str:
    """Upper case without spaces or separators: how two numbers are compared."""
    return _SEPARATORS.sub("", number or "").upper()


def validators_for(country: str, entity_type: str = "") -> tuple[Validator, ...]:
    found = VALIDATORS.get(country.upper(), ())
    if entity_type in PERSONAL_ENTITY_TYPES:
        found = found + PERSONAL_VALIDATORS.get(country.upper(), ())
    return found


def _name(validator: Validator) -> Label:
    # The seller reads the validator's name in their language, never its code ("cn.uscc").
    return VALIDATOR_LABELS.get(
        validator.label, Label(validator.description, validator.description)
    )


def _validate(validator: Validator, number: str) -> tuple[bool, str]:
    module: Any = importlib.import_module(validator.module)
    try:
        module.validate(number)
    except Exception as exc:  # stdnum's ValidationError, or anything odd input provokes
        return False, str(exc) or type(exc).__name__
    return True, ""


@guarded(NAME)
def check(ctx: CheckContext) -> CheckResult:
    merchant = ctx.merchant
    country = merchant.country.upper()
    number = (ctx.number or merchant.registration_number).strip()
    if not number:
        return failed(
            NAME,
            "registration_number_missing",
            "Enter the registration number printed on the document.",
            "请填写文件上印有的注册号。",
            country=country,
        )
    compact = compact_number(number)
    validators = validators_for(country, merchant.entity_type)
    errors: dict[str, str] = {}
    accepted: Validator | None = None
    for validator in validators:
        ok, error = _validate(validator, number)
        if ok:
            accepted = validator
            break
        errors[validator.label] = error
    formats = [label for label, pattern in FORMATS.get(country, ()) if pattern.match(compact)]
    evidence: dict[str, Any] = {
        "number": number,
        "country": country,
        "validators": [v.label for v in validators],
    }
    if accepted is None and validators and not formats:
        names_en = ", ".join(_name(v).en for v in validators)
        names_zh = "、".join(_name(v).zh for v in validators)
        return failed(
            NAME,
            "registration_number_invalid",
            f"The registration number {number} is not a valid {country} number ({names_en}): "
            "check it against the document and correct it.",
            f"注册号 {number} 不是有效的 {country} 号码（{names_zh}）。请对照文件核对并更正。",
            errors=errors,
            **evidence,
        )
    profile = compact_number(merchant.registration_number)
    if ctx.number.strip() and profile and compact_number(ctx.number) != profile:
        return failed(
            NAME,
            "registration_number_mismatch",
            f"The number on the document ({ctx.number.strip()}) differs from the registration "
            f"number in your profile ({merchant.registration_number}). Correct whichever is "
            "wrong.",
            f"文件上的号码（{ctx.number.strip()}）与您资料中的注册号"
            f"（{merchant.registration_number}）不一致。请更正有误的一项。",
            profile_number=merchant.registration_number,
            **evidence,
        )
    if accepted is not None:
        return passed(
            NAME,
            "registration_number_valid",
            f"The registration number is a valid {_name(accepted).en}.",
            f"注册号校验通过（{_name(accepted).zh}）。",
            validator=accepted.label,
            **evidence,
        )
    return warning(
        NAME,
        "registration_number_no_validator",
        f"{country} registration numbers cannot be verified automatically; a reviewer will "
        "check this one against the registry.",
        f"无法自动校验 {country} 的注册号；审核人员将与登记机关记录进行核对。",
        format_matches=formats,
        errors=errors,
        **evidence,
    )
