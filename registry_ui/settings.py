"""Settings, read from the environment; the defaults run the demo on one machine."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for: `make run` (the demo) and the tests set DEBUG=1 themselves.
DEBUG = env.bool("DEBUG", default=False)
# The demo key is public (it signs sessions and API cursors): only DEBUG=1 may fall back to it.
DEMO_SECRET_KEY = "insecure-demo-key-set-DJANGO_SECRET_KEY"  # noqa: S105 (public by design)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEMO_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY in ("", DEMO_SECRET_KEY):
    raise environ.ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set (or is the public demo key). With DEBUG off, the default, the dashboard "
        "needs its own secret key, e.g. the output of: "
        'python -c "import secrets; print(secrets.token_urlsafe(50))". '
        "`make run` starts the local demo with DEBUG=1 instead."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "mozilla_django_oidc",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the WSGI app itself in production, after `collectstatic`; the demo's
    # runserver serves them from the app folders.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if not DEBUG else []),
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "approvals.web.security.SessionExpiryMiddleware",
    # After the expiry clocks: a session signed in through the provider ends at the first
    # request after the provider refuses to renew it (approvals/web/oidc/refresh.py).
    "approvals.web.oidc.refresh.ProviderSessionRefreshMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "approvals.web.middleware.TimezoneMiddleware",
    # Last: turns a login refused for a lockout into the login page with the reason.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry_ui.urls"
WSGI_APPLICATION = "registry_ui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.messages.context_processors.messages",
                "approvals.web.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL, a busy timeout and immediate transactions let the web process and the
    # worker write side by side without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so a worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))

# Celery: the kombu filesystem transport needs no server; Redis in production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers an unacknowledged task after the visibility timeout: keep it
    # above the longest retry countdown so a waiting retry is not run twice early.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TIMEZONE = TIME_ZONE

# PAI. With no PAI_ENDPOINT and no PAI_REGION the dashboard talks to the bundled
# emulator with its demo AccessKey; otherwise credentials come from the
# alibabacloud-credentials default chain unless an AccessKey is given here.
EMULATOR_ACCESS_KEY_ID = "LTAI5tDemoEmulatorKey"
EMULATOR_ACCESS_KEY_SECRET = "demo-emulator-secret-not-for-production"  # noqa: S105 (public demo key)
PAI_REGION = env.str("PAI_REGION", default="cn-hangzhou")
# PAI's console, for the links from a version to its page there and to its job or pipeline run
# (approvals/display/console_links.py); empty: no such links.
PAI_CONSOLE_URL = env.str("PAI_CONSOLE_URL", default="https://pai.console.aliyun.com")
_USING_EMULATOR = "PAI_ENDPOINT" not in os.environ and "PAI_REGION" not in os.environ
PAI_ENDPOINT = env.str(
    "PAI_ENDPOINT",
    default="http://127.0.0.1:8765" if _USING_EMULATOR else f"https://aiworkspace.{PAI_REGION}.aliyuncs.com",
)
PAI_ACCESS_KEY_ID = env.str("PAI_ACCESS_KEY_ID", default=EMULATOR_ACCESS_KEY_ID if _USING_EMULATOR else "")
PAI_ACCESS_KEY_SECRET = env.str("PAI_ACCESS_KEY_SECRET", default=EMULATOR_ACCESS_KEY_SECRET if _USING_EMULATOR else "")
PAI_SECURITY_TOKEN = env.str("PAI_SECURITY_TOKEN", default="")
PAI_WORKSPACE_IDS = env.list("PAI_WORKSPACE_IDS", default=[])
# Signed requests go only to HTTPS on a PAI host (approvals/pai/endpoints.py) or to an address
# listed here, e.g. an emulator: "http://127.0.0.1:8765" (a port of * means any port).
PAI_ALLOWED_ENDPOINTS = env.list("PAI_ALLOWED_ENDPOINTS", default=[])
PAI_CONNECT_TIMEOUT = env.float("PAI_CONNECT_TIMEOUT", default=5.0)
PAI_READ_TIMEOUT = env.float("PAI_READ_TIMEOUT", default=30.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "approvals": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    },
}

# Approval rules (docs/architecture.md, invariant 5).
APPROVALS_SEPARATION_OF_DUTIES = env.bool("APPROVALS_SEPARATION_OF_DUTIES", default=True)
APPROVALS_REQUIRED_APPROVERS = env.int("APPROVALS_REQUIRED_APPROVERS", default=1)
# How long a Pending version may wait for review (hours from when it was first seen Pending),
# where the workspace's policy does not say.
APPROVALS_REVIEW_HOURS = env.int("APPROVALS_REVIEW_HOURS", default=48)
# How often beat records the reviews that passed their due time (review.overdue, once each).
REVIEW_OVERDUE_INTERVAL_SECONDS = env.float("REVIEW_OVERDUE_INTERVAL_SECONDS", default=300.0)

# E-mail to people (README "Notifications for people"): SMTP when EMAIL_HOST is set, the
# console otherwise (the demo prints the mails). Links in mails start with DASHBOARD_URL.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PAI model review <noreply@localhost>")
DASHBOARD_URL = env.str("DASHBOARD_URL", default="http://127.0.0.1:8000").rstrip("/")
# The hour (in TIME_ZONE) the daily digest goes out.
EMAIL_DIGEST_HOUR = env.int("EMAIL_DIGEST_HOUR", default=8)
# A push claim left by a killed worker expires after this long.
PUSH_LEASE_SECONDS = env.int("PUSH_LEASE_SECONDS", default=120)
PUSH_RETRY_MAX_DELAY_SECONDS = env.int("PUSH_RETRY_MAX_DELAY_SECONDS", default=600)
# A push that keeps failing with retryable errors this long after the change goes to `failed`.
PUSH_GIVE_UP_AFTER_SECONDS = env.int("PUSH_GIVE_UP_AFTER_SECONDS", default=24 * 60 * 60)

# Celery beat (approvals/tasks.py): sync every workspace from PAI; re-enqueue overdue pushes.
PAI_SYNC_INTERVAL_SECONDS = env.int("PAI_SYNC_INTERVAL_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "sync-pai-workspaces": {"task": "approvals.tasks.sync_workspaces", "schedule": float(PAI_SYNC_INTERVAL_SECONDS)},
    "sweep-overdue-pushes": {"task": "approvals.tasks.sweep_overdue_pushes", "schedule": 60.0},
    "record-overdue-reviews": {
        "task": "approvals.tasks.record_overdue_reviews",
        "schedule": REVIEW_OVERDUE_INTERVAL_SECONDS,
    },
    "send-notification-emails": {"task": "approvals.tasks.send_notification_emails", "schedule": 60.0},
    "send-email-digests": {
        "task": "approvals.tasks.send_email_digests",
        "schedule": crontab(minute=0, hour=EMAIL_DIGEST_HOUR),
    },
}

# The audit log (README "Security"): event hashes are HMACs with keys from here, never
# from the database (`id:base64secret,...`, the first is current; or a file of them), and
# signed checkpoints of its newest event go to a directory and/or an object-locked bucket.
AUDIT_HMAC_KEYS = env.str("AUDIT_HMAC_KEYS", default="")
AUDIT_HMAC_KEY_FILE = env.str("AUDIT_HMAC_KEY_FILE", default="")
if DEBUG and not (AUDIT_HMAC_KEYS or AUDIT_HMAC_KEY_FILE):
    # Public, like the demo SECRET_KEY; without DEBUG appends refuse until a key is set.
    AUDIT_HMAC_KEYS = "demo:ZGVtby1hdWRpdC1rZXktbm90LWZvci1wcm9kdWN0aW9u"
# The seq of the last event hashed before the chain was keyed (0 for a log that began keyed):
# verify then refuses unkeyed events after it, even when the whole log was rewritten unkeyed.
AUDIT_UNKEYED_UP_TO = env.int("AUDIT_UNKEYED_UP_TO", default=None)
AUDIT_SIGNING_KEY_FILE = env.str("AUDIT_SIGNING_KEY_FILE", default="")
AUDIT_VERIFY_KEY_FILE = env.str("AUDIT_VERIFY_KEY_FILE", default="")
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default="")
AUDIT_CHECKPOINT_S3_BUCKET = env.str("AUDIT_CHECKPOINT_S3_BUCKET", default="")
AUDIT_CHECKPOINT_S3_PREFIX = env.str("AUDIT_CHECKPOINT_S3_PREFIX", default="audit-checkpoints/")
AUDIT_CHECKPOINT_S3_ENDPOINT_URL = env.str("AUDIT_CHECKPOINT_S3_ENDPOINT_URL", default="")
AUDIT_CHECKPOINT_S3_REGION = env.str("AUDIT_CHECKPOINT_S3_REGION", default="us-east-1")
AUDIT_CHECKPOINT_S3_ADDRESSING_STYLE = env.str("AUDIT_CHECKPOINT_S3_ADDRESSING_STYLE", default="auto")
# Empty: boto3's own chain (AWS_ACCESS_KEY_ID, a profile, an instance role).
AUDIT_CHECKPOINT_S3_ACCESS_KEY_ID = env.str("AUDIT_CHECKPOINT_S3_ACCESS_KEY_ID", default="")
AUDIT_CHECKPOINT_S3_SECRET_ACCESS_KEY = env.str("AUDIT_CHECKPOINT_S3_SECRET_ACCESS_KEY", default="")
# COMPLIANCE, GOVERNANCE, or "" to rely on the bucket's default retention (e.g. OSS's WORM policy).
AUDIT_CHECKPOINT_S3_LOCK_MODE = env.str("AUDIT_CHECKPOINT_S3_LOCK_MODE", default="COMPLIANCE")
AUDIT_CHECKPOINT_S3_RETAIN_DAYS = env.int("AUDIT_CHECKPOINT_S3_RETAIN_DAYS", default=400)
AUDIT_CHECKPOINT_INTERVAL_SECONDS = env.int("AUDIT_CHECKPOINT_INTERVAL_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["write-audit-checkpoint"] = {
    "task": "approvals.tasks.write_audit_checkpoint",
    "schedule": float(AUDIT_CHECKPOINT_INTERVAL_SECONDS),
}

# Notifications (README "Notifications: channels") and the audit stream (README "Security").
# Links in messages point at the dashboard's address as its people reach it.
DASHBOARD_URL = env.str("DASHBOARD_URL", default="http://127.0.0.1:8000")
# Fernet keys (comma-separated, the first encrypts, all decrypt: rotation) for the channels'
# URLs and secrets; without DEBUG, saving a channel refuses until one is set.
NOTIFY_SECRETS_KEYS = env.list("NOTIFY_SECRETS_KEYS", default=[])
if DEBUG and not NOTIFY_SECRETS_KEYS:
    NOTIFY_SECRETS_KEYS = ["ZGVtby1ub3RpZnkta2V5LW5vdC1mb3ItcHJvZHVjdGk="]  # public demo key
# Channel and sink URLs must be HTTPS unless their origin is listed here (a port of * means any),
# e.g. "http://127.0.0.1:*" for the demo's and the tests' receivers on loopback.
NOTIFY_ALLOWED_URLS = env.list("NOTIFY_ALLOWED_URLS", default=[])
NOTIFY_TIMEOUT_SECONDS = env.float("NOTIFY_TIMEOUT_SECONDS", default=10.0)
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=5.0)
NOTIFY_RETRY_MAX_DELAY_SECONDS = env.int("NOTIFY_RETRY_MAX_DELAY_SECONDS", default=600)
# A channel failing without a success this long is paused, and staff are told.
NOTIFY_PAUSE_AFTER_SECONDS = env.int("NOTIFY_PAUSE_AFTER_SECONDS", default=24 * 60 * 60)
# Deliveries wait this long after an event, so a burst gathers; more pending messages than
# NOTIFY_DIGEST_THRESHOLD for one channel go as one digest (of at most NOTIFY_DIGEST_MAX).
NOTIFY_COALESCE_SECONDS = env.float("NOTIFY_COALESCE_SECONDS", default=2.0)
NOTIFY_DIGEST_THRESHOLD = env.int("NOTIFY_DIGEST_THRESHOLD", default=10)
NOTIFY_DIGEST_MAX = env.int("NOTIFY_DIGEST_MAX", default=500)
NOTIFY_LEASE_SECONDS = env.int("NOTIFY_LEASE_SECONDS", default=120)
# Every audit event also goes, in order, to these sinks: JSON over HTTPS (Splunk HEC or
# Alibaba Cloud SLS web tracking) and/or syslog (RFC 5424, octet-counted, over TCP or TLS).
AUDIT_STREAM_URL = env.str("AUDIT_STREAM_URL", default="")
AUDIT_STREAM_FORMAT = env.str("AUDIT_STREAM_FORMAT", default="hec")
AUDIT_STREAM_TOKEN = env.str("AUDIT_STREAM_TOKEN", default="")
AUDIT_STREAM_SOURCE = env.str("AUDIT_STREAM_SOURCE", default="pai-model-review")
AUDIT_STREAM_BATCH = env.int("AUDIT_STREAM_BATCH", default=100)
AUDIT_SYSLOG_ADDRESS = env.str("AUDIT_SYSLOG_ADDRESS", default="")
AUDIT_SYSLOG_TLS = env.bool("AUDIT_SYSLOG_TLS", default=False)
AUDIT_SYSLOG_CA_FILE = env.str("AUDIT_SYSLOG_CA_FILE", default="")
CELERY_BEAT_SCHEDULE["sweep-outbox"] = {"task": "approvals.tasks.sweep_outbox", "schedule": 30.0}

# The interface in English and Simplified Chinese; LocaleMiddleware picks from the
# language cookie (set by the switcher), then Accept-Language. The compiled .mo is
# committed, so running needs no GNU gettext.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]

# The cache holds the API's rate-limit counts and /healthz's last PAI check, so it must be
# shared by every web process on every machine: Redis when CACHE_URL (or REDIS_URL, or a
# redis:// CELERY_BROKER_URL) names one, memory of this process otherwise (one machine).
_REDIS_URL = env.str("REDIS_URL", default="")
if not _REDIS_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    _REDIS_URL = CELERY_BROKER_URL
CACHES = {"default": env.cache_url("CACHE_URL", default=_REDIS_URL or "locmemcache://")}
# Beside Celery's own keys in a shared Redis database, ours are told apart by this prefix.
CACHES["default"].setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="pmr"))

# Pacing the requests to PAI (approvals/pai_pacing.py): at most this many a second per
# AccessKey, shared by every worker through Redis (the one above, or PAI_PACING_REDIS_URL),
# in each process when there is none. Empty: no pacing. Set it at or a little under
# PAI's limit for the account; a throttled answer still slows the pacer down for a while.
PAI_REQUESTS_PER_SECOND = env.float("PAI_REQUESTS_PER_SECOND", default=None)
PAI_REQUESTS_BURST = env.int("PAI_REQUESTS_BURST", default=1)
PAI_PACING_REDIS_URL = env.str("PAI_PACING_REDIS_URL", default=_REDIS_URL)
PAI_PACING_KEY_PREFIX = CACHES["default"]["KEY_PREFIX"]

# The REST API (approvals/api). Rates are per user (per client IP for anonymous
# callers), counted in the shared cache above (approvals/api/throttles.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "approvals.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["approvals.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["approvals.api.throttles.UserThrottle", "approvals.api.throttles.AnonThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="600/minute"),
        "anon": env.str("API_RATE_ANON", default="60/minute"),
    },
    # Behind a proxy, set how many: until then X-Forwarded-For is the client's word and not used.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "approvals.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # ?format= is a filter of the versions list (FormatType); the audit view reads ?format=csv itself.
    "URL_FORMAT_OVERRIDE": None,
}
# API tokens stop working this many days after they are created; 0: they never expire.
API_TOKEN_MAX_AGE_DAYS = env.int("API_TOKEN_MAX_AGE_DAYS", default=0)
# The largest JSON body the API reads; beyond it the answer is 413 before parsing.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "PAI model review API",
    "DESCRIPTION": (
        "Read, edit and decide PAI model versions under the dashboard's rules, and read the audit log. "
        "Authenticate with `Authorization: Bearer <token>` (create a token on the dashboard's API tokens page) "
        "or with the browser session (unsafe methods then need the CSRF token)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "approvals.api.schema.closed_request_bodies",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ApprovalStatusEnum": "approvals.models.ApprovalStatus",
        "DecisionEnum": ["Approved", "Rejected"],
    },
}

# --- Security (README "Security"). With DEBUG=0 everything below is on by default;
# each switch can be set from the environment. The local demo (DEBUG=1) runs on plain HTTP.
_PRODUCTION = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_PRODUCTION)
# Load balancers and container healthchecks probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60 if _PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_PRODUCTION)
# Behind a TLS-terminating proxy: the header it sets, e.g. HTTP_X_FORWARDED_PROTO (it must
# overwrite the client's copy). Unset, Django trusts only its own connection.
_PROXY_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (_PROXY_SSL_HEADER, "https") if _PROXY_SSL_HEADER else None
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz waits at most this long for the broker and for each PAI endpoint, and reuses
# its last PAI check for HEALTHZ_PAI_CACHE_SECONDS (probes come from every balancer).
HEALTHZ_TIMEOUT_SECONDS = env.float("HEALTHZ_TIMEOUT_SECONDS", default=2.0)
HEALTHZ_PAI_CACHE_SECONDS = env.int("HEALTHZ_PAI_CACHE_SECONDS", default=10)

# Sessions end after SESSION_IDLE_TIMEOUT_SECONDS without a request from the person
# (the pages' background polls do not count) and SESSION_COOKIE_AGE after sign-in
# at the latest (approvals.web.security.SessionExpiryMiddleware).
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=60 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE_SECONDS", default=8 * 60 * 60)

# Content-Security-Policy: no inline script or style anywhere (the templates have none;
# tests/test_security_csp.py keeps it so); only the Swagger UI page relaxes it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failures for one username from one
# address lock that pair for LOGIN_COOLOFF_MINUTES. Locking the pair, not the username,
# means an attacker elsewhere cannot lock a real person out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, unless LOCAL_LOGIN is off (then only the break-glass accounts have one).
    "approvals.web.local_login.LocalPasswordBackend",
    # Single sign-on; it answers only the provider's callback (README "Single sign-on").
    "approvals.web.oidc.backend.ProviderBackend",
]
# Failed sign-ins are rows in the database (AccessAttempt), shared by every web process
# and machine as the database is; no cache is involved.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A fixed cool-off: more tries while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "approvals.web.security.lockout_response"
AXES_USERNAME_CALLABLE = "approvals.web.security.attempted_username"
AXES_WHITELIST_CALLABLE = "approvals.web.security.not_a_password_attempt"
# Behind N proxies that append to X-Forwarded-For, the client is the Nth address from
# the right; with none (0) only the connection's own address counts: the header is
# whatever the client says.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "approvals.web.security.client_ip"

# Static files: hashed names and compressed copies, served by whitenoise, in production
# (`collectstatic` first); plain files from the app folders in the demo and the tests.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Single sign-on (README "Single sign-on"): OpenID Connect, authorization code flow with
# PKCE, through mozilla-django-oidc. Off until OIDC_ISSUER is set; the endpoints come from the
# issuer's discovery document (read on first use, cached), unless given one by one.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="your company account")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
# Algorithms the ID token may be signed with (never "none", never HMAC with a public secret).
OIDC_SIGNING_ALGORITHMS = env.list("OIDC_SIGNING_ALGORITHMS", default=["RS256", "ES256", "PS256"])
# Clock skew allowed between the provider and this server when checking exp and iat.
OIDC_LEEWAY_SECONDS = env.int("OIDC_LEEWAY_SECONDS", default=60)
# Extra parameters of the authorization request, e.g. Google's "access_type=offline,prompt=consent"
# (for a refresh token).
OIDC_AUTH_REQUEST_EXTRA_PARAMS = env.dict("OIDC_AUTH_PARAMS", default={})
# Only people whose verified e-mail is in one of these domains may sign in (empty: anyone the
# provider signs in). Set it for a provider open to the public, such as Google.
OIDC_ALLOWED_EMAIL_DOMAINS = [d.lower() for d in env.list("OIDC_ALLOWED_EMAIL_DOMAINS", default=[])]
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
OIDC_EMAIL_CLAIM = env.str("OIDC_EMAIL_CLAIM", default="email")
OIDC_NAME_CLAIM = env.str("OIDC_NAME_CLAIM", default="name")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
# Groups to roles: `{workspace}` is a WorkspaceId, `{role}` one of the roles; a pattern without
# {workspace} gives the role in every workspace. Rules in admin (GroupRoleRule) add to these.
OIDC_GROUP_ROLES = env.list("OIDC_GROUP_ROLES", default=["pai-{workspace}-{role}", "pai-all-{role}"])
# Endpoints given by hand win over discovery (for a provider without a discovery document).
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_JWKS_ENDPOINT", default="")
OIDC_OP_END_SESSION_ENDPOINT = env.str("OIDC_END_SESSION_ENDPOINT", default="")
OIDC_DISCOVERY_CACHE_SECONDS = env.int("OIDC_DISCOVERY_CACHE_SECONDS", default=60 * 60)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)
# The session asks the provider again (refresh token) this often at most; a refusal ends it.
OIDC_RENEW_SECONDS = env.int("OIDC_RENEW_SECONDS", default=15 * 60)
# A refusal to renew also deactivates the account (revoking its API tokens). Off by default: an
# expired refresh token (a provider's idle timeout) is refused the same way as a disabled person.
OIDC_REFUSAL_DEACTIVATES = env.bool("OIDC_REFUSAL_DEACTIVATES", default=False)
# How the client authenticates at the token endpoint: HTTP Basic (client_secret_basic, which
# every provider supports) or the secret in the form (OIDC_TOKEN_USE_BASIC_AUTH=0).
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=True)
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_AUTHENTICATE_CLASS = "approvals.web.oidc.views.SignInStartView"
OIDC_CALLBACK_CLASS = "approvals.web.oidc.views.SignInCallbackView"
OIDC_OP_LOGOUT_URL_METHOD = "approvals.web.oidc.views.provider_logout_url"
LOGIN_REDIRECT_URL_FAILURE = "login"
# Local passwords: on for everyone, or (LOCAL_LOGIN=0) only for the break-glass accounts named.
LOCAL_LOGIN = env.bool("LOCAL_LOGIN", default=True)
LOCAL_LOGIN_BREAK_GLASS_USERS = env.list("LOCAL_LOGIN_BREAK_GLASS_USERS", default=[])


def provider_origins(*urls: str) -> list[str]:
    """The origins of the provider's URLs, for CSP's form-action: sign-out posts a form here and is
    redirected to the provider's end-session endpoint, and browsers hold a form's redirects to it."""
    return sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, urls) if p.scheme and p.netloc})


if OIDC_ENABLED:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += provider_origins(OIDC_ISSUER, OIDC_OP_END_SESSION_ENDPOINT)
