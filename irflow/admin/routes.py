from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.sessions import end_all_sessions
from ..bad_input import page_number
from ..extensions import db
from ..models import Faculty, User, UserRole
from ..search import contains_text
from ..web.access import role_required
from . import bp
from .forms import ActiveForm, UserAccessForm, UserSearchForm


def _user_or_404(user_id):
    return db.get_or_404(User, user_id)


@bp.route("/users")
@role_required("admin")
def users():
    form = UserSearchForm(request.args)
    ignored = form.ignore_invalid_values()
    if ignored:
        flash(
            _(
                "These filters had values that are not valid here and were ignored: %(fields)s.",
                fields=", ".join(ignored),
            ),
            "warning",
        )
    query = db.select(User).order_by(User.full_name_latin, User.id)
    text = (form.q.data or "").strip()
    if text:
        query = query.where(contains_text((User.email, User.full_name_latin, User.full_name_native), text))
    if form.role.data:
        query = query.where(User.id.in_(db.select(UserRole.user_id).where(UserRole.role == form.role.data)))
    if form.status.data == "active":
        query = query.where(User.active.is_(True))
    elif form.status.data == "inactive":
        query = query.where(User.active.is_(False))
    page = db.paginate(query.options(db.joinedload(User.faculty)), page=page_number(), per_page=50, error_out=False)
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user(user_id):
    account = _user_or_404(user_id)
    faculties = db.session.scalars(db.select(Faculty).order_by(Faculty.name)).all()
    form = UserAccessForm(faculties, obj=None if request.method == "POST" else _access_data(account))
    if form.validate_on_submit():
        roles = set(form.roles.data)
        if account.id == current_user.id and "admin" not in roles:
            form.roles.errors.append(_("You cannot take the administrator role from yourself."))
        else:
            account.set_roles(roles)
            chosen = set(form.coordinated_faculties.data)
            account.coordinated_faculties = [faculty for faculty in faculties if faculty.id in chosen]
            db.session.commit()
            flash(_("Roles of %(name)s saved.", name=account.full_name_latin), "success")
            return redirect(url_for("admin.user", user_id=account.id))
    return render_template("admin/user.html", account=account, form=form, active_form=ActiveForm()), (
        400 if request.method == "POST" else 200
    )


def _access_data(account):
    class Data:
        roles = sorted(account.roles)
        coordinated_faculties = sorted(account.coordinated_faculty_ids)

    return Data


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def set_active(user_id):
    account = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        abort(400)
    if account.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "danger")
        return redirect(url_for("admin.user", user_id=account.id))
    account.active = form.active.data == "1"
    if not account.active:
        end_all_sessions(account, "deactivated")
    db.session.commit()
    flash(
        _("%(name)s can log in again.", name=account.full_name_latin)
        if account.active
        else _("%(name)s is deactivated and has been logged out everywhere.", name=account.full_name_latin),
        "success",
    )
    return redirect(url_for("admin.user", user_id=account.id))
