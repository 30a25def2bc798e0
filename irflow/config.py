"""Configuration read from the environment.

`IRFLOW_ENV` is `production` unless set; `make run` and the `.flaskenv` used by the
`flask` command set `development`. Outside development a real SECRET_KEY and PUBLIC_URL
are required.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(url):
    """Let plain `postgresql://` URLs use psycopg 3, the driver irflow ships with."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    ENV_NAME = os.environ.get("IRFLOW_ENV", "production")
    DEVELOPMENT = ENV_NAME == "development"
    TESTING = False

    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Heads printed documents such as the selection protocol. Unset: Khujand State University's
    # name in the reader's language (irflow/web/templating.py).
    UNIVERSITY_NAME = os.environ.get("UNIVERSITY_NAME")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'irflow.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or str(INSTANCE_DIR / "uploads")
    # Compressed, content-hashed copies of irflow/static, made at start-up (irflow/static_files.py).
    STATIC_BUILD_FOLDER = os.environ.get("STATIC_BUILD_FOLDER") or str(INSTANCE_DIR / "static")
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)
    # Quota per application over its current (not removed) documents.
    UPLOAD_MAX_FILES_PER_APPLICATION = _int("UPLOAD_MAX_FILES_PER_APPLICATION", 30)
    UPLOAD_MAX_BYTES_PER_APPLICATION = _int("UPLOAD_MAX_BYTES_PER_APPLICATION", 60 * 1024 * 1024)
    # Removed and replaced documents stay on disk for the office; this bounds all a participant
    # ever uploaded to one application, so upload-remove-upload cannot fill the disk.
    UPLOAD_MAX_KEPT_BYTES_PER_APPLICATION = _int(
        "UPLOAD_MAX_KEPT_BYTES_PER_APPLICATION", 3 * UPLOAD_MAX_BYTES_PER_APPLICATION
    )

    # `__Host-` cookies are refused by browsers unless Secure, Path=/ and without Domain:
    # nothing on another subdomain or path can set or shadow them.
    SESSION_COOKIE_NAME = "session" if DEVELOPMENT else "__Host-session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = not DEVELOPMENT
    REMEMBER_COOKIE_NAME = "remember_token" if DEVELOPMENT else "__Host-remember_token"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = not DEVELOPMENT
    # How long a login lasts (auth/sessions.py): idle = since the last request, max = since
    # the login. Staff (coordinator, examiner, head, admin) get no remember-me cookie.
    APPLICANT_SESSION_IDLE_MINUTES = _int("APPLICANT_SESSION_IDLE_MINUTES", 12 * 60)
    APPLICANT_SESSION_MAX_HOURS = _int("APPLICANT_SESSION_MAX_HOURS", 30 * 24)
    STAFF_SESSION_IDLE_MINUTES = _int("STAFF_SESSION_IDLE_MINUTES", 30)
    STAFF_SESSION_MAX_HOURS = _int("STAFF_SESSION_MAX_HOURS", 12)
    REMEMBER_COOKIE_DURATION = timedelta(hours=APPLICANT_SESSION_MAX_HOURS)
    # Proxies in front of irflow that set X-Forwarded-For/-Proto/-Host (0: none, the client
    # is the connection's address). Only that many hops of the headers are believed.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still submit

    # The home city (Khujand) in degrees, north and east positive: grants' travel distances start here.
    HOME_LATITUDE = float(os.environ.get("HOME_LATITUDE", "40.2833"))
    HOME_LONGITUDE = float(os.environ.get("HOME_LONGITUDE", "69.6167"))
    # The university as the sending organisation of the Beneficiary Module export: its Erasmus+
    # Organisation ID ("E" + 8 digits; empty: the export lists the gap and gives no file).
    HOME_OID = os.environ.get("HOME_OID", "").strip().upper()
    HOME_ORGANISATION_NAME = os.environ.get("HOME_ORGANISATION_NAME", "Khujand State University")
    HOME_COUNTRY = os.environ.get("HOME_COUNTRY", "TJ")
    HOME_CITY = os.environ.get("HOME_CITY", "Khujand")

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "en")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("BABEL_DEFAULT_TIMEZONE", "Asia/Dushanbe")
    LANGUAGES = ("en", "ru", "tg")

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "irflow@localhost")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30)
    # Send what a request queued right after its response (a thread); cron's send-mail retries.
    MAIL_DELIVER_AFTER_REQUEST = _bool("MAIL_DELIVER_AFTER_REQUEST", True)

    # Argon2id cost at OWASP's recommendation (m=19 MiB, t=2, p=1): ~21 ms of CPU per hash here
    # instead of ~155 ms with argon2-cffi's defaults (m=64 MiB, t=3, p=4), so 300 logins at a
    # deadline no longer queue for half a minute (bench/README.md). Stored hashes made with other
    # settings are redone at the next successful login (passwords.verify_password).
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 19456)
    ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 1)

    # Failed logins: how far back they count and when the slow-down starts.
    LOGIN_THROTTLE_WINDOW_SECONDS = _int("LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60)
    LOGIN_THROTTLE_FREE_ATTEMPTS = _int("LOGIN_THROTTLE_FREE_ATTEMPTS", 5)
    LOGIN_THROTTLE_MAX_DELAY_SECONDS = _int("LOGIN_THROTTLE_MAX_DELAY_SECONDS", 300)
    # Failures of an account from every address: beyond a generous free count each further
    # try waits (doubling, capped low), except from a browser that has logged in to that
    # account before (its known-device cookie, irflow/auth/known_devices.py).
    LOGIN_THROTTLE_ACCOUNT_FREE_ATTEMPTS = _int("LOGIN_THROTTLE_ACCOUNT_FREE_ATTEMPTS", 20)
    LOGIN_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS = _int("LOGIN_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS", 30)
    KNOWN_DEVICE_DAYS = _int("KNOWN_DEVICE_DAYS", 365)
    KNOWN_DEVICE_COOKIE_NAME = "known_device" if DEVELOPMENT else "__Host-known_device"
    KNOWN_DEVICE_COOKIE_SECURE = not DEVELOPMENT
    # A campus behind one NAT address shares this count: generous, and capped low.
    LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS = _int("LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS", 50)
    LOGIN_THROTTLE_ADDRESS_MAX_DELAY_SECONDS = _int("LOGIN_THROTTLE_ADDRESS_MAX_DELAY_SECONDS", 60)

    # E-mail verification: how long a mailed link stays valid, and how often a user may ask
    # for another one.
    VERIFY_TOKEN_MAX_AGE = _int("VERIFY_TOKEN_MAX_AGE", 7 * 24 * 3600)
    VERIFY_RESEND_INTERVAL_SECONDS = _int("VERIFY_RESEND_INTERVAL_SECONDS", 5 * 60)
    # Registrations accepted from one address per hour (a campus NAT shares it: generous).
    REGISTRATION_THROTTLE_PER_HOUR = _int("REGISTRATION_THROTTLE_PER_HOUR", 10)
    # Two-factor login (irflow/auth/second_factor.py, irflow/two_factor/): users holding one of
    # these roles (comma-separated; admin counts as head) must set it up before any other page.
    REQUIRE_2FA_ROLES = os.environ.get("REQUIRE_2FA_ROLES", "head,admin")
    # How long the second step may follow a correct password.
    TWO_FACTOR_PENDING_SECONDS = _int("TWO_FACTOR_PENDING_SECONDS", 5 * 60)
    # Encrypts the stored TOTP secrets; unset: derived from SECRET_KEY. Changing it (or the
    # SECRET_KEY it follows) leaves every user only their recovery codes until set up again.
    TWO_FACTOR_ENCRYPTION_KEY = os.environ.get("TWO_FACTOR_ENCRYPTION_KEY")
    # How long a password reset link works, in seconds (irflow/auth/password_reset.py).
    RESET_TOKEN_MAX_AGE = _int("RESET_TOKEN_MAX_AGE", 3600)
    # The address people open irflow at, e.g. https://irflow.example.tj (with the path, if
    # irflow is mounted under one). Links in mails are built on it (irflow/web/links.py), never
    # on a request's Host header, which anyone can forge. Required outside development.
    PUBLIC_URL = os.environ.get("PUBLIC_URL")
    # Host names irflow answers to (comma-separated; unset: any); others get 400.
    TRUSTED_HOSTS = [host.strip() for host in os.environ.get("TRUSTED_HOSTS", "").split(",") if host.strip()] or None

    # Reminders (`flask send-reminders`): a report is overdue this many days after return;
    # an applicant is reminded of an open offer this many days before its deadline.
    REPORT_DUE_DAYS = _int("REPORT_DUE_DAYS", 30)
    OFFER_REMINDER_DAYS = _int("OFFER_REMINDER_DAYS", 2)
    # A learning agreement's courses abroad add up to at least this many ECTS per semester of
    # the mobility (Erasmus+ asks for 20 to 30; the office chooses).
    MIN_ECTS_PER_SEMESTER = _int("MIN_ECTS_PER_SEMESTER", 20)
    # The pre-departure checklist: each item is due this many days before the departure
    # (negative: after it). Its open items are reminded from this many days before they are due.
    PREDEPARTURE_DUE_DAYS = {
        "invitation_letter": 75,
        "visa": 60,
        "accommodation": 30,
        "travel_tickets": 21,
        "insurance": 14,
        "certificate_of_arrival": -7,
    }
    PREDEPARTURE_REMINDER_DAYS = _int("PREDEPARTURE_REMINDER_DAYS", 3)
    # Grant payments: the first instalment is due this many days before the planned departure
    # (or on the day the grant agreement is issued, if that is later); the last one this many
    # days after the report is approved.
    FIRST_PAYMENT_DAYS_BEFORE_DEPARTURE = _int("FIRST_PAYMENT_DAYS_BEFORE_DEPARTURE", 14)
    FINAL_PAYMENT_DAYS_AFTER_REPORT = _int("FINAL_PAYMENT_DAYS_AFTER_REPORT", 30)

    ADMIN_PAGE_SIZE = 50


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEVELOPMENT = True
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "remember_token"
    REMEMBER_COOKIE_SECURE = False
    KNOWN_DEVICE_COOKIE_NAME = "known_device"
    KNOWN_DEVICE_COOKIE_SECURE = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or "development-only-not-secret"


class TestConfig(Config):
    ENV_NAME = "testing"
    DEVELOPMENT = False
    TESTING = True
    SECRET_KEY = "test-secret-key"
    # Plain names over the test client's http://: `__Host-` is tested with a production config.
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "remember_token"
    REMEMBER_COOKIE_SECURE = False
    KNOWN_DEVICE_COOKIE_NAME = "known_device"
    KNOWN_DEVICE_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS = {}
    BABEL_DEFAULT_LOCALE = "en"
    MAIL_SERVER = None
    # Factory heads and admins log in without a second factor (most tests are about other
    # things); tests/test_two_factor.py turns the production default on for its own tests.
    REQUIRE_2FA_ROLES = ""
    # Cheap hashes keep the suite fast; production keeps the defaults above.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
