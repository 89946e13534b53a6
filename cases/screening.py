"""Case-level sanctions screening and risk: what runs after a submission (screen, apply
OFAC's 50% rule, score, route high risk to EDD), a reviewer's disposition of a hit, a
reviewer's override of the risk tier, and the re-screening of every live merchant after a
sanctions list is reloaded.

The name matching itself belongs to kyc.screening (`screen_merchant` creates the
ScreeningMatch rows idempotently and writes "screening.completed"); this module decides what
a hit means for a case. Each service runs in its own transaction and writes one audit event
when it changes something; running any of them twice changes nothing the second time.

Dispositions: `open` blocks approval (cases.services refuses with `screening_hits_open`);
`inconclusive` does not block, but forces four-eyes, so a second, senior reviewer sees the
doubt before the merchant goes live; `confirmed` makes the merchant prohibited and refuses
approval; `false_positive` clears the hit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import QuerySet, When
from django.utils import timezone

from accounts.roles import REVIEWING_ROLES, Role, has_role
from audit.services import audit_record
from config.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from config.i18n import is_chinese
from kyc.labels import risk_factor_label
from kyc.models import (
    Disposition,
    RiskAssessment,
    SanctionsList,
    ScreeningMatch,
    ScreeningSubject,
)
from kyc.risk import (
    EDD_TIERS,
    RiskScore,
    merchant_risk,
    risk_assessment_create,
    same_score,
    tier_rank,
)
from merchants.models import Merchant, MerchantStatus, RiskTier

from . import queues
from .edd import edd_checklist_ensure
from .models import OPEN_STATES, CaseKind, CaseState, ReviewCase
from .services import (
    PRIORITY_BY_TIER,
    _case_state_snapshot,
    _lock_case,
    _match_ref,
    _require_holder,
    _require_role,
    _save,
    case_open_by_platform,
)

logger = logging.getLogger(__name__)

# OFAC's 50% rule: an entity owned 50% or more, directly or indirectly, individually or in
# the aggregate, by blocked persons is itself blocked.
OWNERSHIP_RULE_PERCENT = Decimal("50")
RESCREEN_BATCH_SIZE = 100
DISPOSITION_CHOICES = (Disposition.CONFIRMED, Disposition.FALSE_POSITIVE, Disposition.INCONCLUSIVE)
STATUS_ALIASES = {"confirmed_match": Disposition.CONFIRMED}
# States a case is worked in by the platform; scoring a draft or a decided case changes nothing.
SCORED_STATES = (
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.INFO_REQUESTED,
    CaseState.EDD,
    CaseState.PENDING_SECOND_APPROVAL,
)


def _screen_merchant(
    *, merchant: Merchant, sanctions_list: SanctionsList | None = None, case_id: int | None = None
) -> list[ScreeningMatch]:
    """kyc.screening's matcher: creates the merchant's new matches, returns them. With no
    sanctions list loaded there is nothing to screen against: the case is still scored, and
    the case page says the merchant has not been screened."""
    from kyc.screening.services import screen_merchant

    try:
        if case_id is None:
            return list(screen_merchant(merchant=merchant, sanctions_list=sanctions_list))
        # The screening on the case's own trail, between the change and its hits.
        return list(
            screen_merchant(merchant=merchant, sanctions_list=sanctions_list, case_id=case_id)
        )
    except DomainError as exc:
        if exc.code != "no_sanctions_list":
            raise
        logger.warning("merchant %s not screened: no active sanctions list", merchant.pk)
        return []


# What an audit event or an error says about a match (one shape everywhere).
match_summary = _match_ref


# --------------------------------------------------------------------------- reads


def screening_match_list(*, merchant_id: int) -> QuerySet[ScreeningMatch]:
    """The merchant's screening matches as the case page and the API show them: open ones
    first, then by score; everything a row shows is joined in (one query)."""
    return (
        ScreeningMatch.objects.filter(merchant_id=merchant_id)
        .select_related(
            "entry", "person", "disposed_by", "proposed_by", "agreed_by", "sanctions_list"
        )
        .order_by(
            DbCase(When(status=Disposition.OPEN, then=0), default=1),
            "-score",
            "id",
        )
    )


def risk_assessment_get(case: ReviewCase) -> RiskAssessment | None:
    if case.risk_assessment_id is None:
        return None
    return (
        RiskAssessment.objects.select_related("overridden_by")
        .filter(pk=case.risk_assessment_id)
        .first()
    )


def factor_rows(factors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The factors with their reason in the current language."""
    chinese = is_chinese()
    return [
        {
            "code": f.get("code", ""),
            "label": risk_factor_label(f.get("code", "")),
            "points": f.get("points", 0),
            "reason": (f.get("reason_zh") if chinese else None) or f.get("reason", ""),
        }
        for f in factors
    ]


