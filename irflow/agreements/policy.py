"""Who may see and change a learning agreement (study) or a staff mobility agreement
(teaching, training), and when; both follow the same rules.

It exists once the participant has confirmed their place, until the
mobility ends. Everyone who may see the application (applications/policy.py) sees it,
examiners never. The participant drafts it while it is a draft or returned, before
departure; a coordinator of the application's faculty (or the head) approves or returns
it once submitted, before departure.
"""

from ..applications.policy import is_owner, may_view

# From the confirmed place on, the agreement is part of the mobility.
AGREEMENT_STATES = frozenset(
    {"confirmed", "nominated", "host_accepted", "abroad", "returned", "report_submitted", "completed"}
)
# Before departure: agreed and signed then (the `depart` guard asks for it).
BEFORE_DEPARTURE = frozenset({"confirmed", "nominated", "host_accepted"})
DRAFTING_STATES = frozenset({"draft", "returned"})
# Staff mobilities agree their days and programme in a mobility agreement instead.
STAFF_MOBILITY_TYPES = frozenset({"teaching", "training"})


def has_agreement(application):
    """A study mobility with a confirmed place has (or is to have) a learning agreement."""
    return application.call.mobility_type == "study" and application.state in AGREEMENT_STATES


def has_staff_agreement(application):
    """A teaching or training mobility with a confirmed place has a staff mobility agreement."""
    return application.call.mobility_type in STAFF_MOBILITY_TYPES and application.state in AGREEMENT_STATES


def may_see(user, application):
    return has_agreement(application) and may_view(user, application)


def may_see_staff(user, application):
    return has_staff_agreement(application) and may_view(user, application)


def may_draft(user, application, agreement):
    return (
        is_owner(user, application)
        and application.state in BEFORE_DEPARTURE
        and (agreement is None or agreement.state in DRAFTING_STATES)
    )


def may_decide(user, application, agreement):
    """Approve it or return it: a coordinator of the application's faculty (not the
    participant themself), or the head."""
    if agreement is None or agreement.state != "submitted" or application.state not in BEFORE_DEPARTURE:
        return False
    if not may_view(user, application) or application.applicant_id == user.id:
        return False
    return user.has_role("head") or (
        user.has_role("coordinator") and application.faculty_id in user.coordinated_faculty_ids
    )


# Changes during the mobility (study): asked for while abroad, once the agreement is approved.
CHANGE_STATE = "abroad"


def open_change(agreement):
    """The change still to be decided or resubmitted, if any: one at a time."""
    if agreement is None:
        return None
    return next((change for change in agreement.changes if change.is_open), None)


def may_propose_change(user, application, agreement):
    """The participant, abroad, with an approved agreement: a new change when none is open,
    or the open one again once it was returned."""
    if not (is_owner(user, application) and application.state == CHANGE_STATE):
        return False
    if agreement is None or agreement.state != "approved":
        return False
    change = open_change(agreement)
    return change is None or change.state == "returned"


def may_decide_change(user, application, change):
    """As may_decide, for a submitted change while the participant is abroad."""
    if change is None or change.state != "submitted" or application.state != CHANGE_STATE:
        return False
    if not may_view(user, application) or application.applicant_id == user.id:
        return False
    return user.has_role("head") or (
        user.has_role("coordinator") and application.faculty_id in user.coordinated_faculty_ids
    )
