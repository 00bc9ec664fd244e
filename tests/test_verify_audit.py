import pytest
from django.core.management import CommandError, call_command

from approvals.models import AuditEvent
from approvals.services.audit import append_event
from tests.fixtures_audit import tampering

TABLE = AuditEvent._meta.db_table


def run_verify(capsys) -> tuple[int, str]:
    try:
        call_command("verify_audit")
    except CommandError as exc:
        return 1, str(exc)
    return 0, capsys.readouterr().out


@pytest.fixture
def five_events(db) -> list[AuditEvent]:
    return [append_event(actor="alice", action="version.edit", payload={"n": n}) for n in range(1, 6)]


def test_it_says_ok_with_the_event_count_on_a_clean_log(five_events, capsys):
    code, out = run_verify(capsys)
    assert code == 0
    assert out.strip() == "OK 5 events"


def test_it_says_ok_on_an_empty_log(db, capsys):
    assert run_verify(capsys) == (0, "OK 0 events\n")


def test_it_names_an_edited_event(five_events, capsys):
    with tampering() as cur:
        cur.execute(f"UPDATE {TABLE} SET actor = 'mallory' WHERE seq = 3")  # noqa: S608
    code, out = run_verify(capsys)
    assert code == 1
    assert "event #3" in out
    assert "edited" in out


def test_it_names_the_event_after_a_deleted_one(five_events, capsys):
    with tampering() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq = 2")  # noqa: S608
    code, out = run_verify(capsys)
    assert code == 1
    assert "event #3" in out
    assert "removed or reordered" in out


def test_it_names_swapped_events(five_events, capsys):
    # Swap the places of #2 and #4 (their seq numbers), keeping each row's content and hash.
    with tampering() as cur:
        cur.execute(f"UPDATE {TABLE} SET seq = 1000 WHERE seq = 2")  # noqa: S608
        cur.execute(f"UPDATE {TABLE} SET seq = 2 WHERE seq = 4")  # noqa: S608
        cur.execute(f"UPDATE {TABLE} SET seq = 4 WHERE seq = 1000")  # noqa: S608
    code, out = run_verify(capsys)
    assert code == 1
    assert "event #2" in out


def test_it_catches_a_recomputed_hash_that_no_longer_links(five_events, capsys):
    # An intruder who edits #3 and fixes up its own hash still breaks #4's link.
    from approvals.services.audit import event_hash

    event = AuditEvent.objects.get(seq=3)
    event.actor = "mallory"
    new_hash = event_hash(event)
    with tampering() as cur:
        cur.execute(f"UPDATE {TABLE} SET actor = 'mallory', hash = %s WHERE seq = 3", [new_hash])  # noqa: S608
    code, out = run_verify(capsys)
    assert code == 1
    assert "event #4" in out
