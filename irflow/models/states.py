"""The states of an application and their labels, beside the model that stores them.

The transitions between them are the workflow's (irflow/workflow/states.py); these names are
a contract (DESIGN.md): keep them.
"""

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "changes_requested": _l("Changes requested"),
    "eligible": _l("Eligible"),
    "ineligible": _l("Ineligible"),
    "tested": _l("Tested"),
    "absent": _l("Absent from the test"),
    "selected": _l("Selected"),
    "waitlisted": _l("Waiting list"),
    "not_selected": _l("Not selected"),
    "confirmed": _l("Place confirmed"),
    "declined": _l("Place declined"),
    "nominated": _l("Nominated to the host"),
    "host_accepted": _l("Accepted by the host"),
    "host_rejected": _l("Rejected by the host"),
    "abroad": _l("Abroad"),
    "returned": _l("Returned"),
    "report_submitted": _l("Report submitted"),
    "completed": _l("Completed"),
    "withdrawn": _l("Withdrawn"),
    "cancelled": _l("Cancelled"),
}
STATES = tuple(STATE_LABELS)

FINAL_STATES = frozenset(
    {
        "ineligible",
        "absent",
        "not_selected",
        "declined",
        "withdrawn",
        "host_rejected",
        "completed",
        "cancelled",
    }
)

# States in which the application occupies its allocated place.
HOLDING_STATES = frozenset(
    {
        "selected",
        "confirmed",
        "nominated",
        "host_accepted",
        "abroad",
        "returned",
        "report_submitted",
        "completed",
    }
)

BEFORE_ABROAD = (
    "draft",
    "submitted",
    "changes_requested",
    "eligible",
    "tested",
    "waitlisted",
    "selected",
    "confirmed",
    "nominated",
    "host_accepted",
)
NOT_FINAL = tuple(state for state in STATES if state not in FINAL_STATES)
