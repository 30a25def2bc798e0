"""The public programs page: the published programs with their open calls. No login needed."""

from flask import render_template

from ..extensions import db
from ..models.base import utcnow
from . import bp
from .queries import open_calls_by_program, published_programs


@bp.route("/programs", endpoint="list")
def list_programs():
    listed = db.session.scalars(published_programs()).all()
    calls = open_calls_by_program([program.id for program in listed], utcnow())
    return render_template("calls/programs.html", programs=listed, open_calls=calls)
