"""No raw identifier on the reviewer's case page nor in the PDF report: check names and codes,
evidence keys, event names, roles and states, risk factor and reason codes, RFI requirement
codes, validator names and messages, list sources and the screening explanation are all shown
by their labels (kyc.labels, cases.labels), in Chinese on a Chinese page.

The page test builds a case holding every kind of identifier, renders it in Chinese and greps
the visible text for snake_case or dotted identifiers and for English words that are not data
(names, file names, list entries); the report test does the same with the PDF's text.
"""

from __future__ import annotations

import ast
import html
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from audit.services import audit_record
from cases import labels as case_labels
from cases.models import InformationRequest, InformationRequestItem, ReasonCode
from cases.reports.render import report_render
from kyc import labels as kyc_labels
from kyc.checks import CHECK_NAMES
from kyc.checks import registration_number as registration_check
from kyc.models import DocumentCheckResult, RiskAssessment, ScreeningSubject
from kyc.screening.index import EntryRecord
from kyc.screening.matcher import Matcher
from merchants.models import Merchant
from merchants.services import merchant_update, person_update
from tests.cases.screening_helpers import make_entry, make_list, make_match
from tests.cases.test_reports_fixtures import pdf_text, rebuild_in_transaction

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
SNAKE_OR_DOTTED = re.compile(r"\b[a-z][a-z0-9]+(?:[_.][a-z0-9]+)+\b")
ENGLISH_WORD = re.compile(r"\b[A-Za-z][A-Za-z']{2,}\b")
# Not English prose: acronyms and units every Chinese compliance page uses as they are.
ALWAYS_ALLOWED = {
    "SHA",
    "API",
    "PDF",
    "KYC",
    "EDD",
    "PEP",
    "SLA",
    "RFI",
    "UTC",
    "USD",
    "IBAN",
    "SWIFT",
    "BIC",
    "OFAC",
    "SDN",
    "SDGT",
    "UEN",
    "EIN",
    "UTR",
    "NRIC",
    "SIREN",
    "SIRET",
    "SSM",
    "FATF",
    "B2B",
    "P2P",
    "AL",
    "EL",
    "English",  # the language switch names each language in its own script
    "Merchant",  # the product's name: "商户 KYC（Merchant KYC）"
}


# --------------------------------------------------------------------------- every code labelled


def _check_call_codes() -> tuple[set[str], set[str]]:
    """The codes and evidence keywords of every passed/warning/failed call in kyc/checks."""
    codes: set[str] = set()
    keys: set[str] = set()
    for path in (ROOT / "kyc" / "checks").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id in ("passed", "warning", "failed"):
                if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                    codes.add(node.args[1].value)
                keys |= {kw.arg for kw in node.keywords if kw.arg}
            if node.func.id == "_problem" and isinstance(node.args[0], ast.Constant):
                codes.add(node.args[0].value)
    return codes, keys


def test_every_check_name_code_and_evidence_key_has_a_label() -> None:
    from kyc.checks import brand_chain

    codes, keys = _check_call_codes()
    codes |= set(brand_chain.MESSAGES) | {"check_error"}
    assert sorted(codes - set(kyc_labels.CHECK_CODE_LABELS)) == []
    assert sorted(set(CHECK_NAMES) - set(kyc_labels.CHECK_LABELS)) == []
    assert sorted(keys - set(kyc_labels.EVIDENCE_LABELS)) == []


def test_every_validator_and_number_format_has_a_label() -> None:
    validators = {
        v.label
        for table in (registration_check.VALIDATORS, registration_check.PERSONAL_VALIDATORS)
        for group in table.values()
        for v in group
    }
    assert sorted(validators - set(kyc_labels.VALIDATOR_LABELS)) == []
    formats = {name for group in registration_check.FORMATS.values() for name, _re in group}
    assert sorted(formats - set(kyc_labels.EVIDENCE_VALUE_LABELS)) == []


def test_every_risk_factor_code_has_a_label() -> None:
    source = (ROOT / "kyc" / "risk.py").read_text()
    codes = set(re.findall(r'score\.add\(\s*"([a-z0-9_]+)"', source))
    codes |= {"duplicate_file_other_merchant", "duplicate_registration_number_other_merchant"}
    assert codes and all(
        kyc_labels.risk_factor_label(c) is not kyc_labels.OTHER_RISK_FACTOR for c in codes
    )
    for prefixed in ("country_embargoed", "nationality_fatf_call_for_action", "category_toys"):
        assert kyc_labels.risk_factor_label(prefixed) is not kyc_labels.OTHER_RISK_FACTOR


