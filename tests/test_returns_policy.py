"""The report policy (irflow/returns/policy.py) as one matrix: every viewer against every
state, with what each may do written out. Loosening any rule fails here.

Letters, each one a policy answer that is True:
    v  may_view_report            (the report page and the application page's panel)
    e  may_edit_report            (write and save the report)
    s  may_submit_report          (with every checklist item done)
    u  may_upload_evidence        (pointed to the upload of certificate and transcript)
    r  may_return_report          (in review_actions too)
    a  may_approve_report         (in review_actions too)
    n  the row is on the nominations page (nominations_filter)
    m  may_nominate
"""

import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from irflow.extensions import db
from irflow.models import Application, ReturnReport
from irflow.models.states import STATES
from irflow.returns import policy

from .fixtures.factories import ApplicationFactory, CallFactory, FacultyFactory, UserFactory, one_commit

VIEWERS = (
    "owner",
    "coordinator",
    "other_coordinator",
    "head",
    "admin",
    "examiner",
    "stranger",
    "anonymous",
    "inactive_coordinator",
)

# A cancelled application keeps its report page only if a report was written before the
# cancellation: "cancelled" below holds one, "cancelled_without_report" does not. Columns:
# owner, coordinator of the faculty, coordinator of another faculty, head, admin, examiner
# of the call, another user of the faculty, anonymous, inactive coordinator of the faculty.
EXPECTED = {
    # state                      owner   coord   other   head   admin  exam   strgr  anon   inact
    "draft":                    ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "submitted":                ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "changes_requested":        ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "eligible":                 ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "ineligible":               ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "tested":                   ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "absent":                   ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "selected":                 ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "waitlisted":               ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "not_selected":             ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "confirmed":                ("",     "nm",   "",     "n",   "n",   "",    "",    "",    ""),
    "declined":                 ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "nominated":                ("",     "n",    "",     "n",   "n",   "",    "",    "",    ""),
    "host_accepted":            ("",     "n",    "",     "n",   "n",   "",    "",    "",    ""),
    "host_rejected":            ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "abroad":                   ("vu",   "vn",   "",     "vn",  "vn",  "",    "",    "",    ""),
    "returned":                 ("vesu", "vn",   "",     "vn",  "vn",  "",    "",    "",    ""),
    "report_submitted":         ("v",    "vran", "",     "vn",  "vn",  "",    "",    "",    ""),
    "completed":                ("v",    "v",    "",     "v",   "v",   "",    "",    "",    ""),
    "withdrawn":                ("",     "",     "",     "",    "",    "",    "",    "",    ""),
    "cancelled":                ("v",    "v",    "",     "v",   "v",   "",    "",    "",    ""),
    "cancelled_without_report": ("",     "",     "",     "",    "",    "",    "",    "",    ""),
}  # fmt: skip

MAY_SEE_NOMINATIONS = {
    "owner": False,
    "coordinator": True,
    "other_coordinator": True,
    "head": True,
    "admin": True,
    "examiner": False,
    "stranger": False,
    "anonymous": False,
    "inactive_coordinator": False,
}

LETTERS = "vesuranm"


def _world():
    """One application per state (and a cancelled one without a report) of one faculty's
    participants, one call, and the viewers around them."""
    with one_commit():
        faculty, other_faculty = FacultyFactory(), FacultyFactory()
        examiner = UserFactory(roles=["examiner"], faculty=faculty)
        call = CallFactory()
        call.examiners = [examiner]
        applications = {}
        for row in EXPECTED:
            state = "cancelled" if row == "cancelled_without_report" else row
            application = ApplicationFactory(state=state, call=call, applicant=UserFactory(faculty=faculty))
            if row in ("returned", "report_submitted", "completed", "cancelled"):
                db.session.add(ReturnReport(application=application, activities="Courses.", results="Passed."))
            applications[row] = application
        inactive = UserFactory(coordinates=[faculty])
        inactive.active = False
        viewers = {
            "coordinator": UserFactory(coordinates=[faculty]),
            "other_coordinator": UserFactory(coordinates=[other_faculty]),
            "head": UserFactory(roles=["head"]),
            "admin": UserFactory(roles=["admin"]),
            "examiner": examiner,
            "stranger": UserFactory(faculty=faculty),
            "anonymous": AnonymousUserMixin(),
            "inactive_coordinator": inactive,
        }
    return applications, viewers


