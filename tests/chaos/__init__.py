"""The chaos harness: the whole product under faults, then a count of what survived.

`python -m tests.chaos` (make chaos) starts a real web server, its own Redis,
PostgreSQL (or SQLite), two Celery workers, beat and the PAI emulator with
faults on; simulated users edit and decide through the REST API while the
harness kills workers and restarts Redis and the web server; then it waits for
the pipeline to settle and checks that nothing accepted was lost. `--short` is
the variant CI runs (tests/test_chaos_short.py).
"""
