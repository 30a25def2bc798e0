"""The department menu: each page is listed when its own gate would let the user in."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .access import may_open

# (endpoint, label, a divider before it)
DEPARTMENT_PAGES = (
    ("review.index", _l("Review queue"), False),
    ("mobility.nominations", _l("Nominations"), False),
    ("predeparture.overview", _l("Pre-departure checklists"), False),
    ("payments.index", _l("Payments"), False),
    ("dashboard.index", _l("Dashboard"), False),
    ("scoring.index", _l("Score sheets"), False),
    ("messages.index", _l("Group messages"), False),
    ("messages.notices", _l("Notice texts"), False),
    ("calls.manage.index", _l("Manage"), True),
    ("admin.users", _l("Users"), False),
    ("admin.events", _l("Security events"), False),
)


def department_links():
    """[(endpoint, label, divider before)] of the department pages the current user may open."""
    return [page for page in DEPARTMENT_PAGES if may_open(current_user, page[0])]