# --------------------------------------------------------------------------- 50% rule


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}"


@transaction.atomic
def screening_apply_ownership_rule(
    *, merchant_id: int, case_id: int | None = None
) -> ScreeningMatch | None:
    """OFAC's 50% rule: when the owners with an open or confirmed hit together hold 50% or
    more, the merchant is treated as listed — one ScreeningMatch with subject "ownership",
    pointing at the largest such owner's listed entry and naming every owner and the total.
    Returns the new match, or None (rule not met, or the match already exists)."""
    # The merchant row lock serialises two runs for the same merchant. NO KEY UPDATE: rows
    # referencing the merchant (an assessment, a match) may still be inserted meanwhile,
    # so a concurrent case_score (case lock, then a row pointing at the merchant) cannot
    # deadlock with us (merchant lock, then the case lock).
    merchant = Merchant.objects.select_for_update(no_key=True).get(pk=merchant_id)
    hits = (
        ScreeningMatch.objects.filter(
            merchant=merchant,
            subject=ScreeningSubject.PERSON,
            person__isnull=False,
            status__in=[Disposition.OPEN, Disposition.CONFIRMED],
        )
        .select_related("person", "entry")
        .order_by("-score", "id")
    )
    best: dict[int, ScreeningMatch] = {}
    for hit in hits:
        best.setdefault(hit.person_id, hit)  # type: ignore[arg-type]
    owners = [m for m in best.values() if m.person and Decimal(m.person.ownership_percent) > 0]
    total = sum((Decimal(m.person.ownership_percent) for m in owners if m.person), Decimal(0))
    if total < OWNERSHIP_RULE_PERCENT:
        return None
    # Largest holding first, then the earliest declared: the same owner on every run, so the
    # match (unique per merchant, subject, name and entry) is never created twice.
    owners.sort(key=lambda m: (-Decimal(m.person.ownership_percent), m.person.pk))  # type: ignore[union-attr]
    lead = owners[0]
    parts = [
        f"{m.person.full_name} {_pct(Decimal(m.person.ownership_percent))}% "  # type: ignore[union-attr]
        f"(~ {m.entry.primary_name}, list id {m.entry.list_id}, {m.get_status_display()})"
        for m in owners
    ]
    explanation = (
        f"Owned {_pct(total)}% together by parties with sanctions screening hits — "
        + "; ".join(parts)
        + ". OFAC's 50% rule: an entity owned 50% or more by listed parties is treated as listed."
    )
    match, created = ScreeningMatch.objects.get_or_create(
        merchant=merchant,
        subject=ScreeningSubject.OWNERSHIP,
        screened_name=merchant.legal_name,
        entry=lead.entry,
        defaults={
            "sanctions_list_id": lead.sanctions_list_id,
            "matched_name": lead.entry.primary_name,
            "score": min(m.score for m in owners),
            "explanation": explanation,
        },
    )
    if not created:
        return None
    audit_record(
        action="screening.ownership_rule_matched",
        obj=match,
        case_id=case_id,
        merchant_id=merchant.pk,
        after={
            **match_summary(match),
            "ownership_total": _pct(total),
            "owners": [
                {
                    "person": m.person_id,
                    "name": m.person.full_name,  # type: ignore[union-attr]
                    "ownership_percent": _pct(Decimal(m.person.ownership_percent)),  # type: ignore[union-attr]
                    "match": m.pk,
                }
                for m in owners
            ],
        },
        text=explanation,
    )
    return match


# --------------------------------------------------------------------------- scoring


