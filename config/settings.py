"""Tollgate settings: environment variables only, read through config/env.py.

The defaults give the embedded mode (SQLite, in-process cache, eager Celery, console e-mail), so
`make run` works on a bare machine. Every variable is listed in the README's table.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import (
    cache_config,
    database_config,
    env_amount,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    generated_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Core
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = generated_secret(BASE_DIR / ".secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Tollgate")
# Encrypts provider API keys at rest; empty: derived from SECRET_KEY.
ENCRYPTION_KEY = env_secret("ENCRYPTION_KEY")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "accounts",
    "tokens",
    "billing",
    "proxy",
    "usage",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.site",
            ],
        },
    },
]

# Database: SQLite file by default (WAL mode), PostgreSQL in the full stack.
DATABASE_URL = env_str("DATABASE_URL", "sqlite:///db.sqlite3")
DATABASES = {"default": database_config(DATABASE_URL, base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: empty means in-process cache, limits and holds, and eager Celery tasks.
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {"default": cache_config(REDIS_URL)}

# Celery: the broker defaults to REDIS_URL; without one, tasks run eagerly in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    "settle-usage": {"task": "usage.settle_usage", "schedule": 5.0},
}

# Usage: rollups kept current by beat, and the retention of raw usage records
USAGE_ROLLUP_INTERVAL_S = env_int("USAGE_ROLLUP_INTERVAL_S", 300, minimum=10)
USAGE_ROLLUP_LOOKBACK_HOURS = env_int("USAGE_ROLLUP_LOOKBACK_HOURS", 3, minimum=1)
USAGE_RETENTION_DAYS = env_int("USAGE_RETENTION_DAYS", 90, minimum=1)
if USAGE_RETENTION_DAYS * 24 <= USAGE_ROLLUP_LOOKBACK_HOURS:
    raise ImproperlyConfigured("USAGE_RETENTION_DAYS must be longer than the rollup lookback")
CELERY_BEAT_SCHEDULE["usage-roll-up"] = {
    "task": "usage.roll_up",
    "schedule": float(USAGE_ROLLUP_INTERVAL_S),
}
CELERY_BEAT_SCHEDULE["usage-prune"] = {"task": "usage.prune", "schedule": 3600.0}

# Billing (Stripe): without STRIPE_SECRET_KEY purchases are off; staff grants and codes still work.
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")  # empty: Stripe's own API
STRIPE_WEBHOOK_TOLERANCE_S = env_int("STRIPE_WEBHOOK_TOLERANCE_S", 300, minimum=1)

# Credit given to every new personal account, in USD (a decimal string); 0: none.
SIGNUP_CREDIT_USD = env_amount("SIGNUP_CREDIT_USD", "0")

# Users and sign-up (django-allauth)
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
if ACCOUNT_EMAIL_VERIFICATION not in {"mandatory", "optional", "none"}:
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be mandatory, optional or none")
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

# E-mail: printed to the console unless EMAIL_URL-style settings are given.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tollgate <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Internationalization
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: served by WhiteNoise (no CDN; vendored assets live in static/vendor/).
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# DRF: session auth for the dashboard's JSON API; every view scopes by account.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tollgate dashboard API",
    "DESCRIPTION": "Session-authenticated JSON API behind the Tollgate dashboard.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Security: secure by default when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Logging: one line per event on stderr; keys and prompts are never logged.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_query_keys": {"()": "config.logs.RedactQueryKeys"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "uvicorn.access": {"filters": ["redact_query_keys"]},
    },
}

# Proxy (/v1): limits and failover
PROXY_MAX_BODY_BYTES = env_int("PROXY_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024)
# Uploads to /v1/audio/transcriptions (the whole multipart body), like OpenAI's 25 MB.
PROXY_MAX_AUDIO_BYTES = env_int("PROXY_MAX_AUDIO_BYTES", 25 * 1024 * 1024, minimum=1024)
PROXY_MAX_ATTEMPTS = env_int("PROXY_MAX_ATTEMPTS", 3, minimum=1)
PROXY_FAILOVER_DEADLINE_S = env_int("PROXY_FAILOVER_DEADLINE_S", 60, minimum=1)
PROXY_ROUTE_FAILURES_BEFORE_COOLDOWN = env_int("PROXY_ROUTE_FAILURES_BEFORE_COOLDOWN", 3, minimum=1)
PROXY_ROUTE_COOLDOWN_S = env_int("PROXY_ROUTE_COOLDOWN_S", 30, minimum=0)
# Streams waiting for their upstream get a ping (Anthropic) or a comment (OpenAI) this often.
PROXY_KEEPALIVE_INTERVAL_MS = env_int("PROXY_KEEPALIVE_INTERVAL_MS", 10_000, minimum=50)
# Behind a load balancer that sets X-Forwarded-For: use its last hop as the client IP.
PROXY_TRUST_X_FORWARDED_FOR = env_bool("PROXY_TRUST_X_FORWARDED_FOR", False)
# Credit holds and limits
PROXY_HOLD_TTL_S = env_int("PROXY_HOLD_TTL_S", 3600, minimum=60)
PROXY_CONCURRENCY_SLOT_TTL_S = env_int("PROXY_CONCURRENCY_SLOT_TTL_S", 900, minimum=10)
ACCOUNT_RPM_DEFAULT = env_int("ACCOUNT_RPM_DEFAULT", 600, minimum=0)  # 0: unlimited
