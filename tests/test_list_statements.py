"""Every page that lists rows runs as many SQL statements for 500 rows as for 5.

Each case builds 5 rows of what its page lists, requests the page as a user of the right
role and counts the statements of that one request (after a warm-up request: first-request
work is not the page's cost), then builds 500 more and does the same. Rows are spread over
applicants, faculties, calls, hosts and senders of their own, so that a relationship loaded
row by row shows as more statements. Every row carries a label ("ROW 00042"): the page must
show at least as many rows as were built (or a full page), or the comparison proves nothing.

Two lists are shorter than 500 by nature: a call has at most MAX_PLACE_ROWS (200) hosts, the
call form's limit, and the head's texts of the notices are one per notice and language.
SQLAlchemy's selectin loads ask for at most 500 parents per statement: a list of more than
500 objects (the open calls' places, the users of a long history) takes one statement more
per 500 rows, never one per row; such a load split in chunks counts as one (chunks_merged).

Exports are streamed and left out; the single pages that list a call's hosts, an
application's history or a partner's agreements are in, as lists of rows of their own.
"""

import difflib
import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from irflow.calls.forms import MAX_PLACE_ROWS
from irflow.exports.beneficiary_module import MOBILITY_STATES
from irflow.extensions import db
from irflow.models import (
    Agreement,
    CallPlace,
    GrantAgreement,
    GrantPayment,
    GroupMessage,
    NoticeText,
    Notification,
    PredepartureItemChange,
    ReturnReport,
    Score,
    SecurityEvent,
    TransitionLog,
    UserSession,
)
from irflow.models.base import LOCALES, utcnow
from irflow.models.states import STATES
from irflow.models.user_session import hash_session_token
from irflow.review.queries import REVIEW_STATES
from irflow.workflow import TRANSITIONS
from irflow.workflow.states import HOLDING_STATES

from .fixtures.factories import (
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    PartnerFactory,
    ProgramFactory,
    UserFactory,
    application_in,
    document_for,
    one_commit,
)
from .fixtures.querycount import counting_statements
from .fixtures.web import client_for, text_of

SMALL, LARGE = 5, 500
ROW = re.compile(r"ROW \d{5}")
_labels = itertools.count(1)


def label():
    """A name no other row has, that the page shows where it shows the row."""
    return f"ROW {next(_labels):05d}"


