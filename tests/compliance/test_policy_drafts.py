"""Requirement rules edited as a draft policy version, shown as a diff, and published by a
second compliance admin (four-eyes); new cases use the published version, decided cases keep
theirs."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from cases import services as case_services
from cases.models import ReasonCode, ReasonKind
from compliance import services
from compliance.services import RuleData
from config.errors import Conflict, NotAllowed, NotFound
from kyc import requirements
from kyc.models import DocumentType, PolicyVersion, RequirementRule
from kyc.requirements import active_policy, merchant_requirements

pytestmark = pytest.mark.django_db


def _new_rule_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": "address_proof",
        "capability_kind": "sell",
        "entity_type": "company",
        "country": "CN",
        "category": "",
        "person_scope": "",
        "document_types": [DocumentType.objects.get(code="proof_of_address").pk],
        "label_en": "Proof of the registered address",
        "label_zh": "注册地址证明",
    }
    data.update(overrides)
    return data


def _rule_data(**overrides: Any) -> RuleData:
    form = _new_rule_form(**overrides)
    return RuleData(
        code=form["code"],
        capability_kind=form["capability_kind"],
        entity_type=form["entity_type"],
        country=form["country"],
        category_id=None,
        person_scope=form["person_scope"],
        document_type_ids=form["document_types"],
        label_en=form["label_en"],
        label_zh=form["label_zh"],
    )


def _post(client: Any, url: str, data: dict[str, Any] | None = None) -> int:
    return int(client.post(url, data or {}).status_code)


def _codes(merchant: Any) -> set[str]:
    sell = next(r for r in merchant_requirements(merchant) if r["capability"] == "sell")
    return {item["code"] for item in sell["currently_due"]}


def test_a_draft_copies_the_published_rules_and_leaves_them_untouched(reference, admin_user):
    published_rules = set(reference.rules.values_list("code", "capability_kind", "country"))
    draft = services.policy_draft_create(actor=admin_user)
    assert draft.version == 2 and draft.published_at is None
    assert set(draft.rules.values_list("code", "capability_kind", "country")) == published_rules
    assert active_policy() == reference
    event = AuditEvent.objects.get(action="policy.draft_created")
    assert event.after == {
        "version": 2,
        "copied_from": "requirements-v1",
        "rules": len(published_rules),
    }


def test_only_one_draft_exists_at_a_time(reference, admin_user, other_admin):
    services.policy_draft_create(actor=admin_user)
    with pytest.raises(Conflict) as exc:
        services.policy_draft_create(actor=other_admin)
    assert exc.value.code == "draft_exists"
    assert PolicyVersion.objects.count() == 2


def test_a_published_rule_cannot_be_edited_or_removed(reference, admin_user):
    services.policy_draft_create(actor=admin_user)
    published_rule = reference.rules.get(code="entity_registration")
    with pytest.raises(NotFound):
        services.policy_rule_save(actor=admin_user, rule_id=published_rule.pk, data=_rule_data())
    with pytest.raises(NotFound):
        services.policy_rule_delete(actor=admin_user, rule_id=published_rule.pk)
    published_rule.refresh_from_db()
    assert published_rule.label_en == "Business license or certificate of incorporation"
    assert not AuditEvent.objects.filter(action__startswith="policy.rule").exists()


def test_the_rule_pages_refuse_a_published_rule_as_missing(reference, admin_client, admin_user):
    services.policy_draft_create(actor=admin_user)
    published_rule = reference.rules.get(code="entity_registration")
    url = f"/compliance/policy/draft/rules/{published_rule.pk}/"
    assert admin_client.get(url).status_code == 404
    response = admin_client.post(f"/compliance/policy/draft/rules/{published_rule.pk}/delete/")
    assert response.status_code == 404
    assert reference.rules.filter(pk=published_rule.pk).exists()


def test_a_bad_rule_is_refused_next_to_its_fields(reference, admin_client, admin_user):
    services.policy_draft_create(actor=admin_user)
    before = RequirementRule.objects.count()
    response = admin_client.post(
        "/compliance/policy/draft/rules/new/",
        _new_rule_form(code="entity_registration", entity_type="", country="", label_zh=""),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["label_zh"] == ["This field is required."]
    assert RequirementRule.objects.count() == before

    response = admin_client.post(
        "/compliance/policy/draft/rules/new/",
        _new_rule_form(code="entity_registration", entity_type="", country=""),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        "The draft has a rule with this code for the same filters already."
    ]
    assert RequirementRule.objects.count() == before


def test_the_draft_is_shown_as_a_diff_against_the_published_version(
    reference, admin_client, admin_user
):
    services.policy_draft_create(actor=admin_user)
    draft = PolicyVersion.objects.get(published_at__isnull=True)
    assert _post(admin_client, "/compliance/policy/draft/rules/new/", _new_rule_form()) == 302
    changed = draft.rules.get(code="entity_registration")
    form = _new_rule_form(
        code="entity_registration",
        entity_type="",
        country="",
        document_types=[DocumentType.objects.get(code="business_license").pk],
        label_en="Business license",
        label_zh="营业执照",
    )
    assert _post(admin_client, f"/compliance/policy/draft/rules/{changed.pk}/", form) == 302
    removed = draft.rules.get(code="shareholder_register")
    assert _post(admin_client, f"/compliance/policy/draft/rules/{removed.pk}/delete/") == 302

    response = admin_client.get("/compliance/policy/")
    diff = response.context["diff"]
    assert {(c.kind, c.rule.code) for c in diff.changes} == {
        ("added", "address_proof"),
        ("changed", "entity_registration"),
        ("removed", "shareholder_register"),
    }
    changed_row = next(c for c in diff.changes if c.kind == "changed")
    assert changed_row.fields == ["document_types", "label_en", "label_zh"]
    page = response.content.decode()
    assert "<del>Business license; Certificate of incorporation</del>" in page
    assert "<ins>Business license</ins>" in page
    assert "another compliance admin must publish it" in page
    assert 'action="/compliance/policy/draft/publish/"' not in page  # no button for its author
    actions = list(
        AuditEvent.objects.filter(action__startswith="policy.rule").values_list("action", flat=True)
    )
    assert actions == ["policy.rule_added", "policy.rule_changed", "policy.rule_removed"]
    change = AuditEvent.objects.get(action="policy.rule_changed")
    assert change.before["document_types"] == ["business_license", "certificate_of_incorporation"]
    assert change.after["document_types"] == ["business_license"]
    assert change.policy_version == "requirements-v2"


def test_the_author_cannot_publish_and_is_told_why(reference, admin_client, admin_user):
    services.policy_draft_create(actor=admin_user)
    admin_client.post("/compliance/policy/draft/rules/new/", _new_rule_form())
    response = admin_client.post("/compliance/policy/draft/publish/")
    assert response.status_code == 403
    assert (
        "You created or changed this draft: another compliance admin must publish it "
        "(four-eyes)." in response.content.decode()
    )
    assert active_policy() == reference
    assert PolicyVersion.objects.get(version=2).published_at is None
    assert not AuditEvent.objects.filter(action="policy.published").exists()


def test_an_admin_who_only_edited_the_draft_cannot_publish_it_either(
    reference, admin_user, other_admin
):
    services.policy_draft_create(actor=admin_user)
    services.policy_rule_save(actor=other_admin, rule_id=None, data=_rule_data())
    for actor in (admin_user, other_admin):
        with pytest.raises(NotAllowed) as exc:
            services.policy_publish(actor=actor)
        assert exc.value.code == "four_eyes"
    assert active_policy() == reference


def test_an_admin_invited_by_the_author_cannot_publish_the_authors_draft(
    reference, admin_user, other_admin
):
    invited = services.user_invite(
        actor=admin_user,
        username="sock-puppet",
        email="puppet@example.com",
        first_name="",
        last_name="",
        roles=["compliance_admin"],
        language="en",
        base_url="http://testserver/",
    )
    services.policy_draft_create(actor=admin_user)
    services.policy_rule_save(actor=admin_user, rule_id=None, data=_rule_data())
    with pytest.raises(NotAllowed) as exc:
        services.policy_publish(actor=invited)
    assert exc.value.code == "four_eyes"
    assert services.policy_publish(actor=other_admin).version == 2


def test_a_draft_without_changes_is_not_published(reference, admin_user, other_admin):
    services.policy_draft_create(actor=admin_user)
    with pytest.raises(Exception) as exc:
        services.policy_publish(actor=other_admin)
    assert getattr(exc.value, "code", "") == "no_changes"
    assert active_policy() == reference


def test_a_second_admin_publishes_new_cases_use_it_and_decided_cases_keep_theirs(
    reference,
    admin_client,
    admin_user,
    other_admin_client,
    claimed_case,
    reviewer,
    seller,
):
    """The acceptance path: admin A edits a rule in a draft, admin B publishes it; a new
    case is held to the new rule and submitted under the new version, while a case decided
    under version 1 keeps version 1 and is still read under it."""
    from tests.factories import PersonFactory

    rejection = ReasonCode.objects.filter(kind=ReasonKind.REJECTION, is_active=True).first()
    decided = case_services.case_reject(
        actor=reviewer,
        case_id=claimed_case.pk,
        reason_codes=[rejection.code],
        rationale="The license is unreadable.",
    )
    assert decided.policy_version == reference
    requirements.policy_rules(reference)  # the published rules, cached in this process

    admin_client.post("/compliance/policy/draft/")
    assert _post(admin_client, "/compliance/policy/draft/rules/new/", _new_rule_form()) == 302
    response = other_admin_client.post("/compliance/policy/draft/publish/")
    assert response.status_code == 302

    v2 = PolicyVersion.objects.get(version=2)
    assert v2.published_at is not None and v2.published_by.username == "second-admin"
    assert active_policy() == v2
    assert requirements._RULES == {}  # emptied on publish
    event = AuditEvent.objects.get(action="policy.published")
    assert event.actor_id != admin_user.pk
    assert event.after["added"] == ["address_proof/sell/company/CN/*"]
    assert event.after["editors"] == [admin_user.username]

    # A new merchant is held to the new rule, and its case is submitted under version 2.
    merchant, case = case_services.onboarding_start(
        actor=seller,
        data={
            "legal_name": "Xiamen New Rule Trading Co., Ltd.",
            "entity_type": "company",
            "country": "CN",
            "registration_number": "91350100M000100Y43",
        },
    )
    PersonFactory(merchant=merchant, full_name="Chen Jie", is_legal_representative=True)
    assert "address_proof" in _codes(merchant)
    # Not every merchant: the rule is for companies in China.
    merchant.country = "HK"
    assert "address_proof" not in _codes(merchant)

    # The case decided under version 1 keeps it, and is still read under it.
    decided.refresh_from_db()
    assert decided.policy_version == reference
    decided_reqs = case_services.case_requirements(decided)
    assert all(
        item["code"] != "address_proof"
        for req in decided_reqs
        for group in ("currently_due", "eventually_due", "past_due", "pending_verification")
        for item in req[group]
    )


def test_a_case_submitted_after_publication_records_the_new_version(
    reference, admin_user, other_admin, ready_case, seller
):
    services.policy_draft_create(actor=admin_user)
    rule = RequirementRule.objects.get(policy__version=2, code="entity_registration")
    services.policy_rule_save(
        actor=admin_user,
        rule_id=rule.pk,
        data=_rule_data(
            code="entity_registration",
            entity_type="",
            country="",
            document_types=[DocumentType.objects.get(code="business_license").pk],
            label_en="Business license",
            label_zh="营业执照",
        ),
    )
    v2 = services.policy_publish(actor=other_admin)
    submitted = case_services.case_submit(actor=seller, case_id=ready_case.pk)
    assert submitted.policy_version == v2


def test_discarding_the_draft_leaves_the_published_version(reference, admin_client, admin_user):
    services.policy_draft_create(actor=admin_user)
    response = admin_client.post("/compliance/policy/draft/discard/")
    assert response.status_code == 302
    assert list(PolicyVersion.objects.values_list("version", flat=True)) == [1]
    assert reference.rules.count() > 0
    assert AuditEvent.objects.filter(action="policy.draft_discarded").count() == 1


def test_staff_without_the_role_cannot_draft_or_publish(reference, reviewer, admin_user):
    with pytest.raises(NotAllowed):
        services.policy_draft_create(actor=reviewer)
    services.policy_draft_create(actor=admin_user)
    services.policy_rule_save(actor=admin_user, rule_id=None, data=_rule_data())
    with pytest.raises(NotAllowed):
        services.policy_publish(actor=reviewer)
    assert active_policy() == reference


def test_a_draft_is_published_once(reference, admin_user, other_admin):
    """The second of two publications (a double click, a second admin at the same time)
    finds no draft: it is locked and published by the first."""
    services.policy_draft_create(actor=admin_user)
    services.policy_rule_save(actor=admin_user, rule_id=None, data=_rule_data())
    services.policy_publish(actor=other_admin)
    with pytest.raises(NotFound):
        services.policy_publish(actor=other_admin)
    assert AuditEvent.objects.filter(action="policy.published").count() == 1


def test_the_policy_page_runs_a_bounded_number_of_queries(
    reference, admin_client, admin_user, django_assert_max_num_queries
):
    services.policy_draft_create(actor=admin_user)
    for n in range(30):
        services.policy_rule_save(
            actor=admin_user, rule_id=None, data=_rule_data(code=f"extra_{n}")
        )
    with django_assert_max_num_queries(30):
        response = admin_client.get("/compliance/policy/")
    assert response.context["diff"].added == 30
