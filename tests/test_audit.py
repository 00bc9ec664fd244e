import threading
import uuid
from pathlib import Path

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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sql", ["TRUNCATE {t}", "TRUNCATE {t} CASCADE", "TRUNCATE approvals_apitoken, {t}"])
def test_postgresql_refuses_truncate_of_the_audit_log(sql):
    need_service("PostgreSQL", ON_POSTGRES)
    from django.db import DatabaseError, transaction

    append_event(actor="alice", action="version.edit")
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(sql.format(t=AuditEvent._meta.db_table))
    assert list(AuditEvent.objects.values_list("actor", flat=True)) == ["alice"]
    assert verify_chain().ok


def readme_role_sql(role: str, database: str, owner: str) -> list[str]:
    """The README's SQL for the application's role, for this test database and a fresh role name."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    block = block.replace("review_app", role).replace("DATABASE review ", f'DATABASE "{database}" ')
    block = block.replace("FOR ROLE review ", f'FOR ROLE "{owner}" ')
    return [s.strip() for s in "\n".join(line.split("--")[0] for line in block.splitlines()).split(";") if s.strip()]


@pytest.mark.django_db
def test_the_readme_role_appends_and_reads_but_cannot_change_or_unprotect_the_audit_log():
    need_service("PostgreSQL", ON_POSTGRES)
    from django.db import DatabaseError, transaction

    role = f"review_app_{uuid.uuid4().hex[:8]}"
    table = AuditEvent._meta.db_table
    append_event(actor="alice", action="version.edit")
    # All inside the test's transaction: the role and its grants are rolled back with it.
    owner = connection.get_connection_params()["user"]
    with connection.cursor() as cur:
        for statement in readme_role_sql(role, connection.settings_dict["NAME"], owner):
            cur.execute(statement)
        cur.execute(f"SET ROLE {role}")
    try:
        append_event(actor="bob", action="version.edit")
        assert verify_chain().ok
        refused = [
            f"UPDATE {table} SET actor = 'mallory'",  # noqa: S608 (constant)
            f"DELETE FROM {table}",  # noqa: S608
            f"TRUNCATE {table}",
            f"ALTER TABLE {table} DISABLE TRIGGER USER",
            f"DROP TRIGGER approvals_auditevent_no_truncate ON {table}",
            f"DROP TABLE {table}",
        ]
        for sql in refused:
            with (
                pytest.raises(DatabaseError, match=r"permission denied|must be owner"),
                transaction.atomic(),
                connection.cursor() as cur,
            ):
                cur.execute(sql)
        # Everything else stays writable for the role.
        with connection.cursor() as cur:
            cur.execute("SELECT has_table_privilege('approvals_modelversion', 'UPDATE, DELETE')")
            assert cur.fetchone() == (True,)
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET ROLE")
    assert list(AuditEvent.objects.order_by("seq").values_list("actor", flat=True)) == ["alice", "bob"]
