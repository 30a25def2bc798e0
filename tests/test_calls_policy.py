"""The call policy (irflow/calls/policy.py) as an explicit table: who may see a call, manage
it, apply to it, and which of the department's tools for it they get, for every kind of
user and every status of a call. Loosening (or tightening) any rule fails a row here.

The public page of a call is checked against the same table: it answers 404 where the
policy hides the call, and shows exactly the tools the policy grants."""

from datetime import timedelta

import pytest
from flask import url_for
from flask_login import AnonymousUserMixin

from irflow.calls.policy import may_apply, may_manage, may_view, staff_links, visible_filter
from irflow.extensions import db
from irflow.models import Call
from irflow.models.base import utcnow

from .fixtures.factories import CallFactory, FacultyFactory, UserFactory, one_commit
from .fixtures.web import client_for

STATUSES = ("draft", "upcoming", "open", "closed", "confirmed")
ROLES = (
    "anonymous",
    "applicant",
    "teacher",
    "coordinator",
    "examiner_of_the_call",
    "examiner_elsewhere",
    "head",
    "admin",
    "inactive_head",
)

# may_view: (draft, upcoming, open, closed, confirmed). Only the head (and admin) sees a
# call that is not published.
MAY_VIEW = {
    "anonymous": (False, True, True, True, True),
    "applicant": (False, True, True, True, True),
    "teacher": (False, True, True, True, True),
    "coordinator": (False, True, True, True, True),
    "examiner_of_the_call": (False, True, True, True, True),
    "examiner_elsewhere": (False, True, True, True, True),
    "head": (True, True, True, True, True),
    "admin": (True, True, True, True, True),
    "inactive_head": (False, True, True, True, True),
}

# may_manage (edit, publish, close): whatever the status.
MAY_MANAGE = {
    "anonymous": (False, False, False, False, False),
    "applicant": (False, False, False, False, False),
    "teacher": (False, False, False, False, False),
    "coordinator": (False, False, False, False, False),
    "examiner_of_the_call": (False, False, False, False, False),
    "examiner_elsewhere": (False, False, False, False, False),
    "head": (True, True, True, True, True),
    "admin": (True, True, True, True, True),
    "inactive_head": (False, False, False, False, False),
}

# may_apply: a logged-in, active user of a category the call admits (bachelors here; every
# user below is a bachelor but the teacher). Whether it is open decides the button, not this.
MAY_APPLY = {
    "anonymous": (False, False, False, False, False),
    "applicant": (True, True, True, True, True),
    "teacher": (False, False, False, False, False),
    "coordinator": (True, True, True, True, True),
    "examiner_of_the_call": (True, True, True, True, True),
    "examiner_elsewhere": (True, True, True, True, True),
    "head": (True, True, True, True, True),
    "admin": (True, True, True, True, True),
    "inactive_head": (False, False, False, False, False),
}

NONE = frozenset()
REVIEWER = frozenset({"applications", "exports"})
EXAMINER = frozenset({"score_sheet", "import_scores"})
HEAD = frozenset({"edit", "applications", "score_sheet", "selection", "exports", "beneficiary_module"})
HEAD_CONFIRMED = HEAD | {"protocol"}

# staff_links: the tools shown above the call, (draft, upcoming, open, closed, confirmed).
STAFF_LINKS = {
    "anonymous": (NONE, NONE, NONE, NONE, NONE),
    "applicant": (NONE, NONE, NONE, NONE, NONE),
    "teacher": (NONE, NONE, NONE, NONE, NONE),
    "coordinator": (REVIEWER, REVIEWER, REVIEWER, REVIEWER, REVIEWER),
    "examiner_of_the_call": (EXAMINER, EXAMINER, EXAMINER, EXAMINER, EXAMINER),
    "examiner_elsewhere": (NONE, NONE, NONE, NONE, NONE),
    "head": (HEAD, HEAD, HEAD, HEAD, HEAD_CONFIRMED),
    "admin": (HEAD, HEAD, HEAD, HEAD, HEAD_CONFIRMED),
    "inactive_head": (NONE, NONE, NONE, NONE, NONE),
}

