from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..auth.safety import local_path_or_none
from ..extensions import db
from ..models import Call, CallPlace
from ..models.base import utcnow
from . import bp


@bp.route("/")
def index():
    now = utcnow()
    open_calls = db.session.scalars(
        db.select(Call)
        .where(Call.published.is_(True), Call.opens_at <= now, Call.closes_at > now)
        .options(db.selectinload(Call.places).joinedload(CallPlace.partner), db.joinedload(Call.program))
        .order_by(Call.closes_at)
    ).all()
    return render_template("calls/index.html", open_calls=open_calls)


@bp.route("/locale", methods=["POST"])
def set_locale():
    """The language switcher: kept in the session, and saved for a logged-in user."""
    code = request.form.get("locale", "")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(local_path_or_none(request.form.get("next")) or url_for("calls.index"))
