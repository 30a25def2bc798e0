"""Who issues and who reads a grant agreement. The office (the faculty's coordinator or the
head) issues it while the place is confirmed and before departure; the participant and the
office read the printable agreement once it is issued."""

from ..agreements.policy import BEFORE_DEPARTURE
from ..grants.policy import is_office, may_see_grant


def may_issue(user, application):
    return may_see_grant(user, application) and application.state in BEFORE_DEPARTURE and is_office(user, application)


def may_read(user, application, agreement):
    return agreement is not None and agreement.issued and may_see_grant(user, application)
