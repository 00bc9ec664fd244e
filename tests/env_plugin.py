"""Loaded with `-p` before Django reads its settings: each test run gets its own
folder for the SQLite test database (a file, so a worker process can share it)
and the filesystem broker, apart from the demo's `var/`."""

import atexit
import os
import shutil
import tempfile

if "VAR_DIR" not in os.environ:
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="pai-review-test-")
    atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)

# The audit chain's HMAC key for the tests (a production process refuses to append without one).
os.environ.setdefault("AUDIT_HMAC_KEYS", "test:dGVzdC1hdWRpdC1obWFjLWtleS0zMi1ieXRlcy1sb25n")
