"""Settings for the store's back office, read from the environment with laptop-safe defaults."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
# Only a laptop (DEBUG=1) may run on the key from the repository: anyone could forge its sessions and signed values.
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to 50+ random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or DEBUG=1 on a developer's machine."
        )
    SECRET_KEY = "insecure-local-development-key-change-me-in-production-0123456789"  # noqa: S105 - DEBUG only


def public_base_url() -> str:
    """Where customers' phones reach the public pages (survey links in messages): scheme and host, no trailing /."""
    value = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if not value:
        if not DEBUG:
            raise ImproperlyConfigured(
                "PUBLIC_BASE_URL is not set. Set it to the address customers open survey links at, "
                "e.g. PUBLIC_BASE_URL=https://kf.example.cn (DEBUG=1 defaults it to http://127.0.0.1:8000)."
            )
        return "http://127.0.0.1:8000"
    scheme, _sep, rest = value.partition("://")
    if scheme not in ("http", "https") or not rest or "/" in rest:
        raise ImproperlyConfigured(
            f"PUBLIC_BASE_URL={value!r} is not an address like https://kf.example.cn (scheme and host, no path)."
        )
    return value


PUBLIC_BASE_URL = public_base_url()
# How many reverse proxies in front of the app append to X-Forwarded-For: the client's address is read that many
# entries from its end. 0 (no proxy): REMOTE_ADDR. A wrong number lets clients pick their address, or makes every
# customer share the proxy's (backoffice/staff/clientip.py).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "backoffice.views.csrf_failure"

INSTALLED_APPS = [
    "backoffice.apps.BackofficeConfig",
    "aftersales",
    "logistics",
    "surveys",
    "quality",
    "backoffice.apps.StoreAdminConfig",
    "django.contrib.auth",
    # Not last: the role groups are set after each app migrates, and need its permissions to exist by then.
    "backoffice.apps.LoginLockoutsConfig",  # django-axes, named for store admins
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "template_partials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "backoffice.store.cache.StoreSettingsScopeMiddleware",
    "backoffice.middleware.StoreLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lock-out noticed during the login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "backoffice.staff.roles.roles_context",
                "backoffice.context_processors.timed_work",
            ],
            "builtins": ["backoffice.templatetags.backoffice", "template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'backoffice.sqlite3'}",
        # Persistent connections (connecting costs each request several ms); a dropped one is noticed and replaced.
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL and an immediate write lock keep them from tripping up.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# A Redis that accepts connections but stops answering fails the cache call or the task's publishing within seconds
# (callers treat both as best effort), instead of holding the agent's page, or a worker, forever.
REDIS_SOCKET_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 3}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_SOCKET_TIMEOUTS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before any password is checked.
    "backoffice.staff.lockout.LockoutBackend",
    # Django's ModelBackend, reading the signed-in person with SQL written once (sessions made with the plain
    # ModelBackend end: their holders sign in again once).
    "backoffice.staff.backends.StaffBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lock-out (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username, or from one address,
# that username or address is refused for AXES_COOLOFF_MINUTES. A store admin can lift it in Django admin.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "backoffice.staff.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "backoffice.staff.lockout.lockout_response"
# A successful login clears only that username's failures from that address (backoffice.staff.lockout): axes' own reset
# would clear the whole address, so one valid account could reset the count of guesses against another.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ADMIN = False  # backoffice/staff/lockout_admin.py registers the store admins' own, audited, views
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root on every start
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Serve straight from the app folders when nobody ran collectstatic (the demo and tests).
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", not (STATIC_ROOT / "staticfiles.json").exists())
if WHITENOISE_USE_FINDERS:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

MEDIA_ROOT = VAR_DIR / "media"

# Django's database sessions, read with SQL written once (backoffice/staff/sessions.py).
SESSION_ENGINE = "backoffice.staff.sessions"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# No inline script, no eval, no inline style: only our static files (htmx is vendored, never from a CDN). Data for
# scripts travels in data-* attributes or json_script blocks, which are not executed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which needs no server
# and still carries tasks between the web, worker and beat processes of one machine.
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **REDIS_SOCKET_TIMEOUTS}
else:
    for sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport, writing each message whole before a worker sees it (backoffice/broker.py).
    CELERY_BROKER_URL = "filesystem-atomic://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The worker takes one message per poll: a 1 s poll makes the demo's first few hundred messages queue up
        # for minutes, long enough for the periodic sweeps behind them to expire and /healthz to call them late.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Outbound message channels: "local" records delivery in the database (demo).
OUTBOX_BACKEND = os.environ.get("OUTBOX_BACKEND", "local")
OUTBOX_GATEWAY_URL = os.environ.get("OUTBOX_GATEWAY_URL", "")
# Parcel tracking: "fake" (demo: made-up progress) or "kuaidi100" (its account in KUAIDI100_CUSTOMER / KUAIDI100_KEY).
TRACKING_PROVIDER = os.environ.get("TRACKING_PROVIDER", "fake")
# Seconds the gateway gets to accept a connection, and as many to answer. A message still "sending" after
# OUTBOX_SENDING_STALE_SECONDS lost its worker: it is sent again, with the same Idempotency-Key.
OUTBOX_GATEWAY_TIMEOUT = 10
OUTBOX_SENDING_STALE_SECONDS = 3 * OUTBOX_GATEWAY_TIMEOUT + 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
