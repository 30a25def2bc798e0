"""irflow: outgoing academic mobility for an International Relations Department."""

import os
from contextlib import contextmanager

from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale, ngettext, refresh
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError

from . import bad_input
from .config import BASE_DIR, INSTANCE_DIR, Config, DevelopmentConfig, TestConfig
from .extensions import babel, csrf, db, login_manager, migrate


class ConfigurationError(RuntimeError):
    pass


def _pick_config(config):
    if config is not None:
        return config
    env = os.environ.get("IRFLOW_ENV", "production")
    return DevelopmentConfig if env == "development" else Config


def create_app(config=None):
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder=str(BASE_DIR / "templates"))
    settings = _pick_config(config)
    if isinstance(settings, dict):
        app.config.from_object(Config)
        app.config.update(settings)
    else:
        app.config.from_object(settings)
    if not app.config.get("SECRET_KEY"):
        raise ConfigurationError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (for example: python -c 'import secrets; print(secrets.token_hex(32))'), "
            "or set IRFLOW_ENV=development on a developer's machine."
        )
    os.makedirs(app.instance_path, exist_ok=True)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)

    _init_extensions(app)
    _trust_proxies(app)
    bad_input.init_app(app)  # before the blueprints: their URL rules take its `int`
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    _register_mail_delivery(app)
    _register_headers_and_static_files(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _trust_proxies(app):
    # X-Forwarded-For is believed only for the configured number of proxy hops; without
    # proxies it is ignored, so a client cannot choose the address the login brake counts.
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


@event.listens_for(Engine, "connect")
def _sqlite_connection_setup(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # SQLite ignores foreign keys unless asked on every connection.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # Its own lower() folds ASCII only; searches must find Cyrillic and Tajik names too.
        dbapi_connection.create_function(
            "lower", 1, lambda value: value.lower() if isinstance(value, str) else value, deterministic=True
        )


def _init_extensions(app):
    from . import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from .auth.sessions import load_user

    # The cookies carry the token of one login; an ended or timed-out login loads nobody.
    login_manager.user_loader(load_user)


def select_locale():
    languages = _languages()
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in languages:
        return user.locale
    chosen = session.get("locale") if request else None
    if chosen in languages:
        return chosen
    if request:
        return request.accept_languages.best_match(languages)
    return None


def select_timezone():
    if g and g.get("forced_timezone"):
        return g.forced_timezone
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.timezone:
        return user.timezone
    return None


@contextmanager
def force_timezone(zone):
    """Times shown inside the block are in `zone` (a mail is in its recipient's zone, not in
    that of the user whose request queued it). Flask-Babel has force_locale only."""
    previous = g.get("forced_timezone")
    g.forced_timezone = zone
    refresh()
    try:
        yield
    finally:
        g.forced_timezone = previous
        refresh()


def _languages():
    from flask import current_app

    return list(current_app.config["LANGUAGES"])


def _register_blueprints(app):
    from .admin import bp as admin_bp
    from .applications import bp as applications_bp
    from .auth import bp as auth_bp
    from .calls import bp as calls_bp
    from .dashboard import bp as dashboard_bp
    from .exports import bp as exports_bp
    from .reports import bp as reports_bp
    from .review import bp as review_bp
    from .scoring import bp as scoring_bp
    from .selection import bp as selection_bp

    app.register_blueprint(calls_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(applications_bp, url_prefix="/applications")
    app.register_blueprint(review_bp, url_prefix="/review")
    # These serve pages of a call: /calls/<id>/scores, /selection, /export/...
    app.register_blueprint(scoring_bp)
    app.register_blueprint(selection_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(admin_bp, url_prefix="/admin")


def _register_template_helpers(app):
    from .models.base import CATEGORIES, DOCUMENT_KINDS, LOCALES, MOBILITY_TYPES, PARTNER_KINDS, PROGRAM_KINDS, ROLES
    from .workflow.states import STATE_LABELS

    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["filesize"] = file_size

    @app.context_processor
    def labels():
        return {
            "current_locale_code": lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            "CATEGORIES": CATEGORIES,
            "DOCUMENT_KINDS": DOCUMENT_KINDS,
            "LOCALES": LOCALES,
            "MOBILITY_TYPES": MOBILITY_TYPES,
            "PARTNER_KINDS": PARTNER_KINDS,
            "PROGRAM_KINDS": PROGRAM_KINDS,
            "ROLES": ROLES,
            "STATE_LABELS": STATE_LABELS,
        }


def file_size(size):
    """A file's size in the user's language (Jinja's filesizeformat writes "41 Bytes", "1.2 kB")."""
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(round(size / 1024, 1)))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def _register_mail_delivery(app):
    # Mail a request committed goes out after its response, in a thread (MAIL_SERVER set).
    from .services.delivery import init_app

    init_app(app)


def _register_headers_and_static_files(app):
    from . import headers, static_files

    headers.init_app(app)
    static_files.init_app(app)


def _safe_back_url():
    from .auth.safety import is_local_url

    target = request.referrer
    return target if target and is_local_url(target) else url_for("calls.index")


def _register_error_handlers(app):
    def render_error(code, title, message):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _("The form has expired"), _("The form could not be accepted. Go back, reload the page and try again.")
        )

    @app.errorhandler(StaleDataError)
    def stale(error):
        db.session.rollback()
        flash(_("This record was changed by someone else. Nothing was saved; please check and try again."), "warning")
        return redirect(_safe_back_url())

    messages = {
        400: (lambda: _("Bad request"), lambda: _("The request could not be understood.")),
        403: (lambda: _("Not allowed"), lambda: _("You do not have permission to see this page.")),
        404: (lambda: _("Not found"), lambda: _("There is nothing here, or you may not see it.")),
        405: (lambda: _("Not allowed"), lambda: _("This address does not accept that kind of request.")),
        413: (
            lambda: _("File too large"),
            lambda: _(
                "The upload is larger than the %(size)s MB allowed. Nothing was saved; "
                "choose a smaller file and try again.",
                size=format_decimal(round(app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024), 1)),
            ),
        ),
        429: (lambda: _("Too many attempts"), lambda: _("Please wait a little and try again.")),
        500: (lambda: _("Something went wrong"), lambda: _("The error has been logged. Please try again later.")),
    }

    def make_handler(code):
        def handler(error):
            if code == 500:
                db.session.rollback()
            title, message = messages[code]
            return render_error(code, title(), message())

        return handler

    for code in messages:
        app.register_error_handler(code, make_handler(code))


__all__ = ["create_app", "ConfigurationError", "TestConfig"]
