"""User text is always escaped; the language switch renders Simplified Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cases.models import ReviewCase

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def test_html_in_a_merchant_name_is_shown_as_text(
    seller_client: Any, reviewer_client: Any, submitted_case: ReviewCase
) -> None:
    merchant = submitted_case.merchant
    merchant.legal_name = SCRIPT
    merchant.save(update_fields=["legal_name"])
    person = merchant.people.get()
    person.full_name = '<img src=x onerror="alert(2)">'
    person.save(update_fields=["full_name"])
    for client, url in (
        (seller_client, reverse("merchants:list")),
        (seller_client, reverse("cases:merchant_detail", args=[merchant.pk])),
        (reviewer_client, reverse("cases:queue")),
        (reviewer_client, reverse("cases:case_detail", args=[submitted_case.pk])),
    ):
        html = client.get(url).content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert '<img src=x onerror="alert(2)">' not in html, url


def test_comments_are_escaped_too(reviewer_client: Any, claimed_case: ReviewCase) -> None:
    reviewer_client.post(
        reverse("cases:case_comment", args=[claimed_case.pk]),
        {"comment-body": SCRIPT, "comment-visibility": "internal"},
    )
    html = reviewer_client.get(reverse("cases:case_detail", args=[claimed_case.pk])).content
    assert SCRIPT.encode() not in html


def test_language_switch_renders_chinese(seller_client: Any, draft_case: ReviewCase) -> None:
    url = reverse("cases:merchant_detail", args=[draft_case.merchant_id])
    response = seller_client.post("/i18n/setlang/", {"language": "zh-hans", "next": url})
    assert response.status_code == 302
    html = seller_client.get(url).content.decode()
    assert 'lang="zh-hans"' in html
    assert "我的商户" in html  # "My merchants" in the navigation
    assert "营业执照或公司注册证书" in html  # the requirement label, from the policy data
    assert "法定代表人身份证件" in html
    assert "提交审核" in html  # "Submit for review"


def test_login_page_in_chinese(client: Any) -> None:
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("login")).content.decode()
    assert "登录" in html
