"""Reason codes, risk settings and QC sampling rates, edited on the compliance pages: each
change is audited with before and after, bad input is refused next to the field and writes
nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from cases.models import QcSamplingRule, ReasonCode
from cases.selectors import reason_code_list
from kyc import risk_data
from kyc.models import RiskSettings
from kyc.risk import merchant_risk, risk_figures
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- reason codes


def test_an_admin_adds_a_bilingual_reason_code(reference, admin_client):
    response = admin_client.post(
        "/compliance/reason-codes/new/",
        {
            "code": "doc_cropped",
            "kind": "rejection",
            "severity": "retry",
            "text_en": "The document is cropped.",
            "text_zh": "证件被裁剪。",
        },
    )
    assert response.status_code == 302
    reason = ReasonCode.objects.get(code="doc_cropped")
    assert (reason.text_zh, reason.is_active) == ("证件被裁剪。", True)
    assert reason in reason_code_list(kind="rejection")
    event = AuditEvent.objects.get(action="reason_code.created")
    assert event.after["text_en"] == "The document is cropped."


def test_a_duplicate_reason_code_is_refused_next_to_the_code(reference, admin_client):
    existing = ReasonCode.objects.first()
    count = ReasonCode.objects.count()
    response = admin_client.post(
        "/compliance/reason-codes/new/",
        {
            "code": existing.code,
            "kind": "rejection",
            "severity": "retry",
            "text_en": "Again.",
            "text_zh": "再次。",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        "A reason code with this code exists already."
    ]
    assert ReasonCode.objects.count() == count
    assert not AuditEvent.objects.filter(action__startswith="reason_code.").exists()


def test_editing_a_reason_code_keeps_its_code_and_records_the_old_wording(reference, admin_client):
    reason = ReasonCode.objects.filter(kind="rejection").first()
    old_text = reason.text_en
    response = admin_client.post(
        f"/compliance/reason-codes/{reason.pk}/",
        {
            "code": "renamed",  # ignored: the code never changes
            "kind": "information",
            "severity": "final",
            "text_en": "New wording.",
            "text_zh": "新的措辞。",
        },
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert (reason.kind, reason.severity) == ("information", "final")
    assert reason.text_en == "New wording."
    assert reason.code != "renamed"
    event = AuditEvent.objects.get(action="reason_code.changed")
    assert event.before["text_en"] == old_text and event.after["text_en"] == "New wording."


def test_deactivating_a_reason_code_hides_it_from_reviewers_but_keeps_it(reference, admin_client):
    reason = ReasonCode.objects.filter(kind="rejection").first()
    response = admin_client.post(f"/compliance/reason-codes/{reason.pk}/toggle/")
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.is_active is False
    assert reason not in reason_code_list(kind="rejection")
    assert AuditEvent.objects.filter(action="reason_code.deactivated").count() == 1
    admin_client.post(f"/compliance/reason-codes/{reason.pk}/toggle/")
    reason.refresh_from_db()
    assert reason.is_active is True


# --------------------------------------------------------------------------- risk settings


def test_the_migration_seeds_todays_figures(db):
    row = RiskSettings.objects.get(pk=1)
    assert row.thresholds == {"medium": 25, "high": 60, "prohibited": 100}
    assert row.category_points == risk_data.CATEGORY_POINTS
    assert row.country_classes == risk_data.default_country_classes()
    figures = risk_figures()
    assert [c.countries for c in figures.country_classes] == [
        c.countries for c in risk_data.COUNTRY_CLASSES
    ]


def test_tier_thresholds_edited_on_the_page_change_the_next_score(reference, admin_client):
    merchant = MerchantFactory(entity_type="individual", business_model="cross_border_b2b")  # 10
    assert merchant_risk(merchant).tier == "low"
    response = admin_client.post(
        "/compliance/risk/thresholds/", {"medium": "5", "high": "10", "prohibited": "50"}
    )
    assert response.status_code == 302
    assert merchant_risk(merchant).tier == "high"
    event = AuditEvent.objects.get(action="risk_settings.thresholds_changed")
    assert event.before == {"medium": 25, "high": 60, "prohibited": 100}
    assert event.after == {"medium": 5, "high": 10, "prohibited": 50}


def test_thresholds_out_of_order_are_refused_next_to_the_field(reference, admin_client):
    response = admin_client.post(
        "/compliance/risk/thresholds/", {"medium": "60", "high": "60", "prohibited": "100"}
    )
    assert response.status_code == 400
    assert response.context["thresholds_form"].errors["high"] == ["High must be more than medium."]
    assert RiskSettings.objects.get(pk=1).thresholds["medium"] == 25
    assert not AuditEvent.objects.filter(action__startswith="risk_settings.").exists()


def test_a_country_added_to_a_class_scores_as_that_class(reference, admin_client):
    merchant = MerchantFactory(country="TH")
    assert not [f for f in merchant_risk(merchant).factors if f["code"].startswith("country_")]
    grey = next(c for c in risk_data.COUNTRY_CLASSES if c.code == "fatf_increased_monitoring")
    response = admin_client.post(
        "/compliance/risk/countries/fatf_increased_monitoring/",
        {
            "label_en": grey.label,
            "label_zh": "FATF 加强监控的司法管辖区（灰名单）",
            "points": "35",
            "nationality_points": "10",
            "countries": " ".join(sorted(grey.countries)) + ", th",
        },
    )
    assert response.status_code == 302
    factor = next(f for f in merchant_risk(merchant).factors if f["code"].startswith("country_"))
    assert factor == {
        "code": "country_fatf_increased_monitoring",
        "points": 35,
        "reason": "Registered in TH: FATF increased monitoring (grey list).",
        "reason_zh": factor["reason_zh"],
    }
    assert "灰名单" in factor["reason_zh"]
    event = AuditEvent.objects.get(action="risk_settings.country_class_changed")
    assert "TH" in event.after["countries"] and "TH" not in event.before["countries"]
    assert (event.before["points"], event.after["points"]) == (30, 35)


def test_unknown_country_codes_are_refused_by_name(reference, admin_client):
    response = admin_client.post(
        "/compliance/risk/countries/embargoed/",
        {
            "label_en": "Embargo",
            "label_zh": "禁运",
            "points": "100",
            "nationality_points": "60",
            "countries": "CU IR KP XX ZZ",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["countries"] == ["Not ISO country codes: XX, ZZ."]
    assert RiskSettings.objects.get(pk=1).country_classes == risk_data.default_country_classes()


def test_category_points_edited_on_the_page(reference, admin_client):
    response = admin_client.get("/compliance/risk/")
    fields = response.context["categories_form"].fields
    assert "food" in fields
    data = {code: str(field.initial) for code, field in fields.items()}
    data["food"] = "40"
    assert admin_client.post("/compliance/risk/categories/", data).status_code == 302
    assert risk_figures().category_points["food"] == 40
    event = AuditEvent.objects.get(action="risk_settings.category_points_changed")
    assert (event.before["food"], event.after["food"]) == (10, 40)


# --------------------------------------------------------------------------- QC sampling


def test_a_sampling_rate_is_edited_as_a_percentage(reference, admin_client):
    rule = QcSamplingRule.objects.get(code="approvals")
    response = admin_client.post(
        f"/compliance/qc-sampling/{rule.pk}/",
        {"rate_percent": "25", "min_per_reviewer_per_week": "3", "is_active": "on"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.rate, rule.min_per_reviewer_per_week) == (Decimal("0.2500"), 3)
    event = AuditEvent.objects.get(action="qc_sampling_rule.changed")
    assert (event.before["rate"], event.after["rate"]) == ("0.1000", "0.2500")


def test_a_rate_above_100_percent_is_refused(reference, admin_client):
    rule = QcSamplingRule.objects.get(code="approvals")
    response = admin_client.post(
        f"/compliance/qc-sampling/{rule.pk}/",
        {"rate_percent": "150", "min_per_reviewer_per_week": "3", "is_active": "on"},
    )
    assert response.status_code == 400
    assert "rate_percent" in response.context["form"].errors
    rule.refresh_from_db()
    assert rule.rate == Decimal("0.1000")
    assert not AuditEvent.objects.filter(action="qc_sampling_rule.changed").exists()


def test_the_sampling_page_shows_rates_as_percentages(reference, admin_client):
    QcSamplingRule.objects.filter(code="approvals").update(rate=Decimal("0.125"))
    response = admin_client.get("/compliance/qc-sampling/")
    rows = {row["rule"].code: row["percent"] for row in response.context["rules"]}
    assert rows["approvals"] == "12.5" and rows["high-risk-approvals"] == "100"
    rule = QcSamplingRule.objects.get(code="approvals")
    form = admin_client.get(f"/compliance/qc-sampling/{rule.pk}/").context["form"]
    assert form.initial["rate_percent"] == "12.5"