def _carried_override(previous: RiskAssessment | None, score: RiskScore) -> dict[str, Any]:
    """A reviewer's override stays in force on a new score unless the new facts make the
    computed tier more severe than the one the reviewer judged (then the override lapses and
    the new tier applies) or a confirmed sanctions match forbids anything below it."""
    if previous is None or not previous.override_tier:
        return {}
    if tier_rank(score.tier) > tier_rank(previous.tier):
        return {}
    if score.forced_tier and tier_rank(previous.override_tier) < tier_rank(score.forced_tier):
        return {}
    return {
        "override_tier": previous.override_tier,
        "override_comment": previous.override_comment,
        "overridden_by": previous.overridden_by,
        "overridden_at": previous.overridden_at,
    }


def _apply_tier(case: ReviewCase, tier: str) -> None:
    case.risk_tier = tier
    case.priority = min(case.priority, PRIORITY_BY_TIER.get(tier, 50))
    if case.submitted_at is not None:
        # A riskier tier shortens the SLA; a milder one never lengthens a running clock.
        due = case.submitted_at + timedelta(hours=settings.KYC_SLA_HOURS.get(tier, 48))
        case.sla_due_at = min(case.sla_due_at, due) if case.sla_due_at else due


def _has_inconclusive(score: RiskScore) -> bool:
    return any(f["code"] == "screening_inconclusive" for f in score.factors)


def _risk_snapshot(case: ReviewCase) -> dict[str, Any]:
    return {
        **_case_state_snapshot(case),
        "risk_tier": case.risk_tier,
        "requires_four_eyes": case.requires_four_eyes,
        "risk_assessment": case.risk_assessment_id,
    }