# Audit actions that never land on a case's timeline.
NOT_ON_A_CASE = {
    "reviewer.availability_changed",
    "sanctions.imported",
    "storage.orphans_removed",
    "seller.registered",
}


def test_every_audit_action_recorded_in_the_case_apps_has_a_label() -> None:
    actions: set[str] = set()
    for app in ("cases", "kyc", "merchants"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.keyword) and node.arg == "action":
                    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                        actions.add(node.value.value)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    if node.func.id == "_audit" and len(node.args) >= 3:
                        arg = node.args[2]
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            actions.add(arg.value)
    actions = {a for a in actions if "." in a} - NOT_ON_A_CASE
    assert "case.assigned" in actions
    assert sorted(actions - set(case_labels.EVENT_LABELS)) == []


def test_the_matchers_explanations_are_said_in_chinese() -> None:
    matcher = Matcher.from_records(
        [
            EntryRecord(
                1,
                "36001",
                "entity",
                "GOLDEN HARBOUR TRADING GROUP LIMITED",
                [
                    {"name": "GOLDEN HARBOUR TRADING GROUP LIMITED", "kind": "primary"},
                    {"name": "HARBOUR GOLDEN CO", "kind": "aka"},
                ],
            ),
            EntryRecord(2, "36002", "individual", "WANG JIANHUA", [{"name": "WANG JIANHUA"}]),
        ]
    )
    names = [
        "Golden Harbor Tradng Group Ltd",
        "Golden Harbour Trading Shenzhen Limited",
        "Harbour Golden Company",
        "Wang Jianhua Trading",
    ]
    explanations = [m.explanation for n in names for m in matcher.match(n, threshold=50)]
    assert len(explanations) >= 3
    with translation.override("zh-hans"):
        for text in explanations:
            said = kyc_labels.screening_explanation(text)
            # What stays in Latin letters is what the names themselves hold, quoted.
            unquoted = re.sub(r"“[^”]*”|'[^']*'|[A-Z0-9 ]{2,}", "", said)
            assert not ENGLISH_WORD.search(unquoted), (text, said)
    with translation.override("en"):
        assert kyc_labels.screening_explanation(explanations[0]) == explanations[0]


# --------------------------------------------------------------------------- the case page


EVERY_EVIDENCE = {
    "allowed_types": ["application/pdf", "image/png"],
    "country": "CN",
    "compared_with": ["Li Wei"],
    "days_left": 20,
    "days_overdue": 3,
    "documents": [{"merchant_id": 9, "merchant_name": "Harbour Trading Front LLC"}],
    "embedded_files": ["invoice.xlsx"],
    "encrypted": True,
    "errors": {
        "cn.uscc": "The number's checksum or check digit is invalid.",
        "gb.utr": "The number has an invalid length.",
        "gb.vat": "Invalid literal for int() with base 10",
    },
    "expected": "person",
    "expiry_date": "2031-01-01",
    "format": "PNG",
    "format_matches": ["companies_house", "business_registration"],
    "height": 800,
    "holder": "Lumen Brands Ltd",
    "holder_name": "Li Wei",
    "issue_date": "2020-01-01",
    "javascript": ["OpenAction"],
    "key": "91350100M000100Y43",
    "launch_actions": ["Launch"],
    "links": [
        {
            "grantor": "Lumen Brands Ltd",
            "grantee": "Shenzhen Lumen Trading Co., Ltd.",
            "territories": ["CN"],
            "valid_from": "2024-01-01",
            "valid_until": "2027-01-01",
        }
    ],
    "matched_name": "Li Wei",
    "matches": [{"merchant_id": 9, "merchant_name": "Harbour Trading Front LLC"}],
    "max_bytes": 20_000_000,
    "max_objects": 200_000,
    "max_pages": 200,
    "max_pixels": 50_000_000,
    "merchant_ids": [9, 10],
    "min_side": 600,
    "needs_password": False,
    "number": "91350100M000100Y43",
    "objects_inspected": 40,
    "objects_visited": 40,
    "page_count": 2,
    "pixels": 640_000,
    "problems": [{"code": "brand_chain_broken", "n": 2}, {"code": "brand_chain_territory"}],
    "profile_number": "91350100M000100Y43",
    "readable": True,
    "recorded_sha256": "a" * 64,
    "registration_numbers": ["91350100M000100Y43"],
    "score": 97,
    "sha256": "b" * 64,
    "size": 1234,
    "sniffed_type": "application/pdf",
    "stored_sha256": "c" * 64,
    "total": 2,
    "validator": "cn.uscc",
    "validators": ["cn.uscc", "cn.ric"],
    "warning_days": 30,
    "warnings": [{"code": "brand_chain_expiring_soon", "n": 1}],
    "width": 800,
}


