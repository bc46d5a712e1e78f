"""Django settings for mujun's web app.

Where things live (environment variables, so one server can run several counties):
- MUJUN_HOME: the folder with the embedded SQLite database and the secret key (default ./mujun-home);
- MUJUN_DATABASE_URL: postgresql://user:password@host:port/name for multi-user deployments;
- MUJUN_DEBUG=1 for development; mujun.web.settings_production for a real server.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

PACKAGE = Path(__file__).resolve().parent
HOME = Path(os.environ.get("MUJUN_HOME", "mujun-home")).resolve()


def _secret_key() -> str:
    """The key from MUJUN_SECRET_KEY, else one made once per home folder and kept there."""
    if key := os.environ.get("MUJUN_SECRET_KEY"):
        return key
    path = HOME / "secret.key"
    if not path.exists():
        HOME.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def database(url: str | None) -> dict:
    """Django's DATABASES entry for a URL (postgresql://… or sqlite:///path), SQLite by default."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "mujun.sqlite3"),
            # immediate transactions: two writers queue instead of failing half-way
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": unquote(parsed.path),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"MUJUN_DATABASE_URL: unsupported scheme {parsed.scheme!r}")


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("MUJUN_DEBUG") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("MUJUN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "auditlog",
    "csp",
    "mujun.web.apps.WebConfig",
]

MIDDLEWARE = [
    # first: the client's address (from a trusted proxy only) before anything reads it
    "mujun.web.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mujun.web.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling first
    "rules.permissions.ObjectPermissionBackend",
    "mujun.web.backends.ModelPermissionBackend",
]

ROOT_URLCONF = "mujun.web.urls"
WSGI_APPLICATION = "mujun.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "mujun.web.context.role",
            ],
        },
    },
]

DATABASES = {"default": database(os.environ.get("MUJUN_DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, English switchable
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
# the static files are served from the installed packages (WhiteNoise finders); collectstatic
# only when a front server should serve them: set MUJUN_STATIC_ROOT
STATIC_ROOT = os.environ.get("MUJUN_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# serve the app's static files and Plotly's own JS straight from the installed packages
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The reverse proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For is
# believed; from any other peer the header is ignored (mujun.web.middleware). Empty: no proxy.
MUJUN_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("MUJUN_TRUSTED_PROXIES", "").split(",") if p.strip()
]
for _proxy in MUJUN_TRUSTED_PROXIES:  # a typo fails at start, not on every request
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ValueError(f"MUJUN_TRUSTED_PROXIES: {exc}") from None

# login throttling (django-axes): 5 failures lock that user name from that client address for 15
# minutes (the pair, so nobody locks another user out from their own address); the address is the
# one resolved above, never a header a client can forge
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "mujun.web.middleware.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"

AUDITLOG_INCLUDE_ALL_MODELS = False

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MUJUN_UPLOAD_LIMIT = 200 * 1024 * 1024  # bytes a request to the data page may send
# uploads are received into this folder (default: mujun-uploads in the system temporary folder)
MUJUN_UPLOAD_DIR = None
MUJUN_OBJECTIONS_PER_HOUR = 10  # objections one enterprise may file an hour

# sessions in the database only, which every server process shares: a logout deletes the row and
# the cookie opens nothing anywhere. (cached_db read through a per-process memory cache, so other
# gunicorn workers kept a logged-out session alive; a shared cache would be a second store to
# run for the one query per page this saves.)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True


def _plotly_js_dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


# Plotly's JS from the installed pip package (no CDN: the machines have no internet)
STATICFILES_DIRS = [("vendor", _plotly_js_dir())]

# Content-Security-Policy (django-csp 4): scripts only from this server (Plotly's bundle and
# mujun.js are served here), plus the one inline handler the forms use, `this.form.submit()`, by its
# hash. Styles allow inline: Plotly writes style attributes into its SVG and the progress bars set
# widths; no script can run from them. No frames, no plugins, forms post only here.
_SUBMIT_ON_CHANGE = "'sha256-osjxnKEPL/pQJbFk1dKsF7PYFmTyMWGmVSiL9inhxJY='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-hashes'", _SUBMIT_ON_CHANGE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
