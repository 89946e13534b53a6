"""The only writer of the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.roles import primary_role

from . import context
from .chain import event_hash
from .models import ActorType, AuditChainHead, AuditEvent


def _jsonable(value: Any) -> Any:
    """Round-trips through JSON so the hashed value equals what the database gives back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    case_id: int | None = None,
    merchant_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason_codes: Iterable[str] = (),
    text: str = "",
    policy_version: str = "",
) -> AuditEvent:
    """Appends one event to the chain inside the caller's transaction.

    Guarantees: the event commits or rolls back with the change it describes; appends are
    serialised by locking the chain head, so `seq` has no gaps and each `prev_hash` is the
    hash of the event before it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    ctx = context.current()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_type = ActorType.API_TOKEN if ctx.api_token_id else ActorType.USER
        actor_repr = actor.get_username()
        if ctx.api_token_id:
            actor_repr += f" via token {ctx.api_token_name}"
        actor_role = primary_role(actor)
        actor_id = actor.pk
    else:
        actor_type, actor_repr, actor_role, actor_id = ActorType.SYSTEM, "system", "system", None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)

    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    row: dict[str, Any] = {
        "seq": head.last_seq + 1,
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_repr": actor_repr[:200],
        "actor_type": str(actor_type),
        "actor_role": actor_role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "case_id": case_id,
        "merchant_id": merchant_id,
        "before": _jsonable(before),
        "after": _jsonable(after),
        "reason_codes": sorted(str(code) for code in reason_codes),
        "text": text,
        "policy_version": policy_version,
        "ip": ctx.ip,
        "user_agent": ctx.user_agent,
        "prev_hash": head.last_hash,
    }
    row["hash"] = event_hash(row)
    event = AuditEvent.objects.create(**row)
    AuditChainHead.objects.filter(pk=1).update(last_seq=row["seq"], last_hash=row["hash"])
    return event
