"""Staff accounts on the compliance pages: invite (set-password e-mail), roles, deactivate,
reset the second factor; the platform always keeps an active compliance admin."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from compliance import services
from config.errors import Conflict
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _invite(client: Client, **overrides: object) -> object:
    data = {
        "username": "nina",
        "email": "Nina@Example.com",
        "first_name": "Nina",
        "last_name": "Park",
        "roles": ["reviewer"],
        "preferred_language": "zh-hans",
    }
    data.update(overrides)
    return client.post("/compliance/users/invite/", data)


def test_an_invited_colleague_sets_a_password_then_signs_in_with_a_second_factor(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client)
    assert response.status_code == 302
    user = User.objects.get(username="nina")
    assert user.email == "nina@example.com" and user.preferred_language == "zh-hans"
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["reviewer"]
    event = AuditEvent.objects.get(action="user.invited")
    assert event.actor_id == admin_user.pk and event.after["granted"] == ["reviewer"]

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@example.com"]
    assert "设置" in message.body  # in the invitee's language
    link = re.search(r"http://testserver(/accounts/set-password/\S+/)", message.body).group(1)

    visitor = Client()
    page = visitor.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    done = visitor.post(
        form_url, {"new_password1": "Correct-Horse-91", "new_password2": "Correct-Horse-91"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password("Correct-Horse-91")
    assert AuditEvent.objects.filter(action="user.password_set", object_id=str(user.pk)).exists()
    # The link works once.
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False

    # Signing in with the password leads to setting up the authenticator.
    signed_in = Client().post(
        "/accounts/login/", {"username": "nina", "password": "Correct-Horse-91"}, follow=True
    )
    assert signed_in.redirect_chain[-1][0].startswith("/accounts/two-factor/setup/")


def test_an_invitation_with_a_taken_username_or_e_mail_is_refused(admin_client, reviewer):
    response = _invite(admin_client, username=reviewer.username, email=reviewer.email.upper())
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["username"] == ["This username is taken."]
    assert errors["email"] == ["An account with this e-mail address exists already."]
    assert not AuditEvent.objects.filter(action="user.invited").exists()
    assert len(mail.outbox) == 0


def test_a_seller_role_cannot_be_given_on_the_staff_pages(admin_client):
    response = _invite(admin_client, roles=["seller"])
    assert response.status_code == 400
    assert not User.objects.filter(username="nina").exists()


def test_roles_are_changed_and_audited(admin_client, reviewer):
    response = admin_client.post(
        f"/compliance/users/{reviewer.pk}/", {"roles": ["reviewer", "senior_reviewer"]}
    )
    assert response.status_code == 302
    assert set(reviewer.groups.values_list("name", flat=True)) == {"reviewer", "senior_reviewer"}
    event = AuditEvent.objects.get(action="user.roles_changed")
    assert event.before == {"roles": ["reviewer"]}
    assert event.after["granted"] == ["senior_reviewer"] and event.after["removed"] == []


def test_the_last_compliance_admin_cannot_demote_or_deactivate_themselves(admin_client, admin_user):
    response = admin_client.post(f"/compliance/users/{admin_user.pk}/", {"roles": ["qc_lead"]})
    assert response.status_code == 400
    assert "You are the last active compliance admin" in response.content.decode()
    response = admin_client.post(f"/compliance/users/{admin_user.pk}/deactivate/")
    assert response.status_code == 409
    assert "You are the last active compliance admin" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert list(admin_user.groups.values_list("name", flat=True)) == ["compliance_admin"]
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()


def test_with_a_second_admin_an_admin_may_step_down(admin_user, other_admin):
    services.user_roles_set(actor=admin_user, user_id=admin_user.pk, roles=["qc_lead"])
    with pytest.raises(Conflict) as exc:
        services.user_set_active(actor=other_admin, user_id=other_admin.pk, is_active=False)
    assert exc.value.code == "last_admin"


def test_a_deactivated_staff_member_is_signed_out_and_cannot_sign_in(admin_client, reviewer):
    reviewer.set_password("Reviewer-Pass-77")
    reviewer.save()
    session = Client()
    session.force_login(reviewer)
    assert session.get("/review/").status_code == 200
    response = admin_client.post(f"/compliance/users/{reviewer.pk}/deactivate/")
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.is_active is False
    assert session.get("/review/").status_code == 302  # the session no longer counts
    assert AuditEvent.objects.filter(action="user.deactivated").count() == 1
    admin_client.post(f"/compliance/users/{reviewer.pk}/activate/")
    reviewer.refresh_from_db()
    assert reviewer.is_active is True


def test_resetting_the_second_factor_deletes_the_devices(admin_client, reviewer):
    session = Client()
    session.force_login(reviewer)  # verified by a device named "test"
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1
    response = admin_client.post(f"/compliance/users/{reviewer.pk}/reset-second-factor/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    event = AuditEvent.objects.get(action="user.second_factor_reset")
    assert event.before == {"devices": ["test"]}
    # The old verified session must set up a new authenticator before any staff page.
    follow = session.get("/review/")
    assert follow.status_code == 302 and "/accounts/two-factor/" in follow["Location"]
    # Nothing left to reset: nothing written.
    admin_client.post(f"/compliance/users/{reviewer.pk}/reset-second-factor/")
    assert AuditEvent.objects.filter(action="user.second_factor_reset").count() == 1


def test_seller_accounts_are_not_managed_here(admin_client, seller):
    assert admin_client.get(f"/compliance/users/{seller.pk}/").status_code == 404
    response = admin_client.post(f"/compliance/users/{seller.pk}/deactivate/")
    assert response.status_code == 404
    seller.refresh_from_db()
    assert seller.is_active


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    "path",
    [
        "/compliance/",
        "/compliance/policy/",
        "/compliance/reason-codes/",
        "/compliance/risk/",
        "/compliance/qc-sampling/",
        "/compliance/users/",
        "/compliance/users/invite/",
    ],
)
def test_only_compliance_admins_reach_the_pages(path, reference, seller, admin_user):
    statuses = {}
    for name, user in {
        "seller": seller,
        "reviewer": make_user(Role.REVIEWER),
        "senior": make_user(Role.SENIOR_REVIEWER),
        "qc_lead": make_user(Role.QC_LEAD),
        "admin": admin_user,
        "superuser": make_user("", is_superuser=True, is_staff=True),
    }.items():
        client = Client()
        client.force_login(user)
        statuses[name] = client.get(path).status_code
    assert statuses == {
        "seller": 404,
        "reviewer": 403,
        "senior": 403,
        "qc_lead": 403,
        "admin": 200,
        "superuser": 404,
    }
    assert Client().get(path).status_code == 302


def test_the_navigation_links_the_pages_for_compliance_admins_only(admin_client, reviewer):
    assert 'href="/compliance/"' in admin_client.get("/review/").content.decode()
    client = Client()
    client.force_login(reviewer)
    assert 'href="/compliance/"' not in client.get("/review/").content.decode()


def test_the_users_page_runs_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    for _ in range(30):
        make_user(Role.REVIEWER)
    with django_assert_max_num_queries(15):
        response = admin_client.get("/compliance/users/")
    assert len(response.context["users"]) == 31
