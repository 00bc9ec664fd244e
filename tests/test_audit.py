import threading

import pytest
from django.conf import settings
from django.db import connection, connections

from approvals.models import AuditEvent
from approvals.services.audit import GENESIS_HASH, append_event, event_hash, verify_chain
from tests.conftest import need_service

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.django_db
def test_appends_build_one_valid_chain():
    first = append_event(actor="alice", action="version.edit", model_id="m-1", payload={"fields": {"Metrics": [{}, 1]}})
    second = append_event(actor="PAI", action="pai.changed", model_id="m-1", version_name="0.1.0")
    third = append_event(actor="system", action="sync.done", payload={"说明": "中文"})

    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == first.hash
    assert events[2].prev_hash == second.hash
    assert third.hash == events[2].hash
    # What is stored hashes to what was recorded (JSON and times survive the round trip).
    assert all(event_hash(e) == e.hash for e in events)
    report = verify_chain()
    assert report.ok, report.problems
    assert report.checked == 3


@pytest.mark.django_db
def test_an_ip_address_is_stored_in_the_form_it_was_hashed():
    append_event(actor="alice", action="login", client_ip="2001:DB8:0:0::1")
    append_event(actor="alice", action="login", client_ip="127.0.0.1")
    assert verify_chain().ok


# The SQLite test database is a file (see settings), so threads really contend for it.
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_valid_chain():
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                append_event(actor=f"user{n}", action="version.edit", payload={"i": i})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert AuditEvent.objects.count() == 80
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 81))
    # One chain: every event links to a distinct predecessor, none forks.
    assert len(set(AuditEvent.objects.values_list("prev_hash", flat=True))) == 80
    report = verify_chain()
    assert report.ok, report.problems


@pytest.mark.django_db
def test_the_orm_refuses_to_save_an_existing_event():
    event = append_event(actor="alice", action="version.edit")
    event.actor = "mallory"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get().actor == "alice"


@pytest.mark.django_db
def test_the_orm_refuses_queryset_update_and_delete():
    append_event(actor="alice", action="version.edit")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(actor="alice").update(actor="mallory")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().actor == "alice"


@pytest.mark.django_db
def test_the_orm_refuses_to_delete_an_event():
    event = append_event(actor="alice", action="version.edit")
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_raw_update_and_delete_of_events():
    need_service("PostgreSQL", ON_POSTGRES)
    from django.db import DatabaseError, transaction

    append_event(actor="alice", action="version.edit")
    table = AuditEvent._meta.db_table
    for sql in (f"UPDATE {table} SET actor = 'mallory'", f"DELETE FROM {table}"):  # noqa: S608 (constant)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert list(AuditEvent.objects.values_list("actor", flat=True)) == ["alice"]
