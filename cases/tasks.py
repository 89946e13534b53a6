from __future__ import annotations

from celery import shared_task

from .services import notification_send


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=8,
)
def send_notification_task(self: object, notification_id: int) -> None:
    notification_send(notification_id=notification_id)