def _answers(viewer, application, on_nominations_page):
    answers = {
        "v": policy.may_view_report(viewer, application),
        "e": policy.may_edit_report(viewer, application),
        "s": policy.may_submit_report(viewer, application, complete=True),
        "u": policy.may_upload_evidence(viewer, application),
        "r": policy.may_return_report(viewer, application),
        "a": policy.may_approve_report(viewer, application),
        "n": on_nominations_page,
        "m": policy.may_nominate(viewer, application),
    }
    # The decision box of the report page offers exactly what r and a allow.
    assert [transition.trigger for transition in policy.review_actions(viewer, application)] == [
        trigger for trigger, letter in (("return_report", "r"), ("approve_report", "a")) if answers[letter]
    ]
    return "".join(letter for letter in LETTERS if answers[letter])


def _normalised(letters):
    return "".join(letter for letter in LETTERS if letter in letters)


def test_the_table_covers_every_state():
    assert set(EXPECTED) - {"cancelled_without_report"} == set(STATES)
    assert all(len(row) == len(VIEWERS) for row in EXPECTED.values())


def test_who_may_do_what_with_a_return_report_and_on_the_nominations_page(app):
    applications, viewers = _world()
    actual, expected = {}, {}
    for column, viewer_name in enumerate(VIEWERS):
        listed = {}
        for row, application in applications.items():
            viewer = application.applicant if viewer_name == "owner" else viewers[viewer_name]
            if viewer.get_id() not in listed:
                listed[viewer.get_id()] = set(
                    db.session.scalars(sa.select(Application.id).where(policy.nominations_filter(viewer)))
                )
            on_page = application.id in listed[viewer.get_id()]
            actual[(row, viewer_name)] = _answers(viewer, application, on_page)
            expected[(row, viewer_name)] = _normalised(EXPECTED[row][column])
    wrong = {key: (actual[key], expected[key]) for key in expected if actual[key] != expected[key]}
    assert not wrong, "(state, viewer): (actual, expected)\n" + "\n".join(f"{k}: {v}" for k, v in wrong.items())


def test_who_sees_the_nominations_page(app):
    applications, viewers = _world()
    viewers["owner"] = applications["confirmed"].applicant
    assert {name: policy.may_see_nominations(viewers[name]) for name in VIEWERS} == MAY_SEE_NOMINATIONS


def test_an_incomplete_report_cannot_be_submitted(app):
    applications, _viewers = _world()
    returned = applications["returned"]
    assert policy.may_submit_report(returned.applicant, returned, complete=True)
    assert not policy.may_submit_report(returned.applicant, returned, complete=False)


def test_a_coordinator_reviews_no_report_of_their_own(app):
    """A coordinator of their own faculty who went abroad writes their report as its owner;
    another coordinator reviews it."""
    with one_commit():
        faculty = FacultyFactory()
        owner = UserFactory(faculty=faculty, coordinates=[faculty])
        returned = ApplicationFactory(state="returned", applicant=owner)
        submitted = ApplicationFactory(state="report_submitted", applicant=owner, call=CallFactory())
        confirmed = ApplicationFactory(state="confirmed", applicant=owner, call=CallFactory())
    assert policy.may_edit_report(owner, returned) and policy.may_submit_report(owner, returned, complete=True)
    assert policy.may_view_report(owner, submitted)
    assert not policy.may_return_report(owner, submitted) and not policy.may_approve_report(owner, submitted)
    assert policy.review_actions(owner, submitted) == []
    assert not policy.may_nominate(owner, confirmed)
