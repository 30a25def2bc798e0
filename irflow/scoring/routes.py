"""The examiner's pages: the score sheet of a call, the CSV import and its template.

Assigned examiners enter scores; the head (and admin) may look, read-only. Saving goes
through sheet.check_rows / operations.save_scores in one transaction: either every row of
the sheet (or of the file) is saved, or none is.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import web
from ..errors import Refused
from ..extensions import db
from ..models import Application, Call, call_examiners
from ..web.access import role_required
from . import bp
from .csv_import import (
    FileProblem,
    build_preview,
    decode_content,
    decode_versions,
    encode_content,
    encode_versions,
    read_upload,
    template_csv,
)
from .forms import ImportConfirmForm, ImportUploadForm, SheetPost, absent_name, score_name, version_name
from .operations import save_scores
from .sheet import (
    ABSENT,
    CORRECT,
    NOTHING,
    PARTIAL,
    RECORD,
    SHEET_STATES,
    SheetFilter,
    assigned_examiner,
    check_rows,
    may_mark_absent,
    may_view,
    sheet_faculties,
    sheet_page,
    sheet_rows,
)

# What a row of the import preview will do when saved.
PLAN_LABELS = {
    RECORD: lambda: _("Will be recorded as tested"),
    PARTIAL: lambda: _("Scores kept; stays eligible until every criterion is scored"),
    ABSENT: lambda: _("Will be marked absent"),
    CORRECT: lambda: _("Correction: the total will be recomputed"),
    NOTHING: lambda: _("No change"),
}


def plan_label(plan):
    return PLAN_LABELS[plan]() if plan in PLAN_LABELS else ""


def input_text(value):
    """A stored score as a number input's value: a dot, no trailing zeros (80, 72.5)."""
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _call_for(call_id):
    call = db.get_or_404(Call, call_id)
    if not may_view(current_user, call):
        abort(403)
    return call


# --- the calls to score ---------------------------------------------------------------


@bp.route("/scores/")
@role_required("examiner", "head")
def index():
    """The calls the examiner is assigned to (the head: every call with examiners), with how
    many applicants wait for the test and how many are tested."""
    query = db.select(Call).options(db.joinedload(Call.program)).order_by(Call.closes_at.desc(), Call.id.desc())
    assigned = db.select(call_examiners.c.call_id)
    if not current_user.has_role("head"):
        assigned = assigned.where(call_examiners.c.user_id == current_user.id)
    calls = db.session.scalars(query.where(Call.id.in_(assigned))).all()
    counts = {}
    if calls:
        for call_id, state, number in db.session.execute(
            db.select(Application.call_id, Application.state, db.func.count(Application.id))
            .where(Application.call_id.in_([call.id for call in calls]), Application.state.in_(SHEET_STATES))
            .group_by(Application.call_id, Application.state)
        ):
            counts[(call_id, state)] = number
    return render_template("scoring/index.html", calls=calls, counts=counts)


# --- the sheet -------------------------------------------------------------------------


@dataclass
class Line:
    """One row of the sheet as shown: the application and what the form holds for it."""

    application: object
    own: bool
    version: int
    values: dict = field(default_factory=dict)  # criterion id -> text in the input
    errors: dict = field(default_factory=dict)  # criterion id -> message
    saved: dict = field(default_factory=dict)  # criterion id -> Decimal now stored
    absent: bool = False
    problems: list = field(default_factory=list)
    changed: bool = False  # changed by someone else since it was shown
    may_mark_absent: bool = False


def _lines(rows, criteria, viewer, post=None, problems=None, stale=()):
    lines = []
    for application in rows:
        saved = {score.criterion_id: score.value for score in application.scores}
        posted = post is not None and application.id in post.versions
        line = Line(
            application=application,
            own=application.applicant_id == viewer.id,
            version=application.version,
            saved=saved,
            changed=application.id in stale,
            may_mark_absent=may_mark_absent(application),
        )
        if posted and not line.changed:
            # Kept as posted: a save after fixing the cells is still checked against what was shown.
            line.version = post.versions[application.id]
        for criterion in criteria:
            key = (application.id, criterion.id)
            line.values[criterion.id] = (
                post.typed[key] if posted and key in post.typed else input_text(saved.get(criterion.id))
            )
            if posted and key in post.cell_errors:
                line.errors[criterion.id] = post.cell_errors[key]
        line.absent = posted and application.id in post.absent
        line.problems = list((problems or {}).get(application.id, []))
        lines.append(line)
    return lines


def _render_sheet(call, editable, post=None, problems=None, stale=(), message=None, status=200):
    viewer = current_user._get_current_object()
    sheet_filter = SheetFilter.read(request.args)
    page = sheet_page(call, sheet_filter)
    # Shown again after a refused save: the rows that were posted, whichever page they are on now.
    rows = page.items if post is None else sheet_rows(call, ids=post.versions)
    criteria = call.test_criteria
    posted_ids = set(post.versions) if post is not None else set()
    gone = len(posted_ids - {application.id for application in rows})
    return render_template(
        "scoring/sheet.html",
        call=call,
        criteria=criteria,
        editable=editable,
        page=page,
        sheet_filter=sheet_filter,
        faculties=sheet_faculties(call),
        states=SHEET_STATES,
        lines=_lines(rows, criteria, viewer, post, problems, stale),
        conflict=bool(stale),
        gone=gone,
        message=message,
        has_errors=bool(post is not None and post.cell_errors) or bool(problems),
        is_examiner=assigned_examiner(viewer, call),
        score_name=score_name,
        absent_name=absent_name,
        version_name=version_name,
    ), status