def _results_of_every_kind(case: Any) -> None:
    """Every check code on the case's documents (a document holds one result per check
    name, so the codes are spread over copies of one document), the first result carrying
    every evidence key there is."""
    codes = sorted(kyc_labels.CHECK_CODE_LABELS)
    documents = list(case.merchant.documents.all())
    template = documents[0]
    while len(documents) * len(CHECK_NAMES) < len(codes):
        copy = type(template).objects.get(pk=template.pk)
        copy.pk = None
        copy.sha256 = f"{len(documents):064x}"
        copy.uuid = uuid.uuid4()
        copy.save()
        documents.append(copy)
    DocumentCheckResult.objects.filter(document__in=documents).delete()
    for index, code in enumerate(codes):
        DocumentCheckResult.objects.create(
            document=documents[index // len(CHECK_NAMES)],
            check_name=CHECK_NAMES[index % len(CHECK_NAMES)],
            # Some failed, so the requirements panel lists them as problems too.
            outcome="failed" if index % 3 == 0 else "warning",
            code=code,
            message_en="Look at this one.",
            message_zh="请查看此项。",
            evidence=EVERY_EVIDENCE if index == 0 else {"score": 80},
        )


def _screening(case: Any) -> list[str]:
    """An open hit on a person with the matcher's explanation, and a 50%-rule match."""
    sdn = make_list()
    entry = make_entry(sdn, "LI WEI", entry_type="individual", programs=["SDGT"])
    person = case.merchant.people.get()
    hit = make_match(case.merchant, entry, person=person, score=96)
    hit.explanation = f"primary name 'LI WEI' of entry {entry.list_id} (individual): same words"
    hit.save()
    owned = make_match(case.merchant, entry, score=100)
    owned.subject = ScreeningSubject.OWNERSHIP
    owned.explanation = (
        f"Owned 60% together by parties with sanctions screening hits — Li Wei 60% "
        f"(~ LI WEI, list id {entry.list_id}, Awaiting disposition). OFAC's 50% rule: an "
        "entity owned 50% or more by listed parties is treated as listed."
    )
    owned.save()
    return ["LI WEI"]


FACTORS = [
    {"code": code, "points": 5, "reason": "Reason.", "reason_zh": "原因。"}
    for code in [*kyc_labels.RISK_FACTOR_LABELS, "country_embargoed", "category_cosmetics"]
]


def _risk(case: Any) -> None:
    assessment = RiskAssessment.objects.create(
        merchant=case.merchant, points=95, tier="high", factors=FACTORS
    )
    case.risk_assessment = assessment
    case.risk_tier = "low"
    case.save(update_fields=["risk_assessment", "risk_tier"])


def _rfi(case: Any, reviewer: Any) -> None:
    rfi = InformationRequest.objects.create(
        case=case,
        message="请上传地址证明。",
        deadline=timezone.now() + timedelta(days=7),
        requested_by=reviewer,
    )
    reason = ReasonCode.objects.filter(code="doc_illegible").first()
    InformationRequestItem.objects.create(
        request=rfi, requirement_code="proof_of_address", reason_code=reason
    )
    person = case.merchant.people.get()
    InformationRequestItem.objects.create(
        request=rfi, requirement_code=f"representative_identity.person_{person.pk}"
    )


def _timeline(case: Any, reviewer: Any) -> None:
    for action in case_labels.EVENT_LABELS:
        audit_record(
            action=action,
            actor=reviewer,
            case_id=case.pk,
            merchant_id=case.merchant_id,
            before={"state": "in_review"},
            after={"state": "pending_second_approval", "factors": FACTORS[:2]},
            reason_codes=["doc_expired", "approved_clean"],
        )
    audit_record(
        action="case.something_new", case_id=case.pk, merchant_id=case.merchant_id
    )  # an event no label knows yet: said in general terms


def _data_changes(case: Any, seller: Any) -> None:
    """The seller changes the merchant's and a person's data while the case is in review: the
    "changed since submission" panel and the history's change events, with coded values."""
    merchant = Merchant.objects.get(pk=case.merchant_id)
    merchant_update(
        actor=seller,
        merchant=merchant,
        data={"trading_name": "Lumen Harbour", "entity_type": "partnership"},
    )
    person = merchant.people.get()
    person_update(
        actor=seller, person=person, data={"nationality": "SG", "control_type": "voting_rights"}
    )


@pytest.fixture
def case_with_everything(claimed_case: Any, reviewer: Any, seller: Any) -> Any:
    _data_changes(claimed_case, seller)
    _results_of_every_kind(claimed_case)
    _screening(claimed_case)
    _risk(claimed_case)
    _rfi(claimed_case, reviewer)
    _timeline(claimed_case, reviewer)
    return claimed_case


def _data_words(case: Any, users: list[Any]) -> set[str]:
    """Words that are the case's data, not labels: names, numbers, files, list entries."""
    merchant = case.merchant
    texts = [
        merchant.legal_name,
        merchant.trading_name,
        merchant.registered_address,
        merchant.contact_email,
        merchant.website,
        *[p.full_name for p in merchant.people.all()],
        *[d.original_filename for d in merchant.documents.all()],
        *[d.issuer for d in merchant.documents.all()],
        *[u.get_username() for u in users],
        "Harbour Trading Front LLC",
        "Lumen Brands Ltd",
        "LI WEI",
        "invoice.xlsx OpenAction Launch PNG application/pdf image/png",
        case.policy_version.label if case.policy_version else "",
    ]
    return {w for t in texts if t for w in ENGLISH_WORD.findall(t)}


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def raw_identifiers(text: str, allowed: set[str]) -> tuple[list[str], list[str]]:
    """(snake_case/dotted identifiers, English words) in the text that are not allowed."""
    text = re.sub(r"\b[0-9a-f]{12,64}", " ", text)  # SHA-256 digests, shown as they are
    text = re.sub(r"\S+@\S+|\S+\.(?:pdf|png|jpe?g|xlsx)\b", " ", text)  # e-mails, file names
    identifiers = sorted(set(SNAKE_OR_DOTTED.findall(text)))
    words = sorted({w for w in ENGLISH_WORD.findall(text)} - allowed - ALWAYS_ALLOWED)
    return identifiers, words


def _where(text: str, found: list[str]) -> list[str]:
    """Each offending token with the text around it, for a readable failure."""
    flat = " ".join(text.split())
    return [f"{w}: …{flat[max(0, flat.find(w) - 40) : flat.find(w) + 40]}…" for w in found]


def test_the_chinese_case_page_shows_no_raw_identifier_nor_english_label(
    case_with_everything: Any, reviewer: Any, senior: Any, seller: Any, reviewer_client: Client
) -> None:
    url = reverse("cases:case_detail", kwargs={"case_id": case_with_everything.pk})
    page = reviewer_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in page
    assert 'class="req-error"' in page  # requirement problems are on the page too
    text = visible_text(page)
    # The fixture really holds what is under test (in Chinese).
    for label in ("文件完整性", "授权链中断", "已自动分配", "所要求的材料", "号码长度无效"):
        assert label in text, label
    # The changes since submission, each field and coded value by its label.
    for label in ("提交后的变更", "主体类型", "合伙企业", "表决权"):
        assert label in text, label
    assert "法定代表人身份证件: Li Wei" in text  # the person-scoped RFI item, by its rule
    assert "请查看此项。" in text  # a failed check's message, as a requirement's problem too
    identifiers, words = raw_identifiers(
        text, _data_words(case_with_everything, [reviewer, senior, seller])
    )
    assert identifiers == [], _where(text, identifiers)
    assert words == [], _where(text, words)


def test_the_english_case_page_shows_labels_not_codes(
    case_with_everything: Any, reviewer_client: Client
) -> None:
    url = reverse("cases:case_detail", kwargs={"case_id": case_with_everything.pk})
    text = visible_text(reviewer_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    for label in ("File integrity", "Chain broken", "Assigned automatically", "Requested item"):
        assert label in text, label
    for label in ("Changed since submission", "Entity type", "Partnership", "Voting rights"):
        assert label in text, label
    identifiers, _words = raw_identifiers(text, set())
    assert identifiers == [], _where(text, identifiers)


def test_the_chinese_pdf_report_shows_no_raw_identifier_nor_english_label(
    case_with_everything: Any, reviewer: Any, senior: Any, seller: Any
) -> None:
    report = rebuild_in_transaction(case_with_everything, actor=senior, language="zh-hans")
    text = pdf_text(report_render(type(report).objects.get(pk=report.pk)).pdf)
    assert "文件完整性" in text and "已自动分配" in text and "机密" in text
    identifiers, words = raw_identifiers(
        text, _data_words(case_with_everything, [reviewer, senior, seller])
    )
    assert identifiers == [], _where(text, identifiers)
    assert words == [], _where(text, words)
