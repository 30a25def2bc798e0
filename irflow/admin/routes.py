from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import web
from ..bad_input import page_number
from ..extensions import db
from ..models import Faculty, User, UserRole
from ..search import contains_text
from ..web.errors import changed_by_someone_else_message
from . import accounts, bp, operations
from .forms import ActiveForm, UserAccessForm, UserSearchForm


def _user_or_404(user_id):
    return db.get_or_404(User, user_id)


@bp.route("/users")
@web.role_required("admin")
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
@web.role_required("admin")
def user(user_id):
    account = _user_or_404(user_id)
    faculties = db.session.scalars(db.select(Faculty).order_by(Faculty.name)).all()
    form = UserAccessForm(faculties, obj=None if request.method == "POST" else _access_data(account))
    if form.validate_on_submit():
        web.when_refused(lambda error: _user_page(account, form, refusal=error))
        chosen = set(form.coordinated_faculties.data)
        operations.set_access(
            current_user, account, form.roles.data, [faculty for faculty in faculties if faculty.id in chosen]
        )
        flash(_("Roles of %(name)s saved.", name=account.full_name_latin), "success")
        return redirect(url_for("admin.user", user_id=account.id))
    return _user_page(account, form)


def _user_page(account, form, refusal=None):
    if isinstance(refusal, operations.AccessRefused):
        form.roles.errors.append(refusal.message)
    elif refusal is not None:  # a change by another admin at the same moment, found at the commit
        flash(changed_by_someone_else_message(), "warning")
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user.html", account=account, form=form, **accounts.user_page_context(account)), status


def _access_data(account):
    class Data:
        roles = sorted(account.roles)
        coordinated_faculties = sorted(account.coordinated_faculty_ids)

    return Data


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@web.role_required("admin")
def set_active(user_id):
    account = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        abort(400)
    web.back_to(url_for("admin.user", user_id=account.id))
    operations.set_active(current_user, account, form.active.data == "1")
    flash(
        _("%(name)s can log in again.", name=account.full_name_latin)
        if account.active
        else _("%(name)s is deactivated and has been logged out everywhere.", name=account.full_name_latin),
        "success",
    )
    return redirect(url_for("admin.user", user_id=account.id))
