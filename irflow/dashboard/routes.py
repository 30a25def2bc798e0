"""The dashboard of the head and the coordinators.

    GET /dashboard/           dashboard.index      ?year_from=2025/2026&year_to=2026/2027
    GET /dashboard/overdue    dashboard.overdue    ?page=2   every overdue return report

Per call, its applications per state (links into the review queue); for the period, the
participants by academic year, host country, partner, category and mobility type, each a
bar chart drawn on the server with its table beside it; agreements expiring soon; return
reports overdue (the OVERDUE_SHOWN most overdue, with a link to a page of all of them).
The head (and admin) see every faculty, a coordinator the faculties they coordinate;
anyone else gets 403, an anonymous visitor the login page.
"""

from datetime import UTC, datetime
from functools import lru_cache

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..countries import country_name
from ..models.base import CATEGORIES, MOBILITY_TYPES
from ..models.partner import AGREEMENT_WARNING_DAYS
from ..models.states import HOLDING_STATES, STATE_LABELS
from ..partners.queries import expiring_agreements
from ..web.access import role_required
from ..web.links import row_link
from . import bp
from .charts import bar_chart
from .forms import PeriodForm
from .queries import academic_years, dashboard_figures, dashboard_scope, overdue_page

# The dashboard lists the most overdue reports; the rest are a page of their own.
OVERDUE_SHOWN = 20
OVERDUE_PAGE_SIZE = 100

CHART_TITLES = {
    "year": _l("Participants by academic year"),
    "country": _l("Participants by host country"),
    "partner": _l("Participants by host institution"),
    "category": _l("Participants by category"),
    "mobility_type": _l("Participants by mobility type"),
}
GROUP_HEADINGS = {
    "year": _l("Academic year"),
    "country": _l("Host country"),
    "partner": _l("Host institution"),
    "category": _l("Category"),
    "mobility_type": _l("Mobility type"),
}
UNKNOWN = _l("Not allocated")


def local_today():
    """Today where the user is (by default Asia/Dushanbe), not in UTC."""
    zone = get_timezone()
    now = datetime.now(UTC)
    return now.astimezone(zone).date() if zone is not None else now.date()


def _label(grouping, key, stored_label):
    if key is None:
        return str(UNKNOWN)
    if grouping == "country":
        return country_name(key)
    if grouping == "category":
        return str(CATEGORIES.get(key, key))
    if grouping == "mobility_type":
        return str(MOBILITY_TYPES.get(key, key))
    return str(stored_label)


def _display_rows(grouping, counts):
    """(key, label, count) rows in the order shown: years in time order, the rest by count,
    most first, then by label; the unknown key (if any) last."""
    rows = [(group.key, _label(grouping, group.key, group.label), group.count) for group in counts]
    if grouping == "year":
        return sorted(rows, key=lambda row: (row[0] is None, row[0] or ""))
    return sorted(rows, key=lambda row: (row[0] is None, -row[2], row[1].casefold(), str(row[0])))


@bp.route("/")
@role_required("head", "coordinator")
def index():
    scope = dashboard_scope(current_user)
    if scope is None:  # pragma: no cover (role_required has already refused)
        abort(403)
    form = PeriodForm(request.args, years=academic_years())
    year_from, year_to, ignored = form.period()

    per_call, participants = dashboard_figures(current_user, year_from, year_to)
    groups = []
    for grouping, counts in participants.items():
        rows = _display_rows(grouping, counts)
        groups.append(
            {
                "key": grouping,
                "heading": GROUP_HEADINGS[grouping],
                "rows": rows,
                "total": sum(row[2] for row in rows),
                "chart": bar_chart(CHART_TITLES[grouping], [(label, count) for _key, label, count in rows]),
            }
        )
    # Every grouping counts the same participants once each.
    participants_total = groups[0]["total"] if groups else 0

    today = local_today()
    due_days = current_app.config["REPORT_DUE_DAYS"]
    overdue, overdue_total = overdue_page(scope, today, due_days, limit=OVERDUE_SHOWN)
    return render_template(
        "dashboard/index.html",
        **_made_once(per_call),
        # The head (and admin) see every faculty; a coordinator is reminded of theirs.
        all_faculties=current_user.has_role("head"),
        faculties_coordinated=[faculty.name for faculty in current_user.coordinated_faculties],
        form=form,
        ignored=ignored,
        year_from=year_from,
        year_to=year_to,
        per_call=per_call,
        holding_states=HOLDING_STATES,
        groups=groups,
        participants_total=participants_total,
        agreements=expiring_agreements(today),
        warning_days=AGREEMENT_WARNING_DAYS,
        overdue=overdue,
        overdue_total=overdue_total,
        due_days=due_days,
        today=today,
    )


def _made_once(per_call):
    """What the table of calls repeats in every cell, made once for the page: the links
    (url_for costs as much as the rest of a cell), the states' labels, and each number
    formatted once whatever how often it is shown (the page shows hundreds)."""
    return {
        "call_link": row_link("calls.detail", "call_id"),
        "call_export_link": row_link("exports.call_csv", "call_id"),
        "queue_link": url_for("review.index"),
        "state_labels": {
            state: str(STATE_LABELS[state]) for state in {state for entry in per_call for state in entry.counts}
        },
        "number": lru_cache(maxsize=None)(format_decimal),
    }


@bp.route("/overdue")
@role_required("head", "coordinator")
def overdue():
    scope = dashboard_scope(current_user)
    if scope is None:  # pragma: no cover (role_required has already refused)
        abort(403)
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 100_000:
        return redirect(url_for("dashboard.overdue"))
    today = local_today()
    due_days = current_app.config["REPORT_DUE_DAYS"]
    offset = (page - 1) * OVERDUE_PAGE_SIZE
    reports, total = overdue_page(scope, today, due_days, limit=OVERDUE_PAGE_SIZE, offset=offset)
    pages = max(1, -(-total // OVERDUE_PAGE_SIZE))
    if not reports and page > 1:
        return redirect(url_for("dashboard.overdue"))
    return render_template(
        "dashboard/overdue.html",
        overdue=reports,
        overdue_total=total,
        page=page,
        pages=pages,
        due_days=due_days,
    )