@transaction.atomic
def case_score(*, case_id: int) -> ReviewCase:
    """Scores the case's merchant from what is on file now and applies it to the case: the
    stored RiskAssessment, the tier, four-eyes, priority and SLA. A high or prohibited tier
    routes a submitted or in-review case to EDD ("case.routed_to_edd", with the factors);
    any other change is one "case.risk_scored" event. Nothing changes (and nothing is
    written) when the score is the one already on the case. Four-eyes, once required on a
    case, is never lifted by a later, milder score."""
    case = _lock_case(actor=None, case_id=case_id)
    if case.state not in SCORED_STATES:
        return case
    score = merchant_risk(case.merchant)
    previous = case.risk_assessment
    before = _risk_snapshot(case)
    if same_score(previous, score):
        assessment = previous
    else:
        assessment = risk_assessment_create(
            merchant=case.merchant, score=score, **_carried_override(previous, score)
        )
        case.risk_assessment = assessment
    assert assessment is not None
    tier = assessment.effective_tier
    _apply_tier(case, tier)
    if tier in EDD_TIERS or _has_inconclusive(score):
        case.requires_four_eyes = True
    routed = tier in EDD_TIERS and case.state in (CaseState.SUBMITTED, CaseState.IN_REVIEW)
    if routed:
        holder = case.assignee
        case.route_to_edd(
            keep_assignee=holder is not None and has_role(holder, Role.SENIOR_REVIEWER)
        )
        queues.case_route(case)
    after = _risk_snapshot(case)
    if after == before and not routed:
        return case
    _save(case)
    if routed:
        edd_checklist_ensure(case)
    audit_record(
        action="case.routed_to_edd" if routed else "case.risk_scored",
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after={
            **after,
            "points": assessment.points,
            "computed_tier": assessment.tier,
            "override_tier": assessment.override_tier,
            "factors": assessment.factors,
        },
        text="; ".join(f"{f['code']} +{f['points']}" for f in assessment.factors),
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    return case


# --------------------------------------------------------------------------- after submission


@transaction.atomic
def case_record_hits(*, case_id: int, matches: Iterable[ScreeningMatch]) -> None:
    """Names new screening hits in the case's history (one event), so the timeline of the
    case shows when they arrived."""
    found = list(matches)
    if not found:
        return
    case = _lock_case(actor=None, case_id=case_id)
    audit_record(
        action="screening.hits_recorded",
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        after={"matches": [match_summary(m) for m in found]},
    )


def case_screen_and_score(*, case_id: int) -> ReviewCase | None:
    """After a submission or an answered RFI: screens the merchant against the active list,
    applies the 50% rule, records the new hits on the case and scores it (routing it to EDD
    when the tier is high). Each step commits on its own, so a retry after a crash resumes
    where it stopped; every step is idempotent."""
    case = ReviewCase.objects.select_related("merchant").filter(pk=case_id).first()
    if case is None or case.state not in SCORED_STATES:
        return case
    new = _screen_merchant(merchant=case.merchant, case_id=case.pk)
    ownership = screening_apply_ownership_rule(merchant_id=case.merchant_id, case_id=case.pk)
    if ownership is not None:
        new.append(ownership)
    case_record_hits(case_id=case.pk, matches=new)
    return case_score(case_id=case.pk)


# --------------------------------------------------------------------------- dispositions


def _require_disposer(actor: Any, case: ReviewCase) -> None:
    if case.state in (CaseState.IN_REVIEW, CaseState.EDD):
        _require_holder(actor, case)
        if case.state == CaseState.EDD and not has_role(actor, Role.SENIOR_REVIEWER):
            raise NotAllowed("Only senior reviewers decide EDD cases.")
        return
    if case.state == CaseState.PENDING_SECOND_APPROVAL:
        # A hit found while the case waits for its checker: the checker disposes of it.
        if not has_role(actor, Role.SENIOR_REVIEWER):
            raise NotAllowed("Only a senior reviewer decides a case awaiting second approval.")
        if case.maker_id == actor.pk:
            raise NotAllowed(
                "Four-eyes: the maker cannot also be the checker.", code="maker_checker"
            )
        return
    raise Conflict(
        f"Case {case.pk} is {case.get_state_display().lower()}; screening hits are disposed "
        "of while it is in review.",
        code="invalid_state",
        details={"state": case.state},
    )


PROPOSAL_FIELDS = (
    "proposed_by",
    "proposed_at",
    "proposal_comment",
    "agreed_by",
    "agreed_at",
    "agreement_comment",
)
# Everything a disposition (proposed, agreed or single) writes on the match.
DISPOSITION_FIELDS = [
    "status",
    "disposition_comment",
    "disposed_by",
    "disposed_at",
    *PROPOSAL_FIELDS,
]


def _lock_match(case: ReviewCase, match_id: int) -> ScreeningMatch:
    """The case merchant's match, locked; another merchant's id answers like a missing one."""
    match = (
        ScreeningMatch.objects.select_for_update(of=("self",))
        .select_related("entry")
        .filter(pk=match_id, merchant_id=case.merchant_id)
        .first()
    )
    if match is None:
        raise NotFound("Screening match not found.")
    return match


def _disposition_snapshot(match: ScreeningMatch) -> dict[str, Any]:
    return {
        "status": match.status,
        "comment": match.disposition_comment,
        "disposed_by": match.disposed_by_id,
        "disposed_at": match.disposed_at,
        "proposed_by": match.proposed_by_id,
        "agreed_by": match.agreed_by_id,
    }


def _propose_false_positive(
    *, actor: Any, case: ReviewCase, match: ScreeningMatch, comment: str
) -> ScreeningMatch:
    """The first person's false-positive disposition of a strong hit: recorded as a proposal;
    the hit stays open (it still blocks approval and still scores as open) until a different
    staff member agrees (`screening_agree`). One "screening.disposition_proposed" event;
    proposing again the same way changes nothing."""
    if (
        match.awaits_agreement
        and match.proposed_by_id == actor.pk
        and match.proposal_comment == comment
    ):
        return match
    if match.status == Disposition.FALSE_POSITIVE and match.agreed_by_id is not None:
        if match.disposition_comment == comment:
            return match  # already cleared by two people
    before = _disposition_snapshot(match)
    match.status = Disposition.OPEN
    match.disposition_comment = ""
    match.disposed_by, match.disposed_at = None, None
    match.proposed_by, match.proposed_at, match.proposal_comment = actor, timezone.now(), comment
    match.agreed_by, match.agreed_at, match.agreement_comment = None, None, ""
    match.save(update_fields=DISPOSITION_FIELDS)
    audit_record(
        action="screening.disposition_proposed",
        actor=actor,
        obj=match,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after={
            **_disposition_snapshot(match),
            **match_summary(match),
            "proposed_status": Disposition.FALSE_POSITIVE,
            "strong_hit_score": settings.KYC_STRONG_HIT_SCORE,
        },
        text=comment,
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    if before["status"] != Disposition.OPEN:
        from .tasks import score_case_task

        score_case_task.delay_on_commit(case.pk)
    return match


@transaction.atomic
def screening_agree(
    *, actor: Any, case_id: int, match_id: int, comment: str = ""
) -> ScreeningMatch:
    """The second staff member's agreement with a proposed false-positive disposition of a
    strong hit (four-eyes): only a reviewer or senior reviewer who is not the proposer, while
    the case is open for review. Clears the hit (`false_positive`, disposed by the proposer,
    agreed by the actor), writes one "screening.disposition_agreed" event and re-scores the
    case after commit; the risk breakdown then names both. The proposer is refused (403
    `four_eyes_same_person`); without a pending proposal it is a conflict (409)."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers dispose of screening hits.")
    if case.state not in (CaseState.IN_REVIEW, CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL):
        raise Conflict(
            f"Case {case.pk} is {case.get_state_display().lower()}; screening hits are disposed "
            "of while it is in review.",
            code="invalid_state",
            details={"state": case.state},
        )
    if case.state != CaseState.IN_REVIEW and not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed("Only a senior reviewer decides a case awaiting second approval.")
    match = _lock_match(case, match_id)
    if not match.awaits_agreement:
        raise Conflict(
            "No false-positive disposition of this hit awaits a second person.",
            code="no_disposition_proposed",
        )
    if match.proposed_by_id == actor.pk:
        raise NotAllowed(
            "Four-eyes: the person who proposed clearing this hit cannot also agree to it.",
            code="four_eyes_same_person",
        )
    before = _disposition_snapshot(match)
    match.status = Disposition.FALSE_POSITIVE
    match.disposition_comment = match.proposal_comment
    match.disposed_by, match.disposed_at = match.proposed_by, match.proposed_at
    match.agreed_by, match.agreed_at = actor, timezone.now()
    match.agreement_comment = (comment or "").strip()
    match.save(update_fields=DISPOSITION_FIELDS)
    audit_record(
        action="screening.disposition_agreed",
        actor=actor,
        obj=match,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after={**_disposition_snapshot(match), **match_summary(match)},
        text=match.agreement_comment,
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    from .tasks import score_case_task

    score_case_task.delay_on_commit(case.pk)
    return match


@transaction.atomic
def screening_dispose(
    *, actor: Any, case_id: int, match_id: int, status: str, comment: str
) -> ScreeningMatch:
    """A reviewer's disposition of one screening hit of the case's merchant: confirmed match,
    false positive or inconclusive, always with a comment. Only the reviewer holding the case
    (a senior reviewer in EDD; the checker while it awaits second approval). One
    "screening.disposed" event with before and after; `inconclusive` makes the case need
    four-eyes; the merchant is re-scored after commit. Disposing again the same way with the
    same comment changes nothing."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers dispose of screening hits.")
    _require_disposer(actor, case)
    match = _lock_match(case, match_id)
    status = STATUS_ALIASES.get(status, status)
    errors: dict[str, list[str]] = {}
    if status not in DISPOSITION_CHOICES:
        errors["status"] = ["Choose confirmed match, false positive or inconclusive."]
    comment = (comment or "").strip()
    if not comment:
        errors["comment"] = ["Required."]
    if errors:
        raise InvalidInput("A disposition needs a decision and a comment.", fields=errors)
    if status == Disposition.FALSE_POSITIVE and match.is_strong:
        return _propose_false_positive(actor=actor, case=case, match=match, comment=comment)
    if match.status == status and match.disposition_comment == comment:
        return match
    before = _disposition_snapshot(match)
    match.status = status
    match.disposition_comment = comment
    match.disposed_by = actor
    match.disposed_at = timezone.now()
    # Any other disposition replaces a pending four-eyes proposal.
    match.proposed_by, match.proposed_at, match.proposal_comment = None, None, ""
    match.agreed_by, match.agreed_at, match.agreement_comment = None, None, ""
    match.save(update_fields=DISPOSITION_FIELDS)
    four_eyes_before = case.requires_four_eyes
    if status == Disposition.INCONCLUSIVE and not case.requires_four_eyes:
        case.requires_four_eyes = True
        _save(case)
    audit_record(
        action="screening.disposed",
        actor=actor,
        obj=match,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before={**before, "case_requires_four_eyes": four_eyes_before},
        after={
            **_disposition_snapshot(match),
            **match_summary(match),
            "case_requires_four_eyes": case.requires_four_eyes,
        },
        text=comment,
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    from .tasks import score_case_task

    # A confirmed match makes the merchant prohibited; any disposition changes the
    # screening factor. Scored after commit, as its own step with its own event.
    score_case_task.delay_on_commit(case.pk)
    return match


# --------------------------------------------------------------------------- override


@transaction.atomic
def risk_override(*, actor: Any, case_id: int, tier: str, comment: str) -> ReviewCase:
    """A reviewer's override of the case's risk tier, with a comment (required), by the
    holder of the case. Raising it to high or prohibited forces EDD and four-eyes (an L1
    holder hands the case to the EDD queue); lowering it from high or prohibited needs a
    senior reviewer; nothing lowers it below prohibited while a sanctions match is confirmed.
    Lowering never lifts EDD or four-eyes already applied to the case. One
    "case.risk_overridden" event with before and after."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers override the risk tier.")
    if case.state not in (CaseState.IN_REVIEW, CaseState.EDD):
        raise Conflict(
            f"Case {case.pk} is {case.get_state_display().lower()}; the risk tier is "
            "overridden while it is in review.",
            code="invalid_state",
            details={"state": case.state},
        )
    _require_holder(actor, case)
    errors: dict[str, list[str]] = {}
    if tier not in RiskTier.values:
        errors["tier"] = ["Choose low, medium, high or prohibited."]
    comment = (comment or "").strip()
    if not comment:
        errors["comment"] = ["Required."]
    if errors:
        raise InvalidInput("An override needs a tier and a comment.", fields=errors)
    assessment = case.risk_assessment
    if assessment is None:
        # Not scored by the background job yet: score now so the override has a basis.
        assessment = risk_assessment_create(
            merchant=case.merchant, score=merchant_risk(case.merchant)
        )
        case.risk_assessment = assessment
    current = assessment.effective_tier
    if tier == current:
        raise InvalidInput(
            f"The risk tier is already {tier}.",
            code="tier_unchanged",
            fields={"tier": ["Already the tier of this case."]},
        )
    lowering = tier_rank(tier) < tier_rank(current)
    if lowering and current in EDD_TIERS and not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed(
            "Only a senior reviewer lowers a high or prohibited risk tier.",
            code="senior_required",
        )
    if (
        lowering
        and tier != RiskTier.PROHIBITED
        and any(f["code"] == "screening_confirmed" for f in assessment.factors)
    ):
        raise NotAllowed(
            "A confirmed sanctions match keeps the merchant prohibited.",
            code="sanctions_match_confirmed",
        )
    before = {**_risk_snapshot(case), "override_tier": assessment.override_tier}
    assessment.override_tier = tier
    assessment.override_comment = comment
    assessment.overridden_by = actor
    assessment.overridden_at = timezone.now()
    assessment.save(
        update_fields=["override_tier", "override_comment", "overridden_by", "overridden_at"]
    )
    _apply_tier(case, tier)
    routed = False
    if tier in EDD_TIERS:
        case.requires_four_eyes = True
        if case.state == CaseState.IN_REVIEW:
            case.route_to_edd(keep_assignee=has_role(actor, Role.SENIOR_REVIEWER))
            queues.case_route(case)
            routed = True
    _save(case)
    if routed:
        edd_checklist_ensure(case)
    audit_record(
        action="case.risk_overridden",
        actor=actor,
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after={
            **_risk_snapshot(case),
            "override_tier": tier,
            "computed_tier": assessment.tier,
            "points": assessment.points,
            "routed_to_edd": routed,
        },
        text=comment,
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    return case


# --------------------------------------------------------------------------- re-screening


def rescreen_merchant_ids() -> list[int]:
    """Every merchant to re-screen after a list reload: the active ones, and any with an
    open case (still onboarding, or under review)."""
    active = set(Merchant.objects.filter(status=MerchantStatus.ACTIVE).values_list("pk", flat=True))
    with_open_cases = set(
        ReviewCase.objects.filter(state__in=OPEN_STATES).values_list("merchant_id", flat=True)
    )
    return sorted(active | with_open_cases)


def case_open_by_screening(*, merchant_id: int, match_ids: Iterable[int]) -> ReviewCase | None:
    """For a merchant with new screening hits (or hits still open and no case to work
    them): opens a re-verification case straight in the submitted state, as the system
    ("case.opened_by_screening"), unless the merchant already has an open case — then the
    new hits are recorded on that one ("screening.hits_recorded") and it is re-scored.
    Never two open cases for one merchant: the merchant row lock serialises concurrent
    runs. Returns the case the hits are on, or None when there is nothing to work."""
    match_ids = list(match_ids)
    open_case, created = _case_open_or_find(merchant_id=merchant_id)
    if open_case is None or created:
        return open_case
    matches = list(
        ScreeningMatch.objects.filter(pk__in=match_ids, merchant_id=merchant_id).select_related(
            "entry"
        )
    )
    if matches:
        # Its own transaction, after the merchant lock is released: the case lock is always
        # taken before the merchant's (as case_approve does), never after.
        case_record_hits(case_id=open_case.pk, matches=matches)
        from .tasks import score_case_task

        score_case_task.delay_on_commit(open_case.pk)
    return open_case


@transaction.atomic
def _case_open_or_find(*, merchant_id: int) -> tuple[ReviewCase | None, bool]:
    # NO KEY UPDATE, as in screening_apply_ownership_rule: serialises us, not FK inserts.
    merchant = Merchant.objects.select_for_update(no_key=True).get(pk=merchant_id)
    open_case = (
        ReviewCase.objects.filter(merchant=merchant, state__in=OPEN_STATES)
        .order_by("-created_at", "-id")
        .first()
    )
    if open_case is not None:
        return open_case, False
    open_hits = list(
        ScreeningMatch.objects.filter(merchant=merchant, status=Disposition.OPEN)
        .select_related("entry")
        .order_by("-score", "id")
    )
    if not open_hits:
        return None, False
    case = case_open_by_platform(merchant=merchant, kind=CaseKind.REVERIFICATION)
    capabilities = list(case.capabilities.all())
    audit_record(
        action="case.opened_by_screening",
        obj=case,
        case_id=case.pk,
        merchant_id=merchant.pk,
        before={},
        after={
            **_case_state_snapshot(case),
            "kind": case.kind,
            "capabilities": [c.pk for c in capabilities],
            "risk_tier": case.risk_tier,
            "matches": [match_summary(m) for m in open_hits],
        },
        text=f"{len(open_hits)} open sanctions screening hit(s) after a list reload.",
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    from .tasks import score_case_task

    # The seller is not told: telling a possibly listed party that it matched a sanctions
    # list would tip it off. The case is scored (and routed to EDD) as its own step.
    score_case_task.delay_on_commit(case.pk)
    return case, True


def merchant_rescreen(*, merchant_id: int, list_id: int | None = None) -> ReviewCase | None:
    """Screens one merchant against the reloaded list and opens (or updates) its case when
    there is a hit to work. Idempotent: a second run finds no new hit and the open case."""
    merchant = Merchant.objects.filter(pk=merchant_id).first()
    if merchant is None:
        return None
    sanctions_list = None
    if list_id is not None:
        sanctions_list = SanctionsList.objects.filter(pk=list_id).first()
        if sanctions_list is None or not sanctions_list.is_active:
            # A newer import replaced it; that import's own re-screen covers this merchant.
            return None
    new = _screen_merchant(merchant=merchant, sanctions_list=sanctions_list)
    ownership = screening_apply_ownership_rule(merchant_id=merchant.pk)
    if ownership is not None:
        new.append(ownership)
    return case_open_by_screening(merchant_id=merchant.pk, match_ids=[m.pk for m in new])


def merchants_rescreen(*, merchant_ids: Iterable[int], list_id: int | None = None) -> int:
    """One batch of `merchant_rescreen`; returns how many merchants have a case to work."""
    opened = 0
    for merchant_id in merchant_ids:
        if merchant_rescreen(merchant_id=merchant_id, list_id=list_id) is not None:
            opened += 1
    return opened


def batches(ids: list[int], size: int = RESCREEN_BATCH_SIZE) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


__all__ = [
    "case_open_by_screening",
    "case_score",
    "case_screen_and_score",
    "merchant_rescreen",
    "merchants_rescreen",
    "rescreen_merchant_ids",
    "risk_override",
    "screening_apply_ownership_rule",
    "screening_dispose",
]
