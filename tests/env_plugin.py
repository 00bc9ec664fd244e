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
