"""Settings, read from the environment.

Every knob has a safe default for the embedded demo (SQLite under ``var/``); production sets
``DATABASE_URL``, ``SHANZHI_SECRET_KEY``, ``SHANZHI_SEAL_KEY`` and ``SHANZHI_DEBUG=0``.
"""

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent
DATA_DIR = Path(os.environ.get("SHANZHI_DATA_DIR", REPO_DIR / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _file_secret(name: str, nbytes: int) -> str:
    """A secret kept under DATA_DIR, created on first use (demo and development only)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / name
    if not path.exists():
        path.write_text(secrets.token_hex(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = _env_bool("SHANZHI_DEBUG", False)
SECRET_KEY = os.environ.get("SHANZHI_SECRET_KEY") or _file_secret("secret.key", 32)
# 32 bytes hex: the first 16 bytes are the SM4 key, the rest keys the SM3 blind index.
SEAL_KEY = os.environ.get("SHANZHI_SEAL_KEY") or _file_secret("seal.key", 32)
# A seal key generated into the data directory sits beside the database and its backups: fine for
# the demo, refused for a real deployment (shanzhi.common.keys) unless the operator says so.
SEAL_KEY_IN_DATA_DIR = not os.environ.get("SHANZHI_SEAL_KEY")
DEMO = _env_bool("SHANZHI_DEMO", False)
ALLOW_LOCAL_KEYS = _env_bool("SHANZHI_ALLOW_LOCAL_KEYS", False)
# Any host name for the demo; a deployment names its own (SHANZHI_ALLOWED_HOSTS), so a forged
# Host header cannot appear in links the platform builds.
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("SHANZHI_ALLOWED_HOSTS", "*" if DEMO else "127.0.0.1,localhost,[::1]")
                 .split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("SHANZHI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # its bundled Swagger UI files: the API docs load nothing from a CDN
    "django_tasks",
    "django_tasks_db",
    "shanzhi.common",
    "shanzhi.accounts",
    "shanzhi.geo",
    "shanzhi.registry",
    "shanzhi.notify",
    "shanzhi.cases",
    "shanzhi.incidents",
    "shanzhi.onewindow",
    "shanzhi.enforcement",
    "shanzhi.inspections",
    "shanzhi.assistance",
    "shanzhi.mutualaid",
    "shanzhi.field",
    "shanzhi.command",
    "shanzhi.api",
    "shanzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shanzhi.common.middleware.SecurityHeaders",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "shanzhi.common.middleware.RejectNulBytes",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shanzhi.field.middleware.FieldPages",
]

ROOT_URLCONF = "shanzhi.config.urls"
WSGI_APPLICATION = "shanzhi.config.wsgi.application"

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
                "shanzhi.accounts.context.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'shanzhi.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SHANZHI_TEST_SQLITE", "")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["shanzhi.accounts.backends.UsernameOrMobileBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Usernames are mobile numbers: a password like the number (or the name) is tried first.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "mobile", "display_name")}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lock an account for LOCKOUT_MINUTES after LOCKOUT_THRESHOLD consecutive failed logins.
LOCKOUT_THRESHOLD = int(os.environ.get("SHANZHI_LOCKOUT_THRESHOLD", "5"))
LOCKOUT_MINUTES = int(os.environ.get("SHANZHI_LOCKOUT_MINUTES", "15"))

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every process on the machine (rate limits, index versions) without a server.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "shanzhi_cache"}}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("SHANZHI_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Photos and uploads. Several machines need a shared backend (e.g. an S3-compatible store through
    # django-storages): set SHANZHI_MEDIA_STORAGE to its dotted class path.
    "default": {"BACKEND": os.environ.get("SHANZHI_MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
# Behind HTTPS (production): secure cookies and trust the proxy's scheme header.
SECURE_COOKIES = _env_bool("SHANZHI_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "SAMEORIGIN"

# Map tiles: an intranet tile server (e.g. 天地图) URL template; empty draws on a plain background.
MAP_TILE_URL = os.environ.get("SHANZHI_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("SHANZHI_MAP_TILE_ATTRIBUTION", "")

# Spatial: polygon containment tolerance (degrees, ~1 m) and how often a process checks
# whether grids changed (seconds) before it rebuilds its in-memory index.
GRID_TOLERANCE_DEG = float(os.environ.get("SHANZHI_GRID_TOLERANCE", "0.00001"))
GRID_INDEX_CHECK_SECONDS = float(os.environ.get("SHANZHI_GRID_INDEX_CHECK_SECONDS", "2"))

# Public endpoints: requests per minute per client address.
PUBLIC_RATE_LIMIT = int(os.environ.get("SHANZHI_PUBLIC_RATE_LIMIT", "60"))
# Reverse proxies whose X-Forwarded-For is believed (addresses, comma separated).
TRUSTED_PROXIES = frozenset(p.strip() for p in os.environ.get("SHANZHI_TRUSTED_PROXIES", "").split(",") if p.strip())
# Networks whose machines may take queue numbers at the hall's kiosk page (CIDRs, comma separated;
# empty: anyone, under the public rate limit).
KIOSK_NETWORKS = tuple(ipaddress.ip_network(n.strip(), strict=False)
                       for n in os.environ.get("SHANZHI_KIOSK_NETWORKS", "").split(",") if n.strip())
# Lookups by a full ID number or phone (search, imports naming people) per user and day.
IDENTIFIER_LOOKUPS_PER_DAY = int(os.environ.get("SHANZHI_IDENTIFIER_LOOKUPS_PER_DAY", "100"))
# Imports that name people registered outside the importer's area, per user and day.
FOREIGN_IMPORT_HITS_PER_DAY = int(os.environ.get("SHANZHI_FOREIGN_IMPORT_HITS_PER_DAY", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHANZHI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
WORK_PERIODS = os.environ.get("SHANZHI_WORK_PERIODS", "08:30-12:00,13:30-17:30")

# Incidents: likely duplicates are the same subclass within this distance and time.
DUPLICATE_METERS = float(os.environ.get("SHANZHI_DUPLICATE_METERS", "50"))
DUPLICATE_HOURS = float(os.environ.get("SHANZHI_DUPLICATE_HOURS", "24"))
# Warn this fraction of a stage's length before its deadline (at least WARN_MIN_MINUTES).
WARN_FRACTION = float(os.environ.get("SHANZHI_WARN_FRACTION", "0.2"))
# Escalate an overdue case one tier up automatically.
AUTO_ESCALATE_OVERDUE = _env_bool("SHANZHI_AUTO_ESCALATE", False)

# Notifications: SMS through a pluggable gateway (the log gateway writes to the log).
SMS_GATEWAY = os.environ.get("SHANZHI_SMS_GATEWAY", "shanzhi.notify.gateways.LogGateway")
SMS_GATEWAY_URL = os.environ.get("SHANZHI_SMS_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SHANZHI_SMS_TOKEN", "")
PUBLIC_BASE_URL = os.environ.get("SHANZHI_PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# Appraisal: fewer cases than this in a month and a grid, person or department is not ranked.
APPRAISAL_MIN_CASES = int(os.environ.get("SHANZHI_APPRAISAL_MIN_CASES", "5"))
