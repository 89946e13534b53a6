"""A transparent risk score: a sum of named factors, each with its points and reason.

The spine uses the factors it already knows (country, PEP, business model, category); the
automated-evidence work adds screening, ownership opacity, failed checks and duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from merchants.models import BusinessModel, Merchant, RiskTier

# FATF "call for action" and "increased monitoring" jurisdictions (illustrative data; in a
# deployment this list is maintained by compliance admins).
HIGH_RISK_COUNTRIES = frozenset({"KP", "IR", "MM", "SY", "RU", "VE", "YE", "AF"})
TIER_THRESHOLDS = ((60, RiskTier.HIGH), (25, RiskTier.MEDIUM), (0, RiskTier.LOW))


@dataclass
class RiskScore:
    points: int = 0
    factors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, points: int, reason: str) -> None:
        self.points += points
        self.factors.append({"code": code, "points": points, "reason": reason})

    @property
    def tier(self) -> str:
        for threshold, tier in TIER_THRESHOLDS:
            if self.points >= threshold:
                return str(tier)
        return str(RiskTier.LOW)


def merchant_risk(merchant: Merchant) -> RiskScore:
    score = RiskScore()
    if merchant.country in HIGH_RISK_COUNTRIES:
        score.add(
            "country_high_risk", 60, f"Registered in a high-risk country ({merchant.country})."
        )
    if merchant.business_model == BusinessModel.P2P_MERCHANT:
        score.add("business_model_p2p", 25, "P2P merchant business model.")
    elif merchant.business_model == BusinessModel.CROSS_BORDER_B2B:
        score.add("business_model_cross_border", 10, "Cross-border B2B trade.")
    for person in merchant.people.all():
        if person.is_pep:
            score.add("pep", 60, f"{person.full_name} declared as a politically exposed person.")
        if person.nationality in HIGH_RISK_COUNTRIES:
            score.add(
                "person_high_risk_country",
                30,
                f"{person.full_name} is a national of {person.nationality}.",
            )
    return score
