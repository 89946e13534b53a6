"""Deliveries go only to allowed destinations: checked when a subscription is saved and again
before every attempt (a DNS answer may change), with the reason recorded."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.db import transaction

from config.errors import InvalidInput
from tests.webhooks.conftest import FakeReceiver
from webhooks import network
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookSubscription
from webhooks.services import delivery_attempt, subscription_create, webhook_emit

REFUSED_URLS = [
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://100.100.100.200/", "metadata"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::]/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://[::ffff:169.254.169.254]/", "metadata"),
    ("ftp://hooks.platform.test/", "https"),
    ("https://user:pw@hooks.platform.test/", "password"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_a_refused_destination_is_refused_at_creation_on_the_url_field(
    db: Any, admin_user: Any, public_dns: Any, url: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        subscription_create(actor=admin_user, data={"name": "x", "url": url})
    assert list(excinfo.value.fields) == ["url"]
    assert reason in excinfo.value.fields["url"][0]
    assert WebhookSubscription.objects.count() == 0


def test_a_name_resolving_to_a_link_local_address_is_refused(
    db: Any, admin_user: Any, public_dns: dict[str, list[Any]]
) -> None:
    public_dns["hooks.evil.test"] = [
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("169.254.10.10"),
    ]
    with pytest.raises(InvalidInput) as excinfo:
        subscription_create(actor=admin_user, data={"name": "x", "url": "https://hooks.evil.test/"})
    assert "link-local" in excinfo.value.fields["url"][0]


def test_http_and_private_addresses_are_refused_when_not_allowed(
    db: Any, admin_user: Any, public_dns: dict[str, list[Any]], settings: Any
) -> None:
    settings.KYC_WEBHOOK_ALLOW_HTTP = False
    settings.KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    public_dns["intranet.test"] = [ipaddress.ip_address("10.1.2.3")]
    for url, reason in [
        ("http://hooks.platform.test/", "https"),
        ("https://127.0.0.1/", "private"),
        ("https://[::1]/", "private"),
        ("https://intranet.test/", "private"),
        ("https://192.168.1.5/", "private"),
    ]:
        with pytest.raises(InvalidInput) as excinfo:
            subscription_create(actor=admin_user, data={"name": "x", "url": url})
        assert reason in excinfo.value.fields["url"][0], url
    sub, _ = subscription_create(
        actor=admin_user, data={"name": "ok", "url": "https://hooks.platform.test/"}
    )
    assert sub.pk


def test_loopback_is_allowed_in_development(db: Any, admin_user: Any, settings: Any) -> None:
    settings.KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    sub, _ = subscription_create(
        actor=admin_user, data={"name": "local", "url": "http://127.0.0.1:8765/hook"}
    )
    assert sub.url == "http://127.0.0.1:8765/hook"


def test_a_dns_rebind_to_metadata_is_refused_at_delivery_and_not_retried(
    db: Any, subscription: Any, receiver: FakeReceiver, public_dns: dict[str, list[Any]]
) -> None:
    with transaction.atomic():
        event = webhook_emit(event_type="case.approved", data={})
    assert event is not None
    delivery = event.deliveries.get()
    public_dns["hooks.platform.test"] = [ipaddress.ip_address("169.254.169.254")]
    delivery_attempt(delivery_id=delivery.pk, attempt=1)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "metadata" in attempt.error
    assert receiver.requests == []


def test_a_url_changed_behind_the_service_is_still_checked_at_delivery(
    db: Any, subscription: Any, receiver: FakeReceiver
) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url="https://[fe80::1]/")
    with transaction.atomic():
        event = webhook_emit(event_type="case.approved", data={})
    assert event is not None
    delivery_attempt(delivery_id=event.deliveries.get().pk, attempt=1)
    assert "link-local" in WebhookAttempt.objects.get().error
    assert receiver.requests == []


def test_the_request_connects_to_the_checked_address_with_the_name_as_host(
    db: Any, public_dns: dict[str, list[Any]]
) -> None:
    public_dns["hooks.platform.test"] = [ipaddress.ip_address("93.184.216.34")]
    destination = network.check_url("https://hooks.platform.test:8443/in?x=1")
    assert destination.address == ipaddress.ip_address("93.184.216.34")
    assert destination.hostname == "hooks.platform.test"
    assert (destination.port, destination.path) == (8443, "/in?x=1")
