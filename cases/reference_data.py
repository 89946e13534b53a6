"""The reference data a fresh installation starts with: document types, categories,
reason codes and requirement policy v1. Idempotent (keyed by code); used by seed_demo and
by the tests. Compliance admins edit it afterwards as data."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kyc.models import DocumentFamily, DocumentType, PersonScope, PolicyVersion, RequirementRule
from merchants.models import Brand, CapabilityKind, Category, EntityType

from .models import ReasonCode, ReasonKind, Severity

# Types that may be valid indefinitely (a Chinese business license may say 长期).
INDEFINITE_VALIDITY_TYPES = frozenset({"business_license"})

DOCUMENT_TYPES: list[tuple[Any, ...]] = [
    # code, family, en, zh, has_expiry, requires_number
    ("business_license", DocumentFamily.ENTITY, "Business license", "营业执照", True, True),
    (
        "certificate_of_incorporation",
        DocumentFamily.ENTITY,
        "Certificate of incorporation",
        "公司注册证书",
        False,
        True,
    ),
    (
        "articles_of_association",
        DocumentFamily.ENTITY,
        "Articles of association",
        "公司章程",
        False,
        False,
    ),
    (
        "shareholder_register",
        DocumentFamily.ENTITY,
        "Shareholder register",
        "股东名册",
        False,
        False,
    ),
    ("proof_of_address", DocumentFamily.ENTITY, "Proof of address", "地址证明", False, False),
    (
        "identity_document",
        DocumentFamily.ENTITY,
        "Identity document (ID card or passport)",
        "身份证件（身份证或护照）",
        True,
        True,
    ),
    (
        "trademark_certificate",
        DocumentFamily.BRAND,
        "Trademark registration certificate",
        "商标注册证",
        True,
        True,
    ),
    (
        "brand_authorization_letter",
        DocumentFamily.BRAND,
        "Brand authorization letter",
        "品牌授权书",
        True,
        False,
    ),
    (
        "food_business_license",
        DocumentFamily.CATEGORY,
        "Food business license",
        "食品经营许可证",
        True,
        True,
    ),
    (
        "cosmetics_filing",
        DocumentFamily.CATEGORY,
        "Cosmetics filing certificate",
        "化妆品备案凭证",
        False,
        True,
    ),
    (
        "medical_device_permit",
        DocumentFamily.CATEGORY,
        "Medical device business permit",
        "医疗器械经营许可证",
        True,
        True,
    ),
]

CATEGORIES: list[tuple[Any, ...]] = [
    # code, en, zh, prohibited, max chain depth
    ("apparel", "Apparel", "服装", False, 3),
    ("electronics", "Consumer electronics", "消费电子", False, 2),
    ("food", "Food and beverages", "食品饮料", False, 2),
    ("cosmetics", "Cosmetics", "化妆品", False, 2),
    ("medical-devices", "Medical devices", "医疗器械", False, 1),
    ("weapons", "Weapons and ammunition", "武器弹药", True, 0),
    ("counterfeit-currency", "Currency and counterfeit money", "货币及假币", True, 0),
]

BRANDS = [
    ("Lumen Audio", "声光音频", "TM-30125471", "Lumen Audio Holdings Ltd", "CN"),
    ("Harbor Threads", "海港织品", "UK00003456789", "Harbor Threads plc", "GB"),
]

REASON_CODES: list[tuple[Any, ...]] = [
    # code, kind, severity, en, zh
    (
        "doc_illegible",
        ReasonKind.DOCUMENT,
        Severity.RETRY,
        "The document is not readable.",
        "文件无法辨认。",
    ),
    (
        "doc_expired",
        ReasonKind.DOCUMENT,
        Severity.RETRY,
        "The document has expired.",
        "文件已过期。",
    ),
    (
        "name_mismatch",
        ReasonKind.DOCUMENT,
        Severity.RETRY,
        "The name on the document does not match the merchant.",
        "文件上的名称与商户不一致。",
    ),
    (
        "incomplete_document",
        ReasonKind.DOCUMENT,
        Severity.RETRY,
        "Pages or parts of the document are missing.",
        "文件缺页或内容不完整。",
    ),
    (
        "requirements_not_met",
        ReasonKind.REJECTION,
        Severity.RETRY,
        "The merchant does not meet the requirements for what it applied for.",
        "商户不符合所申请业务的要求。",
    ),
    (
        "unauthorized_brand",
        ReasonKind.REJECTION,
        Severity.RETRY,
        "The brand authorization does not cover this seller.",
        "品牌授权未覆盖该商家。",
    ),
    (
        "prohibited_business",
        ReasonKind.REJECTION,
        Severity.FINAL,
        "The business is prohibited on the platform.",
        "该业务在平台上被禁止。",
    ),
    (
        "sanctions_match",
        ReasonKind.REJECTION,
        Severity.FINAL,
        "The merchant or a related person is on a sanctions list.",
        "商户或相关人员在制裁名单上。",
    ),
    (
        "fraud_suspected",
        ReasonKind.REJECTION,
        Severity.FINAL,
        "Documents appear forged or altered.",
        "文件疑似伪造或篡改。",
    ),
    (
        "rfi_missing_document",
        ReasonKind.INFORMATION,
        Severity.RETRY,
        "A required document is missing.",
        "缺少必需的文件。",
    ),
    (
        "rfi_clarify_ownership",
        ReasonKind.INFORMATION,
        Severity.RETRY,
        "Explain the ownership structure.",
        "请说明股权结构。",
    ),
    (
        "rfi_source_of_funds",
        ReasonKind.INFORMATION,
        Severity.RETRY,
        "Provide evidence of the source of funds.",
        "请提供资金来源证明。",
    ),
    (
        "approved_clean",
        ReasonKind.APPROVAL,
        Severity.RETRY,
        "All requirements met; no adverse findings.",
        "所有要求均已满足，无不利发现。",
    ),
    (
        "approved_with_monitoring",
        ReasonKind.APPROVAL,
        Severity.RETRY,
        "Approved with enhanced monitoring.",
        "批准，并加强监控。",
    ),
]

# code, kind, entity_type, country, category, person scope, document types, en, zh
RULES_V1: list[tuple[Any, ...]] = [
    (
        "entity_registration",
        CapabilityKind.SELL,
        "",
        "",
        None,
        "",
        ["business_license", "certificate_of_incorporation"],
        "Business license or certificate of incorporation",
        "营业执照或公司注册证书",
    ),
    (
        "representative_identity",
        CapabilityKind.SELL,
        "",
        "",
        None,
        PersonScope.LEGAL_REPRESENTATIVE,
        ["identity_document"],
        "Identity document of the legal representative",
        "法定代表人身份证件",
    ),
    (
        "owner_identity",
        CapabilityKind.SELL,
        EntityType.COMPANY,
        "",
        None,
        PersonScope.BENEFICIAL_OWNER,
        ["identity_document"],
        "Identity document of each beneficial owner",
        "每位受益所有人的身份证件",
    ),
    (
        "shareholder_register",
        CapabilityKind.SELL,
        EntityType.COMPANY,
        "HK",
        None,
        "",
        ["shareholder_register"],
        "Shareholder register",
        "股东名册",
    ),
    (
        "articles",
        CapabilityKind.SELL,
        EntityType.COMPANY,
        "GB",
        None,
        "",
        ["articles_of_association"],
        "Articles of association",
        "公司章程",
    ),
    (
        "food_license",
        CapabilityKind.CATEGORY,
        "",
        "",
        "food",
        "",
        ["food_business_license"],
        "Food business license",
        "食品经营许可证",
    ),
    (
        "cosmetics_filing",
        CapabilityKind.CATEGORY,
        "",
        "",
        "cosmetics",
        "",
        ["cosmetics_filing"],
        "Cosmetics filing certificate",
        "化妆品备案凭证",
    ),
    (
        "medical_device_permit",
        CapabilityKind.CATEGORY,
        "",
        "",
        "medical-devices",
        "",
        ["medical_device_permit"],
        "Medical device business permit",
        "医疗器械经营许可证",
    ),
    (
        "brand_authorization",
        CapabilityKind.BRAND,
        "",
        "",
        None,
        "",
        ["trademark_certificate", "brand_authorization_letter"],
        "Trademark certificate or brand authorization letter",
        "商标注册证或品牌授权书",
    ),
]


# Review queues (data: compliance admins edit them in the admin). Routing takes the first
# active queue, by position, whose kinds and tiers accept the case; the stage queues (EDD,
# second approval) and the escalation queue are reached only by their stage or by an SLA
# breach (cases.queues.STAGE_QUEUES). Columns: code, en, zh, kinds, tiers, team,
# requires_senior, sla_hours, position, escalation target.
QUEUES: list[tuple[str, str, str, list[str], list[str], str, bool, int, int, str]] = [
    ("sla-escalations", "SLA escalations", "超时升级", [], [], "senior", True, 8, 5, ""),
    (
        "second-approval",
        "Second approval (four-eyes)",
        "双人复核",
        [],
        [],
        "senior",
        True,
        8,
        10,
        "sla-escalations",
    ),
    (
        "edd",
        "Enhanced due diligence",
        "强化尽职调查",
        [],
        [],
        "senior",
        True,
        24,
        20,
        "sla-escalations",
    ),
    (
        "onboarding-high-risk",
        "Onboarding: high risk",
        "入驻：高风险",
        ["onboarding"],
        ["high", "prohibited"],
        "senior",
        True,
        12,
        30,
        "sla-escalations",
    ),
    (
        "onboarding-standard",
        "Onboarding: standard",
        "入驻：标准",
        ["onboarding"],
        ["low", "medium", ""],
        "onboarding",
        False,
        48,
        40,
        "sla-escalations",
    ),
    (
        "reverification",
        "Re-verification",
        "重新核验",
        ["reverification"],
        [],
        "maintenance",
        False,
        24,
        50,
        "sla-escalations",
    ),
    (
        "change-of-details",
        "Change of details",
        "信息变更",
        ["change_of_details"],
        [],
        "maintenance",
        False,
        48,
        60,
        "sla-escalations",
    ),
    (
        "periodic-review",
        "Periodic review",
        "定期复审",
        ["periodic_review"],
        [],
        "maintenance",
        False,
        72,
        70,
        "sla-escalations",
    ),
    ("general", "General", "综合", [], [], "", False, 48, 900, "sla-escalations"),
]


# QC sampling rules (data: compliance admins edit them in the admin). A decision is sampled
# at the highest rate among the rules matching it; every reviewer gets at least the
# weekly minimum. Columns: code, en, zh, decision ("" any), risk tier ("" any), rate, minimum.
QC_SAMPLING_RULES: list[tuple[str, str, str, str, str, str, int]] = [
    ("approvals", "Approvals", "通过决定", "approved", "", "0.10", 2),
    ("rejections", "Rejections", "驳回决定", "rejected", "", "0.10", 2),
    ("high-risk-approvals", "High-risk approvals", "高风险通过决定", "approved", "high", "1", 0),
    ("prohibited", "Prohibited-tier decisions", "禁止级决定", "", "prohibited", "1", 0),
]


def load_qc_sampling_rules() -> None:
    """Creates the default sampling rules; an existing rule keeps what an admin changed."""
    from decimal import Decimal

    from .models import QcSamplingRule

    for code, en, zh, decision, tier, rate, minimum in QC_SAMPLING_RULES:
        QcSamplingRule.objects.get_or_create(
            code=code,
            defaults={
                "name_en": en,
                "name_zh": zh,
                "decision": decision,
                "risk_tier": tier,
                "rate": Decimal(rate),
                "min_per_reviewer_per_week": minimum,
            },
        )


# How often a live merchant is reviewed again, by risk tier (data: admins edit the rows).
PERIODIC_REVIEW_MONTHS: list[tuple[str, int]] = [
    ("prohibited", 6),
    ("high", 12),
    ("medium", 24),
    ("low", 36),
]


def load_periodic_review_intervals() -> None:
    """Creates the default intervals; an existing row keeps what an admin changed."""
    from .models import PeriodicReviewInterval

    for tier, months in PERIODIC_REVIEW_MONTHS:
        PeriodicReviewInterval.objects.get_or_create(risk_tier=tier, defaults={"months": months})


def load_queues() -> None:
    """Creates the default queues; an existing queue keeps what an admin changed."""
    from .models import Queue

    created: dict[str, Queue] = {}
    for code, en, zh, kinds, tiers, team, senior, hours, position, _target in QUEUES:
        created[code], _ = Queue.objects.get_or_create(
            code=code,
            defaults={
                "name_en": en,
                "name_zh": zh,
                "case_kinds": kinds,
                "risk_tiers": tiers,
                "team": team,
                "requires_senior": senior,
                "sla_hours": hours,
                "position": position,
            },
        )
    for code, *_rest, target in QUEUES:
        queue = created[code]
        if target and queue.escalation_queue_id is None:
            queue.escalation_queue = created[target]
            queue.save(update_fields=["escalation_queue"])


@transaction.atomic
def load_reference_data() -> PolicyVersion:
    load_queues()
    load_qc_sampling_rules()
    load_periodic_review_intervals()
    for code, family, en, zh, expiry, number in DOCUMENT_TYPES:
        DocumentType.objects.update_or_create(
            code=code,
            defaults={
                "family": family,
                "name_en": en,
                "name_zh": zh,
                "has_expiry": expiry,
                "requires_number": number,
                "allows_indefinite_validity": code in INDEFINITE_VALIDITY_TYPES,
            },
        )
    for code, en, zh, prohibited, depth in CATEGORIES:
        Category.objects.update_or_create(
            code=code,
            defaults={
                "name_en": en,
                "name_zh": zh,
                "is_prohibited": prohibited,
                "max_authorization_depth": depth,
            },
        )
    for name, local, number, holder, country in BRANDS:
        Brand.objects.get_or_create(
            name=name,
            trademark_number=number,
            defaults={
                "local_name": local,
                "trademark_holder": holder,
                "trademark_country": country,
            },
        )
    for code, kind, severity, en, zh in REASON_CODES:
        ReasonCode.objects.update_or_create(
            code=code,
            defaults={"kind": kind, "severity": severity, "text_en": en, "text_zh": zh},
        )
    policy, created = PolicyVersion.objects.get_or_create(
        version=1, defaults={"notes": "Initial requirements", "published_at": timezone.now()}
    )
    if created:
        types = {dt.code: dt for dt in DocumentType.objects.all()}
        categories = {c.code: c for c in Category.objects.all()}
        for code, kind, entity, country, category, scope, doc_types, en, zh in RULES_V1:
            rule = RequirementRule.objects.create(
                policy=policy,
                code=code,
                capability_kind=kind,
                entity_type=entity,
                country=country,
                category=categories[category] if category else None,
                person_scope=scope,
                label_en=en,
                label_zh=zh,
            )
            rule.document_types.set([types[t] for t in doc_types])
    return policy
