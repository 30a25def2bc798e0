"""The head's pages for programs under /manage/programs. Every route here is for the head
(and admin) only.

A refused form is shown again with status 400, what was typed kept and each message next
to its field; a saved one redirects (Post/Redirect/Get)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import web
from ..extensions import db
from ..models import Program
from ..web import EmptyForm
from ..web.access import gate_blueprint
from .forms import ProgramForm
from .operations import create_program, set_published, update_program
from .policy import may_manage
from .queries import all_programs, call_counts, taken_names

bp = Blueprint("manage", __name__, url_prefix="/manage")


# Deny by default: every page of this blueprint is for those who manage (the head, admin).
gate_blueprint(bp, may_manage)


@bp.route("/programs")
def index():
    return render_template("manage/programs.html", programs=all_programs(), call_counts=call_counts())


def _form_page(form, program):
    return render_template("manage/program_form.html", form=form, program=program), 400 if form.is_submitted() else 200


def _when_name_taken(form, program):
    """A name taken meanwhile by another request (the database's unique constraint) is shown
    next to the name, with the form as typed."""

    def page(error):
        if isinstance(error, IntegrityError):
            form.name.errors = [*form.name.errors, _("This name is already taken.")]
        else:
            flash(getattr(error, "message", None) or web.errors.changed_by_someone_else_message(), "danger")
        return _form_page(form, program)

    web.when_refused(page)


@bp.route("/programs/new", methods=["GET", "POST"])
def new():
    form = ProgramForm(taken_names(request.form.get("name")))
    if form.validate_on_submit():
        _when_name_taken(form, None)
        program = create_program(form)
        flash(_("Program %(name)s created. It is not published yet.", name=program.name), "success")
        return redirect(url_for("programs.manage.index"))
    return _form_page(form, None)


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
def edit(program_id):
    program = db.get_or_404(Program, program_id)
    form = ProgramForm(
        taken_names(request.form.get("name"), program.id), obj=None if request.method == "POST" else program
    )
    if form.validate_on_submit():
        _when_name_taken(form, program)
        update_program(program, form)
        flash(_("Program %(name)s saved.", name=program.name), "success")
        return redirect(url_for("programs.manage.index"))
    return _form_page(form, program)


@bp.route("/programs/<int:program_id>/<any(publish, unpublish):action>", methods=["POST"])
def publication(program_id, action):
    program = db.get_or_404(Program, program_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    published = action == "publish"
    set_published(program, published)
    flash(
        _("Program %(name)s is published.", name=program.name)
        if published
        else _("Program %(name)s is closed: it no longer appears on the programs page.", name=program.name),
        "success",
    )
    return redirect(url_for("programs.manage.index"))