def spread(count):
    """Over how many calls, faculties or hosts `count` rows spread: one for five rows, so
    that anything loaded per call or faculty grows with the rows too."""
    return max(1, count // 5)


def days(number):
    return utcnow() + timedelta(days=number)


@dataclass
class Listing:
    """A page to request: who asks, where, and how many rows it must show at least."""

    viewer: object
    path: str
    least: int
    marker: re.Pattern = ROW


# --- builders ---------------------------------------------------------------------------------
# Rows are built, not saved (Factory.build), and added to the session: one_commit() inserts
# them all at its end, a few statements per table instead of a flush per row.


def person(faculty=None, **fields):
    """A user with a label for a name, in a faculty of their own unless one is given."""
    if faculty is not None:
        fields["faculty"] = faculty
    return UserFactory.build(full_name_latin=label(), **fields)


def new_call(hosts=1, places=1, **fields):
    """A call with `hosts` partners of its own, offering `places` places each."""
    call = CallFactory.build(places=[], **fields)
    call.places = [CallPlace(partner=PartnerFactory.build(), places=places, months=5) for _ in range(hosts)]
    return call


def participant(call, state, applicant, place, **fields):
    """An application in `state` holding `place` where the state holds one, with the dates
    its state has (no documents or scores: the lists do not show them)."""
    today = date.today()
    if state in HOLDING_STATES:
        fields.setdefault("allocated_place", place)
        fields.setdefault("offer_deadline", days(5))
    if state in ("abroad", "returned", "report_submitted", "completed"):
        fields.setdefault("actual_departure", today - timedelta(days=200))
    if state in ("returned", "report_submitted", "completed"):
        fields.setdefault("actual_return", today - timedelta(days=40))
    if state in ("report_submitted", "completed"):
        fields.setdefault("report", ReturnReport(activities="Courses.", results="30 ECTS.", credits_recognised=30))
    if state == "changes_requested":
        fields.setdefault("changes_due_at", days(4))
    return ApplicationFactory.build(call=call, applicant=applicant, state=state, hosts=[place], **fields)


def scored_application(call, hosts, language, examiner, state="tested", **fields):
    """An application with both test criteria scored (`language` and 80) and its total."""
    application = ApplicationFactory.build(call=call, applicant=person(), state=state, hosts=hosts, **fields)
    language_test, interview = call.test_criteria
    application.scores = [
        Score(criterion=language_test, value=Decimal(language), examiner=examiner),
        Score(criterion=interview, value=Decimal(80), examiner=examiner),
    ]
    # CallFactory's weights: language 2, interview 1, the grade (of 5, as 0–100) 1.
    application.total_score = (2 * Decimal(language) + 80 + application.average_grade * 20) / 4
    return application


def review_queue(role, query="", states=REVIEW_STATES):
    """Applications in every state of the queue (or those given), each of its own applicant."""

    def build(count):
        with one_commit():
            faculties = [FacultyFactory.build() for _ in range(spread(count))]
            calls = [new_call(places=count) for _ in range(spread(count))]
            for number in range(count):
                call = calls[number % len(calls)]
                applicant = person(faculties[number % len(faculties)])
                db.session.add(participant(call, states[number % len(states)], applicant, call.places[0]))
            viewer = UserFactory.build(roles=["head"]) if role == "head" else UserFactory.build(coordinates=faculties)
            db.session.add(viewer)
        return Listing(viewer, f"/review/{query}", min(count, 50))

    return build


def selection_proposal(count):
    with one_commit():
        call = new_call(hosts=3, minimum_total_score=Decimal(50))
        examiner = UserFactory.build(roles=["examiner"])
        db.session.add_all(
            scored_application(call, list(call.places[number % 3 :][:2]), 40 + number % 60, examiner)
            for number in range(count)
        )
        head = UserFactory.build(roles=["head"])
        db.session.add(head)
    return Listing(head, f"/calls/{call.id}/selection", count)


RESULTS = (("selected", "select"), ("waitlisted", "waitlist"), ("not_selected", "not_select"))


def confirmed_selection(suffix):
    """A call whose selection was confirmed: a third selected, a third waiting, a third not."""

    def build(count):
        with one_commit():
            head = UserFactory.build(roles=["head"])
            examiner = UserFactory.build(roles=["examiner"])
            call = new_call(
                hosts=2, places=count, opens_at=days(-40), closes_at=days(-10), selection_confirmed_at=days(-1)
            )
            for number in range(count):
                state, trigger = RESULTS[number % 3]
                place = call.places[number % 2]
                held = {"allocated_place": place, "offer_deadline": days(5)} if state == "selected" else {}
                application = scored_application(
                    call, [place], 100 - number % 60, examiner, state=state, rank=number + 1, **held
                )
                application.log = [TransitionLog(trigger=trigger, from_state="tested", to_state=state, actor=head)]
                db.session.add(application)
            db.session.add(head)
        return Listing(head, f"/calls/{call.id}/selection{suffix}", count)

    return build


def score_sheet(count):
    """Eligible applicants of the examiner's call, every other one with a score already."""
    with one_commit():
        examiner = UserFactory.build(roles=["examiner"])
        call = new_call()
        call.examiners = [examiner]
        for number in range(count):
            application = ApplicationFactory.build(call=call, applicant=person(), state="eligible", hosts=[])
            if number % 2:
                application.scores = [Score(criterion=call.test_criteria[0], value=Decimal(50), examiner=examiner)]
            db.session.add(application)
    return Listing(examiner, f"/calls/{call.id}/scores", min(count, 100))


def calls_to_score(count):
    with one_commit():
        examiner = UserFactory.build(roles=["examiner"])
        applicant = UserFactory.build()
        for _ in range(count):
            call = new_call(title=label())
            call.examiners = [examiner]
            db.session.add(ApplicationFactory.build(call=call, applicant=applicant, state="eligible"))
    return Listing(examiner, "/scores/", count)


def dashboard(path):
    """Participants in many calls and hosts, late reports, agreements about to end."""

    def build(count):
        today = date.today()
        overdue_page = path.endswith("overdue")
        with one_commit():
            calls = [new_call(places=count, title=label()) for _ in range(spread(count))]
            for call in calls:
                call.places[0].partner.agreements = [
                    Agreement(title="IIA", valid_until=today + timedelta(days=10), program=call.program)
                ]
            for number in range(count):
                call = calls[number % len(calls)]
                state = "returned" if overdue_page else STATES[number % len(STATES)]
                late = {"actual_return": today - timedelta(days=40 + number % 5)} if state == "returned" else {}
                db.session.add(participant(call, state, person(), call.places[0], **late))
            head = UserFactory.build(roles=["head"])
            db.session.add(head)
        return Listing(head, path, min(count, 100) if overdue_page else spread(count))

    return build


def my_applications(count):
    """An applicant with an application to each of `count` calls, in every state in turn."""
    with one_commit():
        applicant = UserFactory.build()
        for number in range(count):
            call = new_call(title=label())
            db.session.add(participant(call, STATES[number % len(STATES)], applicant, call.places[0]))
    return Listing(applicant, "/applications/", count)


def my_messages(count):
    with one_commit():
        applicant = UserFactory.build()
        applications = [
            ApplicationFactory.build(call=new_call(), applicant=applicant, state="submitted") for _ in range(3)
        ]
        db.session.add_all(
            Notification(
                recipient=applicant,
                recipient_email=applicant.email,
                application=applications[number % 3],
                subject=label(),
                body="Your application was received.",
                sent_at=utcnow() if number % 2 else None,
            )
            for number in range(count)
        )
    return Listing(applicant, "/applications/messages", min(count, 50))


CALL_TIMES = {
    "open": {},
    "upcoming": {"opens_at": days(3), "closes_at": days(30)},
    "closed": {"opens_at": days(-60), "closes_at": days(-3)},
    "unpublished": {"published": False},
}


def department(path, viewer_roles=(), statuses=("open",), least=lambda count: count):
    """`count` rows of the department's work: each one program, call, host and partner
    agreement of its own, all with the same label, and an application to the call."""

    def build(count):
        with one_commit():
            applicant = UserFactory.build()
            for number in range(count):
                name = label()
                program = ProgramFactory.build(name=f"Program {name}")
                call = new_call(program=program, title=name, **CALL_TIMES[statuses[number % len(statuses)]])
                partner = call.places[0].partner
                partner.name = f"Host {name}"
                partner.agreements = [
                    Agreement(title=f"IIA {name}", valid_until=date.today() + timedelta(days=20), program=program)
                ]
                db.session.add(ApplicationFactory.build(call=call, applicant=applicant, state="submitted"))
            viewer = UserFactory.build(roles=list(viewer_roles))
            db.session.add(viewer)
        return Listing(viewer, path, least(count))

    return build


def admin_users(count):
    roles = (["examiner"], ["head"], [], ["admin"])
    with one_commit():
        db.session.add_all(
            person(roles=roles[number % len(roles)], coordinates=[FacultyFactory.build()] if number % 5 == 0 else None)
            for number in range(count)
        )
        admin = UserFactory.build(roles=["admin"])
        db.session.add(admin)
    return Listing(admin, "/admin/users", min(count, 50))


EVENT_KINDS = ("login", "roles_changed", "export", "password_changed")


def admin_events(count):
    with one_commit():
        db.session.add_all(
            SecurityEvent(
                kind=EVENT_KINDS[number % len(EVENT_KINDS)],
                actor=person(),
                user=UserFactory.build() if number % 2 else None,
                address="10.0.0.1",
                details={"rows": number},
            )
            for number in range(count)
        )
        admin = UserFactory.build(roles=["admin"])
        db.session.add(admin)
    return Listing(admin, "/admin/events", min(count, 50))


def group_messages(count):
    with one_commit():
        calls = [new_call() for _ in range(spread(count))]
        db.session.add_all(
            GroupMessage(
                key=uuid.uuid4().hex,
                sender=UserFactory.build(coordinates=[FacultyFactory.build()]),
                recipient_group="selected" if number % 2 else "abroad",
                call=calls[number % len(calls)] if number % 2 else None,
                subject=label(),
                body="Dear {name}, we meet on Friday.",
                recipient_count=number + 1,
            )
            for number in range(count)
        )
        head = UserFactory.build(roles=["head"])
        db.session.add(head)
    return Listing(head, "/messages/", min(count, 50))


def notice_texts(count):
    """The head's own texts of the first `count` notices and languages (there are only so many)."""
    pairs = [(transition.trigger, language) for transition in TRANSITIONS for language in LOCALES][:count]
    with one_commit():
        written = set(db.session.execute(db.select(NoticeText.kind, NoticeText.language)).tuples())
        db.session.add_all(
            NoticeText(kind=kind, language=language, subject="Subject", body="Body", updated_by=UserFactory.build())
            for kind, language in pairs
            if (kind, language) not in written
        )
        head = UserFactory.build(roles=["head"])
        db.session.add(head)
    return Listing(head, "/messages/notices", len(pairs), re.compile(r"Own text<span[^>]*> — [^<]+</span>"))


def nominations(count):
    """Participants of the coordinator's faculties, from a confirmed place to the report."""
    sections = ("confirmed", "nominated", "host_accepted", "abroad", "returned", "report_submitted")
    with one_commit():
        faculties = [FacultyFactory.build() for _ in range(spread(count))]
        calls = [new_call(places=count) for _ in range(spread(count))]
        for number in range(count):
            call = calls[number % len(calls)]
            state = sections[number % len(sections)]
            db.session.add(participant(call, state, person(faculties[number % len(faculties)]), call.places[0]))
        coordinator = UserFactory.build(coordinates=faculties)
        db.session.add(coordinator)
    return Listing(coordinator, "/nominations", count)


def predeparture_checklists(count):
    """Participants of the coordinator's faculties preparing their departure, with what they miss."""
    sections = ("confirmed", "nominated", "host_accepted", "abroad")
    with one_commit():
        faculties = [FacultyFactory.build() for _ in range(spread(count))]
        calls = [new_call(places=count) for _ in range(spread(count))]
        for number in range(count):
            call = calls[number % len(calls)]
            state = sections[number % len(sections)]
            db.session.add(participant(call, state, person(faculties[number % len(faculties)]), call.places[0]))
        coordinator = UserFactory.build(coordinates=faculties)
        db.session.add(coordinator)
    return Listing(coordinator, "/checklists", count)


def grant_payments(viewer_kind):
    """Instalments of participants' grants, due, overdue, waiting and paid, spread over calls
    and hosts; the head's list, or a coordinator's of their faculties."""

    def build(count):
        today = date.today()
        with one_commit():
            faculties = [FacultyFactory.build() for _ in range(spread(count))]
            calls = [new_call(places=count) for _ in range(spread(count))]
            for number in range(count):
                call = calls[number % len(calls)]
                application = participant(call, "abroad", person(faculties[number % len(faculties)]), call.places[0])
                db.session.add(application)
                db.session.add(
                    GrantAgreement(application=application, number=f"GA {label()}", issued_at=days(-30), amount=1000)
                )
                paid = number % 3 == 0
                db.session.add(
                    GrantPayment(
                        application=application,
                        instalment=1,
                        share_percent=70,
                        amount=Decimal("700.00"),
                        due_on=today + timedelta(days=number % 7 - 3),
                        paid_on=today - timedelta(days=1) if paid else None,
                        reference=f"TR {number}" if paid else None,
                    )
                )
                db.session.add(GrantPayment(application=application, instalment=2, share_percent=30))
            viewer = (
                UserFactory.build(roles=["head"]) if viewer_kind == "head" else UserFactory.build(coordinates=faculties)
            )
            db.session.add(viewer)
        return Listing(viewer, "/payments?state=all", min(count, 50))

    return build


ADDRESS = re.compile(r"10\.9\.\d+\.\d+")


def live_sessions(owner_page):
    """A user logged in from many browsers: their own sessions page, or the admin's page of them."""

    def build(count):
        with one_commit():
            user = UserFactory.build()
            db.session.add_all(
                UserSession(
                    token_hash=hash_session_token(uuid.uuid4().hex),
                    user=user,
                    user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                    address=f"10.9.{number // 250}.{number % 250}",
                )
                for number in range(count)
            )
            admin = UserFactory.build(roles=["admin"])
            db.session.add(admin)
        if owner_page:
            return Listing(user, "/account/sessions", count, ADDRESS)
        return Listing(admin, f"/admin/users/{user.id}", count, ADDRESS)

    return build


def application_history(viewer_kind):
    """One application with a long history: state changes by many people, messages, documents,
    checklist changes."""

    def build(count):
        with one_commit():
            application = application_in("submitted")
            for number in range(count):
                application.log.append(
                    TransitionLog(
                        trigger="request_changes" if number % 2 else "resubmit",
                        from_state="submitted" if number % 2 else "changes_requested",
                        to_state="changes_requested" if number % 2 else "submitted",
                        actor=UserFactory.build(coordinates=[application.faculty]),
                        comment=label(),
                    )
                )
                db.session.add(
                    Notification(
                        recipient=application.applicant,
                        recipient_email=application.applicant.email,
                        application=application,
                        subject=label(),
                        body="Changes requested.",
                    )
                )
                db.session.add(
                    PredepartureItemChange(
                        application=application,
                        item="visa",
                        state="not_needed" if number % 2 else "todo",
                        reason=label(),
                        actor=UserFactory.build(coordinates=[application.faculty]),
                    )
                )
                document = document_for(application, "other", uploader=UserFactory.build(roles=["head"]))
                document.original_name = label()
                db.session.add(document)
            viewer = application.applicant if viewer_kind == "owner" else UserFactory(roles=["head"])
        return Listing(viewer, f"/applications/{application.id}", 3 * count)

    return build


def call_with_hosts(path):
    """A call with many hosts (as many as the call form takes, MAX_PLACE_ROWS: not 500) and
    many examiners."""

    def build(count):
        with one_commit():
            call = new_call(hosts=min(count, MAX_PLACE_ROWS))
            for place in call.places:
                place.partner.name = f"Host {label()}"
            call.examiners = [person(roles=["examiner"]) for _ in range(count)]
            viewer = UserFactory.build(roles=["head"])
            db.session.add_all([call, viewer])
        return Listing(viewer, path.format(call=call), min(count, MAX_PLACE_ROWS))

    return build


def call_form_choices(count):
    """The hosts and examiners a new call can be given."""
    with one_commit():
        db.session.add_all(PartnerFactory.build(name=f"Host {label()}") for _ in range(count))
        db.session.add_all(person(roles=["examiner"]) for _ in range(count))
        head = UserFactory.build(roles=["head"])
        db.session.add(head)
    return Listing(head, "/manage/calls/new", 2 * count)


def beneficiary_module_gaps(count):
    """Mobilities of one academic year over several calls, each listed with its gaps (no
    participant data, no grant rules, hosts without OID or coordinates)."""
    with one_commit():
        calls = [new_call(hosts=2, places=count, academic_year="2031/2032") for _ in range(spread(count))]
        for number in range(count):
            call = calls[number % len(calls)]
            state = MOBILITY_STATES[number % len(MOBILITY_STATES)]
            db.session.add(participant(call, state, person(), call.places[number % 2]))
        head = UserFactory.build(roles=["head"])
        db.session.add(head)
    return Listing(head, "/manage/exports/beneficiary-module?year=2031-2032", count)


def partner_agreements(count):
    with one_commit():
        partner = PartnerFactory.build(
            agreements=[
                Agreement(title=label(), valid_until=date.today() + timedelta(days=400), program=ProgramFactory.build())
                for _ in range(count)
            ]
        )
        head = UserFactory.build(roles=["head"])
        db.session.add_all([partner, head])
    return Listing(head, f"/manage/partners/{partner.id}", count)


# Each builds `count` rows of its page and says which page to request, as whom.
PAGES = [
    pytest.param(review_queue("head"), id="review queue (head)"),
    pytest.param(review_queue("coordinator"), id="review queue (coordinator)"),
    pytest.param(review_queue("head", "?q=ROW"), id="review queue searched"),
    pytest.param(review_queue("head", "?state=eligible", states=["eligible"]), id="review queue of one state"),
    pytest.param(selection_proposal, id="selection proposal"),
    pytest.param(confirmed_selection(""), id="confirmed selection"),
    pytest.param(confirmed_selection("/protocol"), id="selection protocol"),
    pytest.param(score_sheet, id="score sheet"),
    pytest.param(calls_to_score, id="calls to score"),
    pytest.param(dashboard("/dashboard/"), id="dashboard"),
    pytest.param(dashboard("/dashboard/overdue"), id="overdue reports"),
    pytest.param(my_applications, id="my applications"),
    pytest.param(my_messages, id="my messages"),
    pytest.param(department("/"), id="open calls"),
    pytest.param(department("/calls/", statuses=("open", "upcoming", "closed")), id="all calls"),
    pytest.param(department("/programs"), id="programs"),
    pytest.param(department("/partners", least=lambda count: min(count, 50)), id="partners"),
    pytest.param(department("/manage/", ["head"], statuses=("open", "upcoming", "unpublished")), id="manage overview"),
    pytest.param(department("/manage/calls", ["head"], least=lambda count: min(count, 50)), id="manage calls"),
    pytest.param(department("/manage/partners", ["head"], least=lambda count: min(count, 50)), id="manage partners"),
    pytest.param(department("/manage/programs", ["head"]), id="manage programs"),
    pytest.param(admin_users, id="admin users"),
    pytest.param(admin_events, id="admin events"),
    pytest.param(group_messages, id="group messages"),
    pytest.param(notice_texts, id="notice texts"),
    pytest.param(nominations, id="nominations"),
    pytest.param(predeparture_checklists, id="pre-departure checklists"),
    pytest.param(grant_payments("head"), id="payments (head)"),
    pytest.param(grant_payments("coordinator"), id="payments (coordinator)"),
    pytest.param(live_sessions(owner_page=True), id="my sessions"),
    pytest.param(live_sessions(owner_page=False), id="admin user page"),
    pytest.param(application_history("owner"), id="application page (owner)"),
    pytest.param(application_history("head"), id="application page (head)"),
    pytest.param(call_with_hosts("/calls/{call.id}"), id="call page"),
    pytest.param(call_with_hosts("/manage/calls/{call.id}/edit"), id="call form"),
    pytest.param(call_form_choices, id="new call form"),
    pytest.param(partner_agreements, id="partner page"),
    pytest.param(beneficiary_module_gaps, id="beneficiary module export"),
]


# --- the test ------------------------------------------------------------------------------------


# SQLAlchemy's selectin loading asks for at most 500 parents in one statement
# (SelectInLoader._chunksize): one more statement per 500 rows, never one per row.
SELECTIN_CHUNK = 500
PLACEHOLDER = r"(?:\?|%s|%\(\w+\)s)(?:::\w+)?"  # SQLite's ?, psycopg's %(name)s::INTEGER
IN_LIST = re.compile(rf"IN \(({PLACEHOLDER}(?:, {PLACEHOLDER})*)\)")


def chunks_merged(statements):
    """The statements with each selectin load that was split in chunks of 500 counted once:
    a statement right after a full chunk of the same statement is its next chunk."""
    merged, full_chunk = [], None
    for statement in statements:
        shape = IN_LIST.sub("IN (...)", statement)
        if shape != full_chunk:
            merged.append(statement)
        lengths = [match.group(1).count(",") + 1 for match in IN_LIST.finditer(statement)]
        full_chunk = shape if SELECTIN_CHUNK in lengths else None
    return merged


def test_only_a_load_split_in_chunks_of_500_counts_once():
    chunk = "SELECT * FROM user_roles WHERE user_id IN ({})".format(", ".join(["?"] * SELECTIN_CHUNK))
    rest = "SELECT * FROM user_roles WHERE user_id IN (?, ?)"
    row_by_row = "SELECT * FROM user_roles WHERE user_id IN (?)"
    assert chunks_merged([chunk, rest, "SELECT 1"]) == [chunk, "SELECT 1"]
    on_postgresql = [statement.replace("?", "%(primary_keys_1)s::INTEGER") for statement in (chunk, rest)]
    assert chunks_merged(on_postgresql) == on_postgresql[:1]
    assert chunks_merged([rest, row_by_row, row_by_row]) == [rest, row_by_row, row_by_row]


def statements_of(app, listing):
    client = client_for(app, listing.viewer)
    assert client.get(listing.path).status_code == 200  # warm up
    with counting_statements() as statements:
        response = client.get(listing.path)
    assert response.status_code == 200, listing.path
    shown = set(listing.marker.findall(text_of(response)))
    assert len(shown) >= listing.least, f"{listing.path} shows {len(shown)} rows, not {listing.least}"
    return statements


@pytest.mark.parametrize("build", PAGES)
def test_a_list_page_runs_as_many_statements_for_many_rows_as_for_few(app, record_property, build):
    small = statements_of(app, build(SMALL))
    large = statements_of(app, build(LARGE))
    record_property("statements", f"{len(small)} {len(large)}")
    small, large = chunks_merged(small), chunks_merged(large)
    record_property("statements with chunks merged", f"{len(small)} {len(large)}")
    assert len(small) == len(large), "\n".join(difflib.unified_diff(small, large, "5 rows", "500 rows", lineterm=""))
