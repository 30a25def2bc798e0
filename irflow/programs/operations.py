"""Changes the head makes to programs, from validated forms. Nothing here commits: the
request commits once when the view has succeeded (irflow/web/unit_of_work.py)."""

from ..extensions import db
from ..models import Program
from ..web.forms import fill_translated


def _fill(program, form):
    program.name = form.name.data
    program.kind = form.kind.data
    program.funder = form.funder.data or None
    fill_translated(program, form, "description")
    program.website = form.website.data or None


def create_program(form):
    """A new program, not published yet. Flushed, so that a name taken meanwhile by another
    request fails here (IntegrityError), inside the view."""
    program = Program(published=False)
    _fill(program, form)
    db.session.add(program)
    db.session.flush()
    return program


def update_program(program, form):
    _fill(program, form)
    db.session.flush()


def set_published(program, published):
    program.published = published
