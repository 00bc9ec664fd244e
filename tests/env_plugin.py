"""Loaded with `-p` before Django reads its settings: each test run gets its own
folder for the SQLite test database (a file, so a worker process can share it)
and the filesystem broker, apart from the demo's `var/`.

The settings' defaults are production's (DEBUG off, no secret key, no endpoint but
PAI's own): the tests say here what they run with, and subprocesses (a worker, the
demo) inherit it. Production settings are tested in subprocesses (tests/production_env.py).
"""

import atexit
import os
import secrets
import shutil
import tempfile

if "VAR_DIR" not in os.environ:
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="pai-review-test-")
    atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)

# The audit chain's HMAC key for the tests (a production process refuses to append without one).
os.environ.setdefault("AUDIT_HMAC_KEYS", "test:dGVzdC1hdWRpdC1obWFjLWtleS0zMi1ieXRlcy1sb25n")
# As the demo runs: plain static files, no HTTPS redirect.
os.environ["DEBUG"] = "1"
# A key of this run only: nothing may depend on the public demo key.
os.environ["DJANGO_SECRET_KEY"] = "test-only-" + secrets.token_urlsafe(40)
# The emulators of the tests listen on loopback, each on a free port.
os.environ["PAI_ALLOWED_ENDPOINTS"] = "http://127.0.0.1:*"
# The notification channels' and audit stream's receivers of the tests listen on loopback too;
# their secrets are encrypted with a key of this run.
os.environ["NOTIFY_ALLOWED_URLS"] = "http://127.0.0.1:*,tcp://127.0.0.1:*"
os.environ.setdefault("NOTIFY_SECRETS_KEYS", "dGVzdC1ub3RpZnkta2V5LTMyLWJ5dGVzLWxvbmchISE=")
# Throttle counts in this process's memory, cleared between tests (tests/fixtures_api.py);
# clearing a Redis cache would empty its whole database. tests/test_shared_limits.py uses Redis.
os.environ["CACHE_URL"] = "locmemcache://"
