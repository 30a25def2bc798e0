"""The review queue: applications a coordinator (or the head) screens and follows."""

from flask import render_template, request
from flask_login import current_user

from ..extensions import db
from ..models.base import utcnow
from ..web.access import role_required
from . import bp
from .forms import ReviewFilterForm
from .queries import call_choices_query, faculty_choices_query, review_queries, state_counts

PAGE_SIZE = 50


@bp.route("/")
@role_required("coordinator", "head")
def index():
    calls = db.session.execute(call_choices_query(current_user)).all()
    faculties = db.session.execute(faculty_choices_query(current_user)).all()
    form = ReviewFilterForm(request.args, calls=calls, faculties=faculties)
    filters, page_number, ignored = form.filter_values()

    page_query, counts_query = review_queries(current_user, **filters)
    page = db.paginate(page_query, page=page_number, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)
    counts = state_counts(db.session.execute(counts_query).all())
    return render_template(
        "review/index.html",
        form=form,
        page=page,
        counts=counts,
        counts_total=sum(counts.values()),
        ignored=ignored,
        now=utcnow(),
    )
