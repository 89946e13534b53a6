from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.chain import GENESIS_HASH, verify_chain
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_record
from tests.services import using_postgres


def _write(n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    action=f"test.event{i}",
                    object_type="x",
                    object_id=str(i),
                    after={"i": i, "name": "深圳"},
                    text="t",
                )
            )
    return events


def _raw(sql: str, params: list[object]) -> None:
    """Tampers with the table the way an attacker with database access would."""
    with connection.cursor() as cursor:
        if using_postgres():
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete"
            )
        cursor.execute(sql, params)
        if using_postgres():
            cursor.execute(
                "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete"
            )


def test_events_chain_each_to_the_previous_hash(db):
    events = _write(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert verify_chain().ok
    assert verify_chain().checked == 3


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(action="orphan.event")
    assert not AuditEvent.objects.exists()


def test_verify_audit_command_passes_on_an_intact_chain(db, capsys):
    _write(4)
    call_command("verify_audit")
    assert "4 events verified" in capsys.readouterr().out


def test_editing_one_event_makes_verify_audit_name_that_event(db):
    events = _write(5)
    _raw("UPDATE audit_auditevent SET text = %s WHERE id = %s", ["forged", events[2].pk])
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit")
    assert f"event #3 (id {events[2].pk})" in str(exc.value)
    assert "edited" in str(exc.value)


def test_editing_json_before_after_is_detected(db):
    events = _write(3)
    _raw("UPDATE audit_auditevent SET after = %s WHERE id = %s", ['{"i": 99}', events[1].pk])
    result = verify_chain()
    assert not result.ok and result.problem.seq == 2


def test_deleting_an_event_in_the_middle_is_detected(db):
    events = _write(4)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = verify_chain()
    assert not result.ok
    assert result.problem.seq == 3 and "missing" in result.problem.problem


def test_deleting_the_last_event_is_detected_through_the_chain_head(db):
    events = _write(3)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    result = verify_chain()
    assert not result.ok and "deleted from the end" in result.problem.problem


def test_reordering_two_events_is_detected(db):
    events = _write(3)
    # Swap the sequence numbers of events 1 and 2 (through a temporary value).
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [-1, events[0].pk])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [1, events[1].pk])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [2, events[0].pk])
    result = verify_chain()
    assert not result.ok and result.problem.seq == 1


def test_the_application_cannot_update_or_delete_an_event(db):
    (event,) = _write(1)
    event.text = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).text == "t"


@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_update_and_delete_of_audit_rows():
    from tests.services import need

    need("postgres")
    from django.db import DatabaseError

    (event,) = _write(1)
    for sql in (
        "UPDATE audit_auditevent SET text = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, text="t").exists()
    assert AuditChainHead.objects.get().last_seq == 1


def test_event_records_request_context_and_actor_role(db, reviewer):
    from audit import context

    token = context.set_current(context.RequestContext(ip="203.0.113.7", user_agent="pytest-UA"))
    try:
        with transaction.atomic():
            event = audit_record(action="case.viewed", actor=reviewer, case_id=1, text="x")
    finally:
        context.reset(token)
    assert (event.ip, event.user_agent, event.actor_role, event.actor_type) == (
        "203.0.113.7",
        "pytest-UA",
        "reviewer",
        "user",
    )
    assert event.actor_id == reviewer.pk
