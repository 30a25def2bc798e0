"""irflow: outgoing academic mobility for an International Relations Department."""

import os

from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import bad_input, i18n, web
from .config import BASE_DIR, INSTANCE_DIR, Config, DevelopmentConfig, TestConfig
from .extensions import babel, csrf, db, login_manager, migrate
from .web.links import public_url_problem
from .web.unit_of_work import UnitOfWorkFlask


class ConfigurationError(RuntimeError):
    pass


def _pick_config(config):
    if config is not None:
        return config
    env = os.environ.get("IRFLOW_ENV", "production")
    return DevelopmentConfig if env == "development" else Config


def create_app(config=None):
    app = UnitOfWorkFlask(__name__, instance_path=str(INSTANCE_DIR), template_folder=str(BASE_DIR / "templates"))
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
    _check_public_url(app)
    os.makedirs(app.instance_path, exist_ok=True)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)

    _init_extensions(app)
    _trust_proxies(app)
    bad_input.init_app(app)  # before the blueprints: their URL rules take its `int`
    _register_blueprints(app)
    _register_workflow_follow_ups()
    web.init_app(app)
    _register_mail_delivery(app)
    _register_headers_and_static_files(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _register_workflow_follow_ups():
    from .payments.operations import settle_on_approval
    from .workflow.effects import follow_up

    follow_up("approve_report", settle_on_approval)


def _check_public_url(app):
    public_url = (app.config.get("PUBLIC_URL") or "").strip() or None
    if public_url is None:
        if not (app.config.get("DEVELOPMENT") or app.config.get("TESTING")):
            raise ConfigurationError(
                "PUBLIC_URL is not set. Set the PUBLIC_URL environment variable to the address people "
                "open irflow at (for example: https://irflow.example.tj): links in mails are built on it, "
                "never on a request's Host header. Or set IRFLOW_ENV=development on a developer's machine."
            )
    else:
        problem = public_url_problem(public_url)
        if problem:
            raise ConfigurationError(f"PUBLIC_URL {public_url!r} is not a web address: {problem}.")
        public_url = public_url.rstrip("/")
    app.config["PUBLIC_URL"] = public_url


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
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)

    from .auth.sessions import load_user

    # The cookies carry the token of one login; an ended or timed-out login loads nobody.
    login_manager.user_loader(load_user)


def _register_blueprints(app):
    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .agreements import bp as agreements_bp
    from .applications import bp as applications_bp
    from .auth import bp as auth_bp
    from .calls import bp as calls_bp
    from .dashboard import bp as dashboard_bp
    from .exports import bp as exports_bp
    from .grant_agreements import bp as grant_agreements_bp
    from .grants import bp as grants_bp
    from .messages import bp as messages_bp
    from .mobility import bp as mobility_bp
    from .participants import bp as participants_bp
    from .partners import bp as partners_bp
    from .payments import bp as payments_bp
    from .predeparture import bp as predeparture_bp
    from .privacy import bp as privacy_bp
    from .programs import bp as programs_bp
    from .returns import bp as returns_bp
    from .review import bp as review_bp
    from .scoring import bp as scoring_bp
    from .selection import bp as selection_bp
    from .stays import bp as stays_bp
    from .two_factor import bp as two_factor_bp

    app.register_blueprint(calls_bp)
    app.register_blueprint(programs_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(applications_bp, url_prefix="/applications")
    app.register_blueprint(review_bp, url_prefix="/review")
    # These serve pages of a call: /calls/<id>/scores, /selection, /export/...
    app.register_blueprint(scoring_bp)
    app.register_blueprint(selection_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(mobility_bp)
    app.register_blueprint(returns_bp)
    app.register_blueprint(agreements_bp)
    app.register_blueprint(participants_bp)
    app.register_blueprint(stays_bp)
    app.register_blueprint(grants_bp)
    app.register_blueprint(grant_agreements_bp)
    app.register_blueprint(predeparture_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(privacy_bp)
    app.register_blueprint(two_factor_bp, url_prefix="/account/two-factor")


def _register_mail_delivery(app):
    # Mail a request committed goes out after its response, in a thread (MAIL_SERVER set).
    from .services.delivery import init_app

    init_app(app)


def _register_headers_and_static_files(app):
    from . import headers, static_files

    headers.init_app(app)
    static_files.init_app(app)


__all__ = ["create_app", "ConfigurationError", "TestConfig"]
