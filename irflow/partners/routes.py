"""The public partners page: the partner institutions with their agreements' validity,
filtered by country and kind. No login needed."""

from datetime import date

from flask import render_template, request

from ..bad_input import page_number
from ..extensions import db
from . import bp
from .forms import PartnerFilterForm
from .queries import agreement_status, partner_countries, partners_query

PAGE_SIZE = 50

# The validity badges of agreements, on the public and the head's pages.
bp.add_app_template_global(agreement_status)


@bp.route("/partners", endpoint="list")
def list_partners():
    form = PartnerFilterForm(partner_countries(), request.args)
    country, kind = form.filter_values()
    page = db.paginate(
        partners_query(country, kind), page=page_number(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "calls/partners.html", form=form, page=page, today=date.today(), filter_args=form.filter_args()
    )
