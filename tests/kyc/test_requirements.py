from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from cases.services import capability_apply, case_requirements
from kyc.models import CheckOutcome, DocumentCheckResult, DocumentType, QualificationDocument
from kyc.requirements import merchant_requirements
from kyc.services import document_upload
from merchants.models import Category
from tests.conftest import accept_documents, upload
from tests.factories import PersonFactory, pdf_bytes


def _sell(merchant):
    return merchant_requirements(merchant)[0]


def _upload(seller, merchant, code, **meta):
    return document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code=code),
        fileobj=upload("f.pdf", pdf_bytes()),
        filename="f.pdf",
        metadata=meta,
    )


def test_missing_documents_are_currently_due_with_labels_and_types(draft_case):
    req = _sell(draft_case.merchant)
    codes = {item["code"] for item in req["currently_due"]}
    person = draft_case.merchant.people.get()
    assert codes == {
        "entity_registration",
        f"representative_identity.person_{person.pk}",
        f"owner_identity.person_{person.pk}",
    }
    entity = next(i for i in req["currently_due"] if i["code"] == "entity_registration")
    assert entity["document_types"] == ["business_license", "certificate_of_incorporation"]
    assert req["disabled_reason"] == "requirements.currently_due"


def test_uploaded_documents_move_to_pending_verification(ready_case):
    req = _sell(ready_case.merchant)
    assert req["currently_due"] == []
    assert len(req["pending_verification"]) == 3  # license + ID (as rep and as owner)
    assert req["disabled_reason"] == "requirements.pending_verification"


def test_an_expired_document_is_due_again_with_a_document_expired_error(draft_case, seller):
    merchant = draft_case.merchant
    doc = _upload(
        seller,
        merchant,
        "business_license",
        number="1",
        issue_date="2015-01-01",
        expiry_date="2031-01-01",
    )
    # Time passes: an expired document can no longer be uploaded, but one on file expires.
    QualificationDocument.objects.filter(pk=doc.pk).update(expiry_date=date(2020, 1, 1))
    req = _sell(merchant)
    assert "entity_registration" in {i["code"] for i in req["currently_due"]}
    (error,) = [e for e in req["errors"] if e["requirement"] == "entity_registration"]
    assert error["code"] == "document_expired" and "2020-01-01" in error["reason"]


def test_a_document_expiring_soon_is_eventually_due_and_sets_the_deadline(draft_case, seller):
    soon = timezone.localdate() + timedelta(days=10)
    _upload(
        seller, draft_case.merchant, "business_license", number="1", expiry_date=soon.isoformat()
    )
    req = _sell(draft_case.merchant)
    assert [i["code"] for i in req["eventually_due"]] == ["entity_registration"]
    assert req["current_deadline"] == soon.isoformat()


def test_expired_document_of_a_live_capability_is_past_due(ready_case, seller, reviewer):
    from cases.services import case_approve, case_claim, case_submit
    from kyc.models import QualificationDocument
    from tests.conftest import screen_and_check

    screen_and_check(case_submit(actor=seller, case_id=ready_case.pk))
    case_claim(actor=reviewer, case_id=ready_case.pk)
    accept_documents(ready_case, reviewer)
    case_approve(actor=reviewer, case_id=ready_case.pk)
    QualificationDocument.objects.filter(document_type__code="business_license").update(
        expiry_date=timezone.localdate() - timedelta(days=1)
    )
    req = _sell(ready_case.merchant)
    assert [i["code"] for i in req["past_due"]] == ["entity_registration"]
    assert req["currently_due"] == []
    assert req["disabled_reason"] == "requirements.past_due"


def test_failed_check_becomes_an_error_with_its_code(draft_case, seller):
    doc = _upload(
        seller, draft_case.merchant, "business_license", number="1", expiry_date="2031-01-01"
    )
    DocumentCheckResult.objects.create(
        document=doc,
        check_name="readable",
        code="not_readable",
        outcome=CheckOutcome.FAILED,
        message_en="Cannot read",
    )
    req = _sell(draft_case.merchant)
    assert {
        "requirement": "entity_registration",
        "code": "not_readable",
        "reason": "Cannot read",
        "document_id": doc.pk,
    } in req["errors"]


def test_missing_legal_representative_is_named(reference, seller):
    from cases.services import onboarding_start

    merchant, _ = onboarding_start(
        actor=seller, data={"legal_name": "No Rep Ltd", "entity_type": "company", "country": "GB"}
    )
    req = _sell(merchant)
    assert "legal_representative" in {i["code"] for i in req["currently_due"]}
    assert "articles" in {i["code"] for i in req["currently_due"]}  # GB-only rule
    assert any(e["code"] == "legal_representative_missing" for e in req["errors"])


def test_category_capability_requires_its_license(ready_case, seller):
    food = Category.objects.get(code="food")
    capability, case = capability_apply(
        actor=seller, merchant=ready_case.merchant, kind="category", category=food
    )
    assert case.pk == ready_case.pk
    reqs = {r["capability"]: r for r in case_requirements(case)}
    assert [i["code"] for i in reqs["category.food"]["currently_due"]] == [
        "category.food.food_license"
    ]
    assert reqs["category.food"]["label"] == "Category: Food and beverages"


def test_requirements_use_a_constant_number_of_queries(draft_case, django_assert_max_num_queries):
    merchant = draft_case.merchant
    for i in range(20):
        PersonFactory(
            merchant=merchant,
            full_name=f"Owner {i}",
            is_legal_representative=False,
            is_beneficial_owner=True,
            ownership_percent=1,
        )
    with django_assert_max_num_queries(8):
        merchant_requirements(merchant)


def test_requirements_in_chinese(draft_case):
    from django.utils import translation

    with translation.override("zh-hans"):
        req = _sell(draft_case.merchant)
    labels = {i["label"] for i in req["currently_due"]}
    assert "营业执照或公司注册证书" in labels


def test_published_rules_are_cached_and_forgotten_when_a_rule_changes(draft_case):
    """Published rules are loaded once per process; saving a rule (or its document types)
    empties the cache, so a new rule shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kyc.models import RequirementRule
    from kyc.requirements import active_policy, policy_rules

    policy = active_policy()
    assert policy is not None
    first = policy_rules(policy)
    with CaptureQueriesContext(connection) as ctx:
        assert policy_rules(policy) is first
    assert len(ctx.captured_queries) == 0
    rule = RequirementRule.objects.create(
        policy=policy, code="tax_registration", capability_kind="sell"
    )
    rule.document_types.set([DocumentType.objects.get(code="business_license")])
    codes = {item["code"] for item in _sell(draft_case.merchant)["currently_due"]}
    assert "tax_registration" in codes
    assert policy_rules(policy) is not first


def test_the_admin_keeps_a_published_policys_rules_read_only(rf, reference):
    from django.contrib import admin

    from accounts.models import User
    from kyc.admin import RequirementRuleInline
    from kyc.models import PolicyVersion

    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    inline = RequirementRuleInline(PolicyVersion, admin.site)
    published = PolicyVersion.objects.exclude(published_at=None).first()
    draft = PolicyVersion.objects.create(version=99)
    for check in (
        inline.has_add_permission,
        inline.has_change_permission,
        inline.has_delete_permission,
    ):
        assert check(request, published) is False
        assert check(request, draft) is True
