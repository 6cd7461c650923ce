"""Settings for rekisteri, read from the environment.

Two modes: the embedded default (SQLite under ./var, secrets generated into the data
directory) and production (REKISTERI_ENV=production: every secret must come from the
environment, HTTPS-only cookies, HSTS). Helpers fail loudly on malformed values.
"""

from __future__ import annotations

import os
from datetime import time as datetime_time
from datetime import timedelta
from pathlib import Path

import dj_database_url

from rekisteri.lib.env import (
    EnvError,
    env_bool,
    env_int,
    env_list,
    env_str,
    read_or_create_secret,
)

BASE_DIR = Path(__file__).resolve().parent

ENVIRONMENT = env_str("REKISTERI_ENV", "embedded")
if ENVIRONMENT not in {"embedded", "production"}:
    raise EnvError(f"REKISTERI_ENV must be 'embedded' or 'production', not {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"

# Every file the register writes (the SQLite databases and their write-ahead logs, keys,
# checkpoints, the mailbox, backups) is its owner's alone, whatever umask it was started with.
os.umask(0o077)
DATA_DIR = Path(env_str("REKISTERI_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
if DATA_DIR.stat().st_mode & 0o077:
    # Made beforehand with a looser mode: its databases and keys would be readable to others.
    raise EnvError(
        f"The data directory {DATA_DIR} can be read by others (mode {DATA_DIR.stat().st_mode & 0o777:o}): "
        f"run `chmod 700 {DATA_DIR}` (rekisteri keeps personal data and keys there)."
    )

DEBUG = env_bool("DEBUG", False)

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise EnvError("SECRET_KEY must be set (at least 50 characters) when REKISTERI_ENV=production")
else:
    SECRET_KEY = env_str("SECRET_KEY", "") or read_or_create_secret(DATA_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # Installed only so /api/v1/docs uses ninja's bundled Swagger UI files (served by
    # whitenoise) instead of its CDN template, whose inline script our CSP would block.
    "ninja",
    "rekisteri.keystore",
    "rekisteri.encryption",
    "rekisteri.accounts",
    "rekisteri.audit",
    "rekisteri.privacy",
    "rekisteri.organizations",
    "rekisteri.people",
    "rekisteri.contacts",
    "rekisteri.training",
    "rekisteri.outbox",
    "rekisteri.rights",
    "rekisteri.notice",
    "rekisteri.marketing",
    "rekisteri.retention",
    "rekisteri.backups",
    "rekisteri.security",
    "rekisteri.governance",
    "rekisteri.demo",
    "rekisteri.public",
    "rekisteri.web",
]

# The Django admin is not mounted unless asked for; when it is, it sits behind the same
# NDA gate as every page, and it edits configuration only: personal data is changed
# through the register's own pages, whose services write the audit trail.
ADMIN_ENABLED = env_bool("REKISTERI_ADMIN_ENABLED", False)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "rekisteri.security_headers.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rekisteri.accounts.sessions.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rekisteri.keystore.middleware.KeyScopeMiddleware",
    "rekisteri.encryption.middleware.TamperReportMiddleware",
    "rekisteri.web.middleware.PersonMergedMiddleware",
    # Sets request.user.is_verified() (as django-otp's OTPMiddleware, whose lookup wants integer
    # device ids) and sends a member who owes the second factor to give it.
    "rekisteri.security.middleware.TwoFactorMiddleware",
    "rekisteri.accounts.middleware.PersonalDataGateMiddleware",
    # Axes last, as its documentation asks, so it sees the final response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rekisteri.urls"
WSGI_APPLICATION = "rekisteri.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rekisteri.accounts.context_processors.staff",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "rekisteri.sqlite3"
KEYSTORE_SQLITE_PATH = DATA_DIR / "keystore.sqlite3"


SQLITE_CACHE_MB = env_int("REKISTERI_SQLITE_CACHE_MB", 64)
if SQLITE_CACHE_MB < 2:
    raise EnvError(
        f"REKISTERI_SQLITE_CACHE_MB must be at least 2 (SQLite's own default), not {SQLITE_CACHE_MB}"
    )


def _database(url: str, test_name_env: str) -> dict:
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend, with write transactions queued on a file lock rather than on
        # SQLite's busy-wait sleeps (rekisteri/db/sqlite3/base.py).
        config["ENGINE"] = "rekisteri.db.sqlite3"
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN: DEFERRED fails with "database is locked"
            # when two read-then-write transactions race (FIELD-NOTES: 1,931 errors in 2,000).
            "transaction_mode": "IMMEDIATE",
            # WAL lets readers and one writer work at once; FULL survives power loss;
            # secure_delete overwrites freed pages so deleted values do not linger in the file.
            # A page cache of its own per connection (SQLite's default is 2 MB): at 10^5
            # persons the indexes a read walks no longer fit the default, and every page
            # missed is a system call. Memory is taken only as pages are read.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; "
                f"PRAGMA foreign_keys=ON; PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024};"
            ),
            "timeout": env_int("REKISTERI_SQLITE_TIMEOUT", 20),
        }
        config["TEST"] = {"NAME": env_str(test_name_env, "") or None}
    else:
        config["CONN_HEALTH_CHECKS"] = True
        # The statements rekisteri prepares (rekisteri.db.prepared: a person by id or by
        # index entry, the key lookup, the audit append) are index lookups whose plan never
        # depends on the values. PostgreSQL's default still plans them afresh for every
        # execution whenever its cost estimate favours that, which it did for each of them
        # (what that cost: benchmarks/README.md). Only prepared statements are affected;
        # Django's own queries are never prepared.
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(
            filter(None, [options.get("options", ""), "-c plan_cache_mode=force_generic_plan"])
        )
    # Connections kept between requests. A new SQLite connection also runs the PRAGMAs above and
    # reads the whole schema (some hundred tables and indexes) before its first statement,
    # about 2 ms of every request (benchmarks/README.md, the single-write path); a restore
    # writes through SQLite's backup API, which kept connections see (backups/replace.py).
    config["CONN_MAX_AGE"] = env_int("REKISTERI_CONN_MAX_AGE", 60)
    return config


DATABASES = {
    "default": _database(env_str("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), "REKISTERI_TEST_SQLITE")
}

# The key store (wrapped data keys, erasure journal) lives in a database of its own, so a
# backup of the register data holds no keys. Embedded: its own SQLite file. PostgreSQL: its
# own database; in production it must be named explicitly (ideally with its own
# credentials), elsewhere it defaults to the register's database name + "_keys".
_keystore_url = env_str("KEYSTORE_DATABASE_URL", "")
if _keystore_url:
    DATABASES["keystore"] = _database(_keystore_url, "REKISTERI_TEST_KEYSTORE_SQLITE")
elif DATABASES["default"]["ENGINE"] == "rekisteri.db.sqlite3":
    DATABASES["keystore"] = _database(f"sqlite:///{KEYSTORE_SQLITE_PATH}", "REKISTERI_TEST_KEYSTORE_SQLITE")
elif PRODUCTION:
    raise EnvError("KEYSTORE_DATABASE_URL must be set when the register runs on PostgreSQL in production")
else:
    DATABASES["keystore"] = {**DATABASES["default"], "NAME": DATABASES["default"]["NAME"] + "_keys"}
    DATABASES["keystore"]["TEST"] = {"NAME": "test_" + DATABASES["keystore"]["NAME"]}
DATABASE_ROUTERS = ["rekisteri.keystore.router.KeystoreRouter"]

# --- Encryption (see rekisteri/lib/crypto.py for the key format) -----------------------------
# REKISTERI_MASTER_KEY="id:base64key[,oldid:oldkey]"; the embedded default generates a key
# file (mode 600) in the data directory. Production refuses to start without the variable.
MASTER_KEY = env_str("REKISTERI_MASTER_KEY", "")
MASTER_KEY_FILE = DATA_DIR / "master.key"
if PRODUCTION and not MASTER_KEY:
    raise EnvError("REKISTERI_MASTER_KEY must be set when REKISTERI_ENV=production")
DATA_KEY_CACHE_SIZE = env_int("REKISTERI_DATA_KEY_CACHE_SIZE", 4096)
# Section 10: how long a process trusts its list of configured purposes before reading it
# again (rekisteri.privacy.purposes); a purpose switched off elsewhere is refused after this.
PURPOSES_CACHE_SECONDS = env_int("REKISTERI_PURPOSES_CACHE_SECONDS", 300)
# `rekisteri serve` makes new persons' data keys this many at a time, in one durable
# key-store commit (keystore.services.new_owner_key); 1 makes each one on its own.
DATA_KEY_POOL_SIZE = env_int("REKISTERI_DATA_KEY_POOL_SIZE", 64)
# Width of the blind-index values: truncation makes several values share a bucket, so the
# index reveals less; candidates are always re-checked after decryption.
BLIND_INDEX_BITS = env_int("REKISTERI_BLIND_INDEX_BITS", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: lock the pair (account, client address) so one attacker cannot lock
# everybody out, and let the lock expire by itself.
AXES_FAILURE_LIMIT = env_int("REKISTERI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("REKISTERI_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The locked-out page says how long the pause lasts (web/views/login.py).
AXES_LOCKOUT_CALLABLE = "rekisteri.web.views.login.locked_out"
AXES_VERBOSE = False
# Failed logins are kept as counters only: no user agent or path is stored.
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True
# Behind REKISTERI_TRUSTED_PROXIES reverse proxies the client's address comes from
# X-Forwarded-For (rekisteri/lib/client_address.py), for the lockout and the portal's limit alike.
TRUSTED_PROXIES = env_int("REKISTERI_TRUSTED_PROXIES", 0)
if not 0 <= TRUSTED_PROXIES <= 10:
    raise EnvError(f"REKISTERI_TRUSTED_PROXIES must be between 0 and 10, not {TRUSTED_PROXIES}")
AXES_CLIENT_IP_CALLABLE = "rekisteri.accounts.client.client_address"
BEHIND_PROXY = env_bool("REKISTERI_BEHIND_PROXY", False)
# Across addresses (rekisteri/security/services/login_limits.py): past this many failures for
# one account within the window, each attempt from a browser that never logged in to it waits
# a delay doubling from 1 s up to the maximum; the privacy officer is alerted.
LOGIN_ACCOUNT_CEILING = env_int("REKISTERI_LOGIN_ACCOUNT_CEILING", 10)
LOGIN_ACCOUNT_WINDOW_HOURS = env_int("REKISTERI_LOGIN_ACCOUNT_WINDOW_HOURS", 24)
LOGIN_ACCOUNT_MAX_DELAY_SECONDS = env_int("REKISTERI_LOGIN_ACCOUNT_MAX_DELAY_SECONDS", 900)
# Two-factor login (rekisteri/security/services/two_factor.py): every staff member under
# production settings, the privacy officer and administrators everywhere.
TWO_FACTOR_ALL_ROLES = PRODUCTION
TWO_FACTOR_ROLES = ["privacy_officer", "admin"]
# How long a browser is remembered as one that logged in to an account (its device cookie).
LOGIN_DEVICE_DAYS = env_int("REKISTERI_LOGIN_DEVICE_DAYS", 180)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("REKISTERI_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A session also ends after this long without a request (rekisteri/accounts/sessions.py).
SESSION_IDLE_SECONDS = env_int("REKISTERI_SESSION_IDLE_MINUTES", 30) * 60
if SESSION_IDLE_SECONDS < 60:
    raise EnvError("REKISTERI_SESSION_IDLE_MINUTES must be at least 1")
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("REKISTERI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("REKISTERI_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", "Suomi"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# The project-wide static files (CSS, JS, vendored htmx) live beside the templates.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serving from the finders means `rekisteri serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

# --- Mail -------------------------------------------------------------------------------
# Every mail goes through the outbox (rekisteri.outbox) and `rekisteri worker` delivers it.
# With no mail server configured (EMAIL_HOST unset), the embedded default delivers to a
# local mailbox under the data directory, shown to staff as "Sent mail"; production needs a
# server, since the people the register answers must get their mail.
EMAIL_HOST = env_str("EMAIL_HOST", "")
if PRODUCTION and not EMAIL_HOST:
    raise EnvError("EMAIL_HOST must be set when REKISTERI_ENV=production: its mail must reach people")
MAIL_LOCAL_MAILBOX_BACKEND = "rekisteri.outbox.backends.LocalMailboxBackend"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else MAIL_LOCAL_MAILBOX_BACKEND,
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rekisteri@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAIL_MAILBOX_DIR = DATA_DIR / "mailbox"
# A mail the server keeps refusing (or cannot be reached for) is given up after this long,
# and the privacy officer is alerted.
MAIL_GIVE_UP_HOURS = env_int("REKISTERI_MAIL_GIVE_UP_HOURS", 48)
if MAIL_GIVE_UP_HOURS < 1:
    raise EnvError(f"REKISTERI_MAIL_GIVE_UP_HOURS must be at least 1, not {MAIL_GIVE_UP_HOURS}")
# The content of a mail (address, text) is kept this long after it was sent, failed or
# cancelled, for resending and the request's record; then its key is destroyed.
MAIL_KEEP_DAYS = env_int("REKISTERI_MAIL_KEEP_DAYS", 30)
if MAIL_KEEP_DAYS < 1:
    raise EnvError(f"REKISTERI_MAIL_KEEP_DAYS must be at least 1, not {MAIL_KEEP_DAYS}")

# Campaigns (rekisteri.marketing): messages a second handed to the mail server (0: no
# limit), the unsubscribe address of List-Unsubscribe's mailto, and how long a worker's
# claim on a send lasts without renewal (a killed worker's send resumes after it).
MARKETING_RATE_LIMIT = env_int("REKISTERI_MARKETING_RATE_LIMIT", 200)
if MARKETING_RATE_LIMIT < 0:
    raise EnvError("REKISTERI_MARKETING_RATE_LIMIT must be 0 (no limit) or more")
MARKETING_UNSUBSCRIBE_MAILTO = env_str("REKISTERI_MARKETING_UNSUBSCRIBE_MAILTO", DEFAULT_FROM_EMAIL)
MARKETING_SEND_LEASE_SECONDS = env_int("REKISTERI_MARKETING_SEND_LEASE_SECONDS", 30)
# The mails sent to that mailto address (RFC 2369), read by the worker when configured: a
# maildir the mail server delivers into, and/or an IMAP folder (unread mails, flagged read).
MARKETING_UNSUBSCRIBE_MAILDIR = env_str("REKISTERI_MARKETING_UNSUBSCRIBE_MAILDIR", "")
MARKETING_UNSUBSCRIBE_IMAP_HOST = env_str("REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_HOST", "")
MARKETING_UNSUBSCRIBE_IMAP_PORT = env_int("REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_PORT", 993)
MARKETING_UNSUBSCRIBE_IMAP_USER = env_str("REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_USER", "")
MARKETING_UNSUBSCRIBE_IMAP_PASSWORD = env_str("REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_PASSWORD", "")
MARKETING_UNSUBSCRIBE_IMAP_FOLDER = env_str("REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_FOLDER", "INBOX")
MARKETING_UNSUBSCRIBE_IMAP_SSL = env_bool("REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_SSL", True)
MARKETING_UNSUBSCRIBE_POLL_SECONDS = env_int("REKISTERI_MARKETING_UNSUBSCRIBE_POLL_SECONDS", 300)
if MARKETING_UNSUBSCRIBE_IMAP_HOST and not MARKETING_UNSUBSCRIBE_IMAP_USER:
    raise EnvError(
        "REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_HOST needs REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_USER"
    )

# --- Background tasks -------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("REKISTERI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Audit trail ------------------------------------------------------------------------
# The audit key (HMAC chain, checkpoint signatures; see rekisteri/audit/keys.py), in the
# master key's format "id:base64key[,oldid:oldkey]". It is never stored in a database; the
# embedded default generates a key file (mode 600) in the data directory.
AUDIT_KEY = env_str("REKISTERI_AUDIT_KEY", "")
AUDIT_KEY_FILE = DATA_DIR / "audit.key"
if PRODUCTION and not AUDIT_KEY:
    raise EnvError(
        "REKISTERI_AUDIT_KEY must be set when REKISTERI_ENV=production "
        "(make one with `rekisteri keys generate --id audit-1`)"
    )
# Signed checkpoints of the chain head live outside the database, so removing or rewriting
# events is detectable; the worker writes one at least every five minutes while the trail grows.
AUDIT_CHECKPOINT_FILE = Path(
    env_str("REKISTERI_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl"))
).resolve()
AUDIT_CHECKPOINT_IN_DATA_DIR = AUDIT_CHECKPOINT_FILE.is_relative_to(DATA_DIR)
if PRODUCTION and AUDIT_CHECKPOINT_IN_DATA_DIR:
    raise EnvError(
        f"REKISTERI_AUDIT_CHECKPOINT_FILE must lie outside the data directory ({DATA_DIR}) when "
        "REKISTERI_ENV=production: whoever can rewrite the database files there could rewrite the "
        "checkpoints too. Point it at another disk or a mounted share, ideally on another host."
    )


def _syslog_address(value: str) -> tuple[str, int, str] | None:
    """(host, port, "udp" or "tcp") from "host:port", "udp://host:port" or "tcp://host:port"."""
    if not value:
        return None
    transport, sep, rest = value.partition("://")
    if not sep:
        transport, rest = "udp", value
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")  # [::1]:514
    if transport not in {"udp", "tcp"} or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise EnvError(
            "REKISTERI_AUDIT_SYSLOG must look like host:port, udp://host:port or tcp://host:port, "
            f"not {value!r}"
        )
    return host, int(port), transport


# Each checkpoint is also sent to this syslog host: "host:port" (UDP), "udp://host:port" or
# "tcp://host:port"; a copy the database's administrators cannot rewrite.
AUDIT_SYSLOG = _syslog_address(env_str("REKISTERI_AUDIT_SYSLOG", ""))

# --- Logging: no personal data, ever ------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "rekisteri.lib.logsafe.NoExceptionMessagesFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("REKISTERI_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs can carry query strings (search terms are personal data).
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "WARNING"},
        # Axes logs usernames and client addresses of failed logins: personal data.
        "axes": {"level": "ERROR"},
        # fontTools lists at INFO the glyphs it keeps of a PDF's font: the letters of the
        # students' names in a certificate or report.
        "fontTools": {"level": "WARNING"},
        # fpdf2 warns of characters its font lacks, quoting them (a Chinese name, say).
        "fpdf": {"level": "ERROR"},
    },
}

# --- The API ------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
API_MAX_PAGE_SIZE = 200

# --- Data-subject rights (section 8) ---------------------------------------------------------
# The supervisory authority named in every refusal (Art. 12(4)); configuration, not code.
SUPERVISORY_AUTHORITY = {
    "name_fi": env_str("REKISTERI_AUTHORITY_NAME_FI", "Tietosuojavaltuutetun toimisto"),
    "name_en": env_str("REKISTERI_AUTHORITY_NAME_EN", "Office of the Data Protection Ombudsman"),
    "street_address": env_str("REKISTERI_AUTHORITY_STREET", "Lintulahdenkuja 4, 00530 Helsinki"),
    "postal_address": env_str("REKISTERI_AUTHORITY_POSTAL", "PL 800, 00531 Helsinki"),
    "phone": env_str("REKISTERI_AUTHORITY_PHONE", "029 566 6700"),
    "email": env_str("REKISTERI_AUTHORITY_EMAIL", "tietosuoja@om.fi"),
    "url": env_str("REKISTERI_AUTHORITY_URL", "https://tietosuoja.fi"),
}
# The public address of this register, for links in mails (verification, downloads).
PUBLIC_BASE_URL = env_str("REKISTERI_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
PORTAL_LINK_HOURS = env_int("REKISTERI_PORTAL_LINK_HOURS", 24)
DOWNLOAD_LINK_HOURS = env_int("REKISTERI_DOWNLOAD_LINK_HOURS", 72)
# Portal submissions allowed per address and per client within one window.
PORTAL_LIMIT_PER_ADDRESS = env_int("REKISTERI_PORTAL_LIMIT_PER_ADDRESS", 3)
PORTAL_LIMIT_PER_CLIENT = env_int("REKISTERI_PORTAL_LIMIT_PER_CLIENT", 10)
PORTAL_LIMIT_WINDOW_MINUTES = env_int("REKISTERI_PORTAL_LIMIT_WINDOW_MINUTES", 60)

# --- The privacy notice (section 12) ----------------------------------------------------------
# A significant change takes effect no sooner than this many days after it is published
# and announced to every person with an address.
NOTICE_LEAD_DAYS = env_int("REKISTERI_NOTICE_LEAD_DAYS", 30)
if NOTICE_LEAD_DAYS < 0:
    raise EnvError(f"REKISTERI_NOTICE_LEAD_DAYS must not be negative, not {NOTICE_LEAD_DAYS}")
# The promise map's page shows each promise's tests as the last runs of the suite recorded them:
# ./test.sh writes this file (conftest.py, rekisteri.lib.suite_results); deploy it with the code.
TEST_RESULTS_FILE = Path(env_str("REKISTERI_TEST_RESULTS_FILE", str(DATA_DIR / "test-results.json")))
# Where the daily digest of due and overdue requests goes (besides privacy officers' own addresses).
PRIVACY_OFFICER_EMAILS = env_list("REKISTERI_PRIVACY_OFFICER_EMAILS", [])

# The erasure proof's byte scan reads every database file once per scanned batch (its cost
# grows with the files, not the batch): the sweep scans every Nth batch of up to 2,000
# persons (1: every batch; 0: none, the evidence then says so). Requests always scan.
SWEEP_SCAN_EVERY = env_int("REKISTERI_SWEEP_SCAN_EVERY", 1)
if SWEEP_SCAN_EVERY < 0:
    raise EnvError(f"REKISTERI_SWEEP_SCAN_EVERY must not be negative, not {SWEEP_SCAN_EVERY}")
# Section 7: the worker runs the retention sweep daily, after this local time.
RETENTION_SWEEP_AT = env_str("REKISTERI_RETENTION_SWEEP_AT", "03:00")
try:
    datetime_time.fromisoformat(RETENTION_SWEEP_AT)
except ValueError:
    raise EnvError(f"REKISTERI_RETENTION_SWEEP_AT must be a time HH:MM, not {RETENTION_SWEEP_AT!r}") from None
# Section 11: the worker checks daily, after this local time, whether the quarterly access
# review is due and reminds the privacy officers by mail.
ACCESS_REVIEW_REMINDER_AT = env_str("REKISTERI_ACCESS_REVIEW_REMINDER_AT", "07:00")
try:
    datetime_time.fromisoformat(ACCESS_REVIEW_REMINDER_AT)
except ValueError:
    raise EnvError(
        f"REKISTERI_ACCESS_REVIEW_REMINDER_AT must be a time HH:MM, not {ACCESS_REVIEW_REMINDER_AT!r}"
    ) from None
# Art. 14(3): the worker sends the source information to everyone due daily, after this local time.
SOURCE_INFORMATION_AT = env_str("REKISTERI_SOURCE_INFORMATION_AT", "06:00")
try:
    datetime_time.fromisoformat(SOURCE_INFORMATION_AT)
except ValueError:
    raise EnvError(
        f"REKISTERI_SOURCE_INFORMATION_AT must be a time HH:MM, not {SOURCE_INFORMATION_AT!r}"
    ) from None
