"""The compliance pages' side effects, run after the change committed."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=8,
)
def send_invitation_task(self: object, user_id: int, base_url: str) -> int:
    """The invitation e-mail with a set-password link (Django's password-reset token: it
    stops working once a password is set or after PASSWORD_RESET_TIMEOUT). Sending it again
    sends another working link; nothing else changes."""
    from .services import invitation_send

    return invitation_send(user_id=user_id, base_url=base_url)