@bp.route("/calls/<int:call_id>/scores", methods=["GET", "POST"])
@login_required
def sheet(call_id):
    call = _call_for(call_id)
    examiner = current_user._get_current_object()
    editable = assigned_examiner(examiner, call)
    if request.method == "GET":
        return _render_sheet(call, editable)
    if not editable:
        abort(403)

    post = SheetPost.read(request.form, call.test_criteria)
    # Only the rows posted (one page of the sheet) are read and checked.
    applications = {application.id: application for application in sheet_rows(call, ids=post.versions)}
    check = check_rows(call, applications, post.rows, examiner)
    if check.stale:
        return _render_sheet(call, True, post, check.problems, check.stale, status=409)
    if post.cell_errors or check.problems:
        return _render_sheet(call, True, post, check.problems, status=400)
    web.when_refused(lambda error: _refused_sheet(call, post, examiner, error))
    counts = save_scores(call, applications, post.rows, examiner, check)
    _flash_counts(counts)
    return redirect(url_for("scoring.sheet", call_id=call.id, **SheetFilter.read(request.args).args()))


def _refused_sheet(call, post, examiner, error):
    """The sheet again with what was typed, after the save was refused and rolled back."""
    if isinstance(error, Refused):
        return _render_sheet(call, True, post, message=str(error), status=409)
    # Someone saved the same rows between our check and our write.
    applications = {application.id: application for application in sheet_rows(call, ids=post.versions)}
    stale = check_rows(call, applications, post.rows, examiner).stale or set(post.versions)
    return _render_sheet(call, True, post, stale=stale, status=409)


def _flash_counts(counts):
    if not counts.total:
        flash(_("Nothing was changed."), "info")
        return
    flash(
        _(
            "Scores saved. Recorded as tested: %(scored)s; marked absent: %(absent)s; "
            "corrected: %(corrected)s; partly scored: %(partial)s.",
            scored=counts.scored,
            absent=counts.absent,
            corrected=counts.corrected,
            partial=counts.partial,
        ),
        "success",
    )


# --- the CSV import --------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/scores/template.csv")
@login_required
def template(call_id):
    call = _call_for(call_id)
    applications = [
        application
        for application in sheet_rows(call)
        if application.state == "eligible" and application.applicant_id != current_user.id
    ]
    return Response(
        template_csv(call, applications),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="scores-call-{call.id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


def _render_import(call, upload_form=None, preview=None, confirm_form=None, message=None, conflict=False, status=200):
    return render_template(
        "scoring/import.html",
        call=call,
        criteria=call.test_criteria,
        upload_form=upload_form or ImportUploadForm(formdata=None),
        preview=preview,
        confirm_form=confirm_form,
        message=message,
        conflict=conflict,
        plan_label=plan_label,
    ), status


def _confirm_form(data, preview, filename):
    if not preview.ok:
        return None
    form = ImportConfirmForm(formdata=None)
    form.content.data = encode_content(data)
    form.versions.data = encode_versions(preview)
    form.filename.data = filename
    return form


@bp.route("/calls/<int:call_id>/scores/import", methods=["GET", "POST"])
@login_required
def import_scores(call_id):
    call = _call_for(call_id)
    examiner = current_user._get_current_object()
    if not assigned_examiner(examiner, call):
        abort(403)
    if request.method == "GET":
        return _render_import(call)
    if request.form.get("step") == "confirm":
        return _confirm_import(call, examiner)

    upload_form = ImportUploadForm()
    if not upload_form.validate():
        return _render_import(call, upload_form, status=400)
    filename = upload_form.file.data.filename or ""
    try:
        data = read_upload(upload_form.file.data)
    except FileProblem as problem:
        upload_form.file.errors.append(str(problem))
        return _render_import(call, upload_form, status=400)
    preview = build_preview(data, call, examiner)
    return _render_import(
        call, preview=preview, confirm_form=_confirm_form(data, preview, filename), status=200 if preview.ok else 400
    )


def _confirm_import(call, examiner):
    form = ImportConfirmForm()
    filename = form.filename.data or ""
    try:
        data = decode_content(form.content.data)
    except FileProblem as problem:
        return _render_import(call, message=str(problem), status=400)
    # Read and checked again: the browser may send back anything.
    preview = build_preview(data, call, examiner, versions=decode_versions(form.versions.data))
    if not preview.ok:
        return _render_import(call, preview=preview, message=_("Nothing was saved: the file has errors."), status=400)
    if preview.stale:
        return _import_conflict(call, examiner, data, filename)
    web.when_refused(lambda error: _refused_import(call, examiner, data, filename, error))
    counts = save_scores(call, preview.applications, preview.inputs, examiner, preview.check)
    _flash_counts(counts)
    return redirect(url_for("scoring.sheet", call_id=call.id))


def _refused_import(call, examiner, data, filename, error):
    """The preview again, after the save was refused and rolled back."""
    if not isinstance(error, Refused):
        return _import_conflict(call, examiner, data, filename)
    preview = build_preview(data, call, examiner)
    return _render_import(
        call, preview=preview, confirm_form=_confirm_form(data, preview, filename), message=str(error), status=409
    )


def _import_conflict(call, examiner, data, filename):
    preview = build_preview(data, call, examiner)
    return _render_import(
        call, preview=preview, confirm_form=_confirm_form(data, preview, filename), conflict=True, status=409
    )
