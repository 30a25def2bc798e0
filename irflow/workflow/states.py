"""The workflow of DESIGN.md as data: its transitions. State and trigger names are a contract:
keep them. The states themselves live beside the model (irflow/models/states.py)."""

from collections import namedtuple

from flask_babel import lazy_gettext as _l

from ..models.states import BEFORE_ABROAD, FINAL_STATES, HOLDING_STATES, NOT_FINAL, STATE_LABELS, STATES

__all__ = ["BEFORE_ABROAD", "FINAL_STATES", "HOLDING_STATES", "NOT_FINAL", "STATE_LABELS", "STATES"]

# who: "owner" (the applicant), a role name, or "system" (actor None: cron, promotion).
Transition = namedtuple("Transition", "trigger sources dest who comment_required label")

TRANSITIONS = (
    Transition("submit", ("draft",), "submitted", ("owner",), False, _l("Submit")),
    Transition("request_changes", ("submitted",), "changes_requested", ("coordinator",), True, _l("Request changes")),
    Transition("resubmit", ("changes_requested",), "submitted", ("owner",), False, _l("Resubmit")),
    Transition("approve_eligibility", ("submitted",), "eligible", ("coordinator",), False, _l("Approve eligibility")),
    Transition("reject_eligibility", ("submitted",), "ineligible", ("coordinator",), True, _l("Reject as ineligible")),
    Transition("record_score", ("eligible",), "tested", ("examiner",), False, _l("Record test score")),
    Transition("mark_absent", ("eligible",), "absent", ("examiner",), False, _l("Mark absent")),
    Transition("select", ("tested", "waitlisted"), "selected", ("head", "system"), False, _l("Select")),
    Transition("waitlist", ("tested",), "waitlisted", ("head",), False, _l("Put on the waiting list")),
    Transition("not_select", ("tested", "waitlisted"), "not_selected", ("head",), False, _l("Do not select")),
    Transition("confirm_place", ("selected",), "confirmed", ("owner",), False, _l("Confirm the place")),
    Transition("decline_place", ("selected",), "declined", ("owner", "system"), False, _l("Decline the place")),
    Transition("nominate", ("confirmed",), "nominated", ("coordinator",), False, _l("Nominate to the host")),
    Transition("host_accept", ("nominated",), "host_accepted", ("coordinator",), False, _l("Record host acceptance")),
    Transition("host_reject", ("nominated",), "host_rejected", ("coordinator",), True, _l("Record host rejection")),
    Transition("depart", ("host_accepted",), "abroad", ("coordinator", "owner"), False, _l("Record departure")),
    Transition("return_home", ("abroad",), "returned", ("coordinator", "owner"), False, _l("Record return")),
    Transition("submit_report", ("returned",), "report_submitted", ("owner",), False, _l("Submit the report")),
    Transition("return_report", ("report_submitted",), "returned", ("coordinator",), True, _l("Return the report")),
    Transition("approve_report", ("report_submitted",), "completed", ("coordinator",), False, _l("Approve the report")),
    Transition("withdraw", BEFORE_ABROAD, "withdrawn", ("owner",), False, _l("Withdraw")),
    Transition("cancel", NOT_FINAL, "cancelled", ("head",), True, _l("Cancel")),
)

TRANSITIONS_BY_TRIGGER = {transition.trigger: transition for transition in TRANSITIONS}
TRIGGERS = tuple(TRANSITIONS_BY_TRIGGER)

# Triggers after which the application no longer holds a place it held before.
FREES_PLACE = frozenset({"decline_place", "withdraw", "host_reject", "cancel"})