LINK_NAMES = (
    "edit",
    "applications",
    "score_sheet",
    "import_scores",
    "selection",
    "protocol",
    "exports",
    "beneficiary_module",
)


def days(number):
    return utcnow() + timedelta(days=number)


@pytest.fixture
def world():
    with one_commit():
        examiner = UserFactory(roles=["examiner"])
        other_examiner = UserFactory(roles=["examiner"])
        calls = {
            "draft": CallFactory(published=False),
            "upcoming": CallFactory(opens_at=days(3), closes_at=days(30)),
            "open": CallFactory(),
            "closed": CallFactory(opens_at=days(-30), closes_at=days(-2)),
            "confirmed": CallFactory(opens_at=days(-30), closes_at=days(-2), selection_confirmed_at=days(-1)),
        }
        elsewhere = CallFactory(title="Elsewhere")
        for call in calls.values():
            call.eligible_categories = ["bachelor"]
            call.examiners = [examiner]
        elsewhere.examiners = [other_examiner]
        users = {
            "anonymous": AnonymousUserMixin(),
            "applicant": UserFactory(),
            "teacher": UserFactory(category="teacher"),
            "coordinator": UserFactory(coordinates=[FacultyFactory()]),
            "examiner_of_the_call": examiner,
            "examiner_elsewhere": other_examiner,
            "head": UserFactory(roles=["head"]),
            "admin": UserFactory(roles=["admin"]),
            "inactive_head": UserFactory(roles=["head"], active=False),
        }
    return calls, users


def test_the_tables_cover_every_role_and_status():
    for table in (MAY_VIEW, MAY_MANAGE, MAY_APPLY, STAFF_LINKS):
        assert tuple(table) == ROLES
        assert all(len(row) == len(STATUSES) for row in table.values())


def _granted(links):
    return frozenset(name for name in LINK_NAMES if getattr(links, name))


def test_the_policy_matches_the_table(world):
    calls, users = world
    for role in ROLES:
        user = users[role]
        for position, status in enumerate(STATUSES):
            call = calls[status]
            where = f"{role} on a {status} call"
            assert may_view(user, call) is MAY_VIEW[role][position], where
            assert may_manage(user, call) is MAY_MANAGE[role][position], where
            assert may_apply(user, call) is MAY_APPLY[role][position], where
            links = staff_links(user, call)
            assert _granted(links) == STAFF_LINKS[role][position], where
            assert links.any is bool(STAFF_LINKS[role][position]), where


def test_the_query_filter_agrees_with_may_view(world):
    calls, users = world
    ids = [call.id for call in calls.values()]
    for role in ROLES:
        visible = set(db.session.scalars(db.select(Call.id).where(Call.id.in_(ids), visible_filter(users[role]))))
        expected = {calls[status].id for position, status in enumerate(STATUSES) if MAY_VIEW[role][position]}
        assert visible == expected, role


def _link_targets(call):
    return {
        "edit": url_for("calls.manage.edit_call", call_id=call.id),
        "applications": url_for("review.index", call=call.id),
        "score_sheet": url_for("scoring.sheet", call_id=call.id),
        "import_scores": url_for("scoring.import_scores", call_id=call.id),
        "selection": url_for("selection.page", call_id=call.id),
        "protocol": url_for("selection.protocol", call_id=call.id),
        "exports": url_for("exports.call_csv", call_id=call.id),
        "beneficiary_module": url_for("exports.beneficiary_module", call=call.id),
    }


def test_the_call_page_follows_the_table(app, world):
    calls, users = world
    clients = {
        role: app.test_client() if role == "anonymous" else client_for(app, user) for role, user in users.items()
    }
    for role in ROLES:
        for position, status in enumerate(STATUSES):
            call = calls[status]
            where = f"{role} on a {status} call"
            response = clients[role].get(f"/calls/{call.id}")
            if not MAY_VIEW[role][position]:
                assert response.status_code == 404, where
                continue
            assert response.status_code == 200, where
            page = response.get_data(as_text=True)
            with app.test_request_context():
                targets = _link_targets(call)
            shown = frozenset(
                name for name, target in targets.items() if f'href="{target}"' in page.replace("&amp;", "&")
            )
            assert shown == STAFF_LINKS[role][position], where
