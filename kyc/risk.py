"""A transparent risk score: a sum of named factors, each with its points and reason.

Factors: country (of registration, and each person's nationality), category, business
model, sanctions screening, ownership opacity, PEP, failed document checks and duplicate
signals (fraud-ring). The tier thresholds, the country classes and the category points are
data (kyc.RiskSettings, edited by compliance admins; seeded from kyc/risk_data.py and
settings.KYC_RISK_TIER_THRESHOLDS); the other figures live in kyc/risk_data.py. A confirmed
sanctions match makes the merchant prohibited whatever the sum.

`merchant_risk` only reads (a fixed number of queries whatever the merchant's size);
`risk_assess` stores the result as a RiskAssessment with one audit event.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from config.i18n import localized
from merchants.models import (
    Capability,
    CapabilityKind,
    CapabilityStatus,
    EntityType,
    Merchant,
    Person,
    RiskTier,
)

from . import risk_data
from .labels import BilingualText, CheckCodes
from .models import (
    CheckOutcome,
    Disposition,
    DocumentCheckResult,
    DocumentStatus,
    RiskAssessment,
    RiskSettings,
    ScreeningMatch,
)

# From least to most severe; thresholds are read from settings on every call so that a
# deployment (or a test) can tune them.
TIER_ORDER: tuple[str, ...] = (
    RiskTier.LOW,
    RiskTier.MEDIUM,
    RiskTier.HIGH,
    RiskTier.PROHIBITED,
)
DEFAULT_TIER_THRESHOLDS = {"medium": 25, "high": 60, "prohibited": 100}
# Tiers that force enhanced due diligence and four-eyes approval.
EDD_TIERS = frozenset({RiskTier.HIGH, RiskTier.PROHIBITED})
OWNER_LEGAL_TYPES = frozenset({EntityType.COMPANY, EntityType.PARTNERSHIP})
SCREENING_REASON_NAMES = 5  # matches named in a factor's reason; the rest are counted


def tier_rank(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else 0


def default_tier_thresholds() -> dict[str, int]:
    """The thresholds a fresh installation starts with (the deployment's settings)."""
    merged = {**DEFAULT_TIER_THRESHOLDS, **getattr(settings, "KYC_RISK_TIER_THRESHOLDS", {})}
    return {tier: int(merged[tier]) for tier in DEFAULT_TIER_THRESHOLDS}


@dataclass(frozen=True)
class RiskFigures:
    """The editable figures one score uses, read once (one query) per score."""

    thresholds: dict[str, int]
    country_classes: tuple[risk_data.CountryClass, ...]
    category_points: dict[str, int]


def risk_figures() -> RiskFigures:
    """The figures compliance admins maintain (kyc.RiskSettings), or the code's defaults when
    no row exists (a database flushed by a test)."""
    row = RiskSettings.objects.filter(pk=1).first()
    if row is None:
        return RiskFigures(
            thresholds=default_tier_thresholds(),
            country_classes=risk_data.COUNTRY_CLASSES,
            category_points=dict(risk_data.CATEGORY_POINTS),
        )
    classes = tuple(
        risk_data.CountryClass(
            code=str(c["code"]),
            label=str(c.get("label_en") or c["code"]),
            label_zh=str(c.get("label_zh") or ""),
            points=int(c.get("points", 0)),
            nationality_points=int(c.get("nationality_points", 0)),
            countries=frozenset(str(x).upper() for x in c.get("countries", [])),
        )
        for c in row.country_classes
    )
    return RiskFigures(
        thresholds=row.thresholds,
        country_classes=classes,
        category_points={str(k): int(v) for k, v in row.category_points.items()},
    )


def tier_for_points(points: int, thresholds: dict[str, int] | None = None) -> str:
    if thresholds is None:
        thresholds = risk_figures().thresholds
    for tier in reversed(TIER_ORDER[1:]):
        if points >= int(thresholds[str(tier)]):
            return str(tier)
    return str(RiskTier.LOW)


def _render(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _bilingual(message: Any, **params: Any) -> tuple[str, str]:
    """The reason in English (what the audit trail keeps) and in Chinese (for the page).
    Lazy labels among the params are rendered in each language too."""
    out = []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            out.append(str(message) % {k: _render(v) for k, v in params.items()})
    return out[0], out[1]


@dataclass
class RiskScore:
    """The factors, their sum and the tier they give. `forced_tier` is a floor set by a
    fact that no number of points may outweigh (a confirmed sanctions match)."""

    points: int = 0
    factors: list[dict[str, Any]] = field(default_factory=list)
    forced_tier: str = ""
    # The thresholds in force when the score was computed (None: read them when asked).
    thresholds: dict[str, int] | None = None

    def add(self, code: str, points: int, reason: Any, **params: Any) -> None:
        if isinstance(reason, str) and not params:
            en, zh = reason, reason
        else:
            en, zh = _bilingual(reason, **params)
        self.points += points
        self.factors.append({"code": code, "points": points, "reason": en, "reason_zh": zh})

    @property
    def tier(self) -> str:
        computed = tier_for_points(self.points, self.thresholds)
        if self.forced_tier and tier_rank(self.forced_tier) > tier_rank(computed):
            return self.forced_tier
        return computed

    @property
    def requires_edd(self) -> bool:
        return self.tier in EDD_TIERS


# --------------------------------------------------------------------------- factors

CLASS_LABELS: dict[str, Any] = {
    "embargoed": _("comprehensive sanctions / embargo"),
    "fatf_call_for_action": _("FATF call for action (black list)"),
    "broadly_sanctioned": _("broad sanctions programmes"),
    "fatf_increased_monitoring": _("FATF increased monitoring (grey list)"),
}
DUPLICATE_REASONS: dict[str, Any] = {
    "duplicate_file_other_merchant": _(
        "The same file is on record for another merchant (%(count)s document(s))."
    ),
    "duplicate_registration_number_other_merchant": _(
        "The same registration number is on record for another merchant (%(count)s document(s))."
    ),
}


def _country_factors(
    score: RiskScore, merchant: Merchant, people: list[Person], figures: RiskFigures
) -> None:
    classes = risk_data.country_classes(merchant.country, figures.country_classes)
    if classes:
        worst = classes[0]
        score.add(
            f"country_{worst.code}",
            worst.points,
            _("Registered in %(country)s: %(classes)s."),
            country=merchant.country.upper(),
            classes=_labels(classes),
        )
    for person in people:
        person_classes = risk_data.country_classes(person.nationality, figures.country_classes)
        if person_classes and person_classes[0].nationality_points:
            worst = person_classes[0]
            score.add(
                f"nationality_{worst.code}",
                worst.nationality_points,
                _("%(name)s is a national of %(country)s: %(classes)s."),
                name=person.full_name,
                country=person.nationality.upper(),
                classes=_labels(person_classes),
            )


class _ClassLabel:
    """A country class's name in the language active when it is rendered (_bilingual
    renders the reason in each language)."""

    def __init__(self, country_class: risk_data.CountryClass) -> None:
        self.country_class = country_class

    def __str__(self) -> str:
        c = self.country_class
        if c.label_zh:
            return localized(c.label, c.label_zh)
        return str(CLASS_LABELS.get(c.code, c.label))


def country_class_label(country_class: risk_data.CountryClass) -> str:
    """A country class's name in the active language."""
    return str(_ClassLabel(country_class))


def _labels(classes: Iterable[risk_data.CountryClass]) -> list[Any]:
    return [_ClassLabel(c) for c in classes]


def _category_factors(
    score: RiskScore, capabilities: list[Capability], figures: RiskFigures
) -> None:
    for capability in capabilities:
        category = capability.category
        if category is None:
            continue
        if category.is_prohibited:
            score.add(
                "category_prohibited",
                risk_data.PROHIBITED_CATEGORY_POINTS,
                _("Applies to sell in a prohibited category: %(category)s."),
                category=BilingualText(category.name_en, category.name_zh),
            )
            continue
        points = figures.category_points.get(category.code, 0)
        if points:
            score.add(
                f"category_{category.code}",
                points,
                _("Sells in a regulated category: %(category)s."),
                category=BilingualText(category.name_en, category.name_zh),
            )


def _business_model_factor(score: RiskScore, merchant: Merchant) -> None:
    points = risk_data.BUSINESS_MODEL_POINTS.get(merchant.business_model, 0)
    if not points:
        return
    if merchant.business_model == "p2p_merchant":
        score.add("business_model_p2p", points, _("P2P merchant business model."))
    else:
        score.add("business_model_cross_border", points, _("Cross-border B2B trade."))


def _describe_matches(rows: list[tuple[str, str, str, str]]) -> str:
    named = [f"{screened} ~ {listed} ({list_id})" for _s, screened, listed, list_id in rows]
    text = "; ".join(named[:SCREENING_REASON_NAMES])
    if len(named) > SCREENING_REASON_NAMES:
        text += f"; +{len(named) - SCREENING_REASON_NAMES}"
    return text


def _screening_factors(score: RiskScore, matches: list[tuple[str, str, str, str]]) -> None:
    by_status: dict[str, list[tuple[str, str, str, str]]] = {}
    for row in matches:
        by_status.setdefault(row[0], []).append(row)
    confirmed = by_status.get(Disposition.CONFIRMED, [])
    if confirmed:
        score.add(
            "screening_confirmed",
            risk_data.SCREENING_CONFIRMED_POINTS,
            _("Confirmed sanctions match (%(count)s): %(matches)s."),
            count=len(confirmed),
            matches=_describe_matches(confirmed),
        )
        # OFAC: no dealings with a listed party, whatever else the file shows.
        score.forced_tier = str(RiskTier.PROHIBITED)
    open_ = by_status.get(Disposition.OPEN, [])
    if open_:
        score.add(
            "screening_open",
            risk_data.SCREENING_OPEN_POINTS,
            _("Sanctions screening hits awaiting disposition (%(count)s): %(matches)s."),
            count=len(open_),
            matches=_describe_matches(open_),
        )
    inconclusive = by_status.get(Disposition.INCONCLUSIVE, [])
    if inconclusive:
        score.add(
            "screening_inconclusive",
            risk_data.SCREENING_INCONCLUSIVE_POINTS,
            _("Screening hits disposed as inconclusive (%(count)s): %(matches)s."),
            count=len(inconclusive),
            matches=_describe_matches(inconclusive),
        )


def _strong_hit_cleared_factor(score: RiskScore, cleared: list[tuple[Any, ...]]) -> None:
    """A strong hit cleared as a false positive (by two people) stays visible in the score,
    naming who cleared it, so the tier does not silently fall back as if it never existed."""
    if not cleared:
        return
    described = [
        f"{screened} ~ {listed} ({list_id})"
        + (f" — {by}" + (f" + {agreed}" if agreed else "") if by else "")
        for _status, screened, listed, list_id, by, agreed in cleared[:SCREENING_REASON_NAMES]
    ]
    if len(cleared) > SCREENING_REASON_NAMES:
        described.append(f"+{len(cleared) - SCREENING_REASON_NAMES}")
    score.add(
        "screening_strong_hit_cleared",
        risk_data.SCREENING_STRONG_CLEARED_POINTS,
        _(
            "Strong sanctions hit(s) (score %(threshold)s or more) cleared as false positive "
            "by two staff members (%(count)s): %(matches)s."
        ),
        threshold=settings.KYC_STRONG_HIT_SCORE,
        count=len(cleared),
        matches="; ".join(described),
    )


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def looks_like_entity(name: str) -> bool:
    """Whether an owner's name reads as a company, trust or fund rather than a person."""
    if any(marker in name for marker in risk_data.ENTITY_NAME_MARKERS_CJK):
        return True
    # "S.A.", "B.V.", "K.K.": drop the dots so the letters form one word.
    words = {w.lower() for w in _WORD.findall(name.replace(".", ""))}
    return bool(words & risk_data.ENTITY_NAME_WORDS)


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _ownership_factors(score: RiskScore, merchant: Merchant, people: list[Person]) -> None:
    if merchant.entity_type not in OWNER_LEGAL_TYPES:
        return
    threshold = Decimal(settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD)
    owners = [p for p in people if p.is_beneficial_owner or Decimal(p.ownership_percent) > 0]
    if not any(Decimal(p.ownership_percent) >= threshold for p in owners):
        score.add(
            "ownership_no_declared_owner",
            risk_data.OWNERSHIP_NO_DECLARED_OWNER_POINTS,
            _("No owner holding %(threshold)s%% or more is declared."),
            threshold=threshold,
        )
    total = sum((Decimal(p.ownership_percent) for p in owners), Decimal("0"))
    if total > 100:
        score.add(
            "ownership_over_100",
            risk_data.OWNERSHIP_OVER_100_POINTS,
            _("Declared ownership adds up to %(total)s%%, more than 100%%."),
            total=_pct(total),
        )
    elif 0 < total and 100 - total >= threshold:
        # Enough is unaccounted for to hide an undeclared owner above the threshold.
        score.add(
            "ownership_unaccounted",
            risk_data.OWNERSHIP_UNACCOUNTED_POINTS,
            _("Declared ownership adds up to %(total)s%%: %(rest)s%% is unaccounted for."),
            total=_pct(total),
            rest=_pct(100 - total),
        )
    layered = [
        p for p in owners if looks_like_entity(p.full_name) or looks_like_entity(p.local_name)
    ]
    if layered:
        score.add(
            "ownership_layered",
            risk_data.OWNERSHIP_LAYERED_POINTS,
            _("Owned through other entities: %(owners)s."),
            owners=", ".join(
                f"{p.full_name} ({_pct(Decimal(p.ownership_percent))}%)" for p in layered
            ),
        )


def _pep_factors(score: RiskScore, people: list[Person]) -> None:
    for person in people:
        if person.is_pep:
            score.add(
                "pep",
                risk_data.PEP_POINTS,
                _("%(name)s declared as a politically exposed person."),
                name=person.full_name,
            )


def _check_factors(score: RiskScore, results: list[tuple[Any, ...]]) -> None:
    """`results`: (outcome, code[, document id]). A duplicate signal counts once per document
    (the seller-visible failure and the staff-only signal of one document are one signal)."""
    duplicates = Counter(
        code
        for code, _doc in {(r[1], r[2] if len(r) > 2 else i) for i, r in enumerate(results)}
        if code in risk_data.DUPLICATE_SIGNAL_POINTS
    )
    failed = [
        code
        for outcome, code, *_rest in results
        if outcome == CheckOutcome.FAILED and code not in risk_data.DUPLICATE_SIGNAL_POINTS
    ]
    if failed:
        points = min(len(failed) * risk_data.FAILED_CHECK_POINTS, risk_data.FAILED_CHECKS_CAP)
        score.add(
            "failed_checks",
            points,
            _("%(count)s failed document check(s): %(codes)s."),
            count=len(failed),
            codes=CheckCodes(failed),  # the checks' labels, not their codes
        )
    for code in sorted(duplicates):
        score.add(
            code,
            risk_data.DUPLICATE_SIGNAL_POINTS[code],
            DUPLICATE_REASONS[code],
            count=duplicates[code],
        )


# --------------------------------------------------------------------------- score and store


def merchant_risk(merchant: Merchant) -> RiskScore:
    """The merchant's score from what is on file now. Read-only; five queries (the risk
    settings, people, category capabilities, screening matches, non-passing check results)."""
    figures = risk_figures()
    score = RiskScore(thresholds=figures.thresholds)
    people = list(merchant.people.all())
    capabilities = list(
        Capability.objects.filter(merchant=merchant, kind=CapabilityKind.CATEGORY)
        .exclude(status=CapabilityStatus.INACTIVE)
        .select_related("category")
        .order_by("category__code")
    )
    rows = list(
        ScreeningMatch.objects.filter(
            Q(status__in=[Disposition.CONFIRMED, Disposition.OPEN, Disposition.INCONCLUSIVE])
            | Q(status=Disposition.FALSE_POSITIVE, score__gte=settings.KYC_STRONG_HIT_SCORE)
        )
        .filter(merchant=merchant)
        .order_by("-score", "id")
        .values_list(
            "status",
            "screened_name",
            "entry__primary_name",
            "entry__list_id",
            "disposed_by__username",
            "agreed_by__username",
        )
    )
    matches = [
        (status, screened, listed, str(list_id))
        for status, screened, listed, list_id, _by, _agreed in rows
        if status != Disposition.FALSE_POSITIVE
    ]
    cleared = [row for row in rows if row[0] == Disposition.FALSE_POSITIVE]
    results = list(
        DocumentCheckResult.objects.filter(
            document__merchant=merchant, outcome__in=[CheckOutcome.FAILED, CheckOutcome.WARNING]
        )
        .exclude(document__status__in=[DocumentStatus.SUPERSEDED, DocumentStatus.REJECTED])
        .order_by("id")
        .values_list("outcome", "code", "document_id")
    )
    _country_factors(score, merchant, people, figures)
    _category_factors(score, capabilities, figures)
    _business_model_factor(score, merchant)
    _screening_factors(score, matches)
    _strong_hit_cleared_factor(score, cleared)
    _ownership_factors(score, merchant, people)
    _pep_factors(score, people)
    _check_factors(score, results)
    return score


def same_score(assessment: RiskAssessment | None, score: RiskScore) -> bool:
    """Whether a stored assessment already says what `score` says (re-scoring is a no-op)."""
    return (
        assessment is not None
        and assessment.points == score.points
        and assessment.tier == score.tier
        and assessment.factors == score.factors
    )


def risk_assessment_create(
    *, merchant: Merchant, score: RiskScore, **override: Any
) -> RiskAssessment:
    """Stores a computed score (and an override carried over from an earlier assessment).
    Writes no audit event: the caller's event names the assessment and its factors."""
    return RiskAssessment.objects.create(
        merchant=merchant,
        points=score.points,
        tier=score.tier,
        factors=score.factors,
        **override,
    )


@transaction.atomic
def risk_assess(*, merchant: Merchant, case: Any = None, actor: Any = None) -> RiskAssessment:
    """Scores the merchant and stores the result with one "risk.assessed" audit event (naming
    the case when one is given). Linking it to a case, and what the tier means for the case,
    is cases.screening.case_score's job (kyc does not know about cases)."""
    score = merchant_risk(merchant)
    assessment = risk_assessment_create(merchant=merchant, score=score)
    audit_record(
        action="risk.assessed",
        actor=actor,
        obj=assessment,
        case_id=getattr(case, "pk", None),
        merchant_id=merchant.pk,
        after={"points": score.points, "tier": score.tier, "factors": score.factors},
    )
    return assessment
