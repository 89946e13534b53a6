from __future__ import annotations

from celery import shared_task

from .services import document_verify


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def verify_document_task(self: object, document_id: int) -> None:
    document_verify(document_id=document_id)
