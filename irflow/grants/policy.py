"""Who sees a participant's grant: the participant, the coordinators of the application's
faculty and the head (applications/policy.py's may_view), once a place is confirmed.
It shows the fewer-opportunities top-up, which is sensitive: examiners never see it."""

from ..agreements.policy import AGREEMENT_STATES
from ..applications.policy import may_view


def may_see_grant(user, application):
    return (
        application.state in AGREEMENT_STATES
        and application.allocated_place_id is not None
        and may_view(user, application)
    )
