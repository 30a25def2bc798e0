"""Delivery of the outbox to a real SMTP server (aiosmtpd, started on 127.0.0.1 per test).

Covers deliver_pending() (UTF-8 intact, one connection per batch, reconnect, refusals and
outages recorded and retried with back-off, claims against a second worker), the
`send-mail` command, and the delivery a request starts after its response.
"""

import asyncio
import email
import email.policy
import os
import re
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from irflow.extensions import db
from irflow.models import Notification
from irflow.models.base import utcnow
from irflow.services import delivery, mail
from irflow.services.delivery import (
    CLAIM_SECONDS,
    DEFER_DELAY,
    DEFERRALS_TO_STOP,
    MAX_ATTEMPTS,
    deliver_pending,
    wait_for_background_delivery,
)

from .fixtures.applications import fire
from .fixtures.factories import UserFactory, application_in, notifications_for
from .fixtures.querycount import counting_statements
from .fixtures.web import client_for

SENDER = "IR Department <ir@ksu.example>"
TAJIK_SUBJECT = "Ариза қабул шуд"
TAJIK_BODY = (
    "Ҳурматли Раҳимова Дилноза,\n\nАризаи шумо ба барномаи Erasmus+ қабул шуд. "
    "Ҳарфҳо: ғ, ӣ, қ, ӯ, ҳ, ҷ.\nЗаявка принята.\n"
)


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.envelopes = []
        self.peers = []
        self.refused = set()  # recipients answered with 550
        self.gate = None  # a threading.Event the DATA reply waits for
        self.drop_after_each = False  # close the connection after every message
        self.delay = 0.0
        self.port = None
        self.mail_from_reply = None  # e.g. "451 ...": MAIL FROM refused (sender refused)
        self.data_reply = None  # e.g. "554 ...": the message refused after its DATA
        self.rcpt_reply = None  # e.g. "451 ...": every recipient answered with this
        # By Subject: "451 ..." (that reply to its DATA), "drop" (the connection is closed
        # instead of a reply) or ("slow", seconds, reply) (the reply comes that late).
        self.by_subject = {}

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_from_reply:
            return self.mail_from_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such user here"
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        if self.gate is not None:
            await loop.run_in_executor(None, self.gate.wait, 5)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        special = self.by_subject.get(email.message_from_bytes(envelope.content)["Subject"])
        if special == "drop":
            server.transport.close()
            return "451 never seen"
        if isinstance(special, tuple):
            _slow, seconds, special = special
            await asyncio.sleep(seconds)
        if special:
            return special
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        if self.drop_after_each:
            loop.call_soon(server.transport.close)  # after the 250 below is written
        return "250 Message accepted"

    @property
    def messages(self):
        return [email.message_from_bytes(envelope.content, policy=email.policy.default) for envelope in self.envelopes]

    def subjects(self):
        return [message["Subject"] for message in self.messages]


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(handler, **smtp_parameters):
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=unused_port(),
        server_hostname="smtp.test",
        ready_timeout=5,
        **smtp_parameters,
    )
    controller.start()
    handler.port = controller.port
    return controller


@pytest.fixture
def mailbox():
    handler = Mailbox()
    controller = start_server(handler)
    yield handler
    if handler.gate is not None:
        handler.gate.set()
    controller.stop()


@pytest.fixture
def mail_config(app, mailbox, monkeypatch):
    """The app sends to `mailbox`; after-request delivery off unless a test turns it on."""
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "MAIL_DEFAULT_SENDER": SENDER,
        "MAIL_TIMEOUT": 5,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DELIVER_AFTER_REQUEST": False,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


@pytest.fixture(autouse=True)
def no_thread_left_behind(app):
    yield
    assert wait_for_background_delivery(app, timeout=5), "a delivery thread was still running"
    assert not [thread for thread in threading.enumerate() if thread.name == "irflow-mail"]


def queue(recipient_email, subject, body="A message.\n", **values):
    notification = mail.queue(recipient_email, subject, body)
    for name, value in values.items():
        setattr(notification, name, value)
    db.session.commit()
    return notification


def reload(notification):
    db.session.expire_all()
    return db.session.get(Notification, notification.id)


def close_to(value, expected, seconds=30):
    return abs((value - expected).total_seconds()) <= seconds


# --- deliver_pending ------------------------------------------------------------------------


def test_queued_messages_are_delivered_with_utf8_intact(mail_config, mailbox):
    tajik = queue("dilnoza@example.org", TAJIK_SUBJECT, TAJIK_BODY)
    other = queue("host.office@partner.example", "Nomination: RAHIMOVA DILNOZA")

    assert deliver_pending() == (2, 0, 0, None)

    assert [envelope.rcpt_tos for envelope in mailbox.envelopes] == [
        ["dilnoza@example.org"],
        ["host.office@partner.example"],
    ]
    assert {envelope.mail_from for envelope in mailbox.envelopes} == {"ir@ksu.example"}
    message = mailbox.messages[0]
    assert message["Subject"] == TAJIK_SUBJECT
    # Line breaks of text travel in the canonical CRLF form (RFC 2045) and come out as such.
    assert message.get_content().replace("\r\n", "\n") == TAJIK_BODY
    assert message.get_content_charset() == "utf-8"
    assert message["From"] == SENDER and message["To"] == "dilnoza@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(rf"<irflow\.{tajik.id}\.\d{{20}}@ksu\.example>", message["Message-ID"])
    assert close_to(parsedate_to_datetime(message["Date"]), utcnow())
    # Nothing raw 8-bit on the wire: relays without 8BITMIME cannot damage it.
    assert all(envelope.content.isascii() for envelope in mailbox.envelopes)
    assert len(set(mailbox.peers)) == 1, "one connection for the batch"

    for notification in (reload(tajik), reload(other)):
        assert close_to(notification.sent_at, utcnow())
        assert (notification.error, notification.next_attempt_at, notification.attempts) == (None, None, 1)


def test_running_again_sends_nothing_twice(mail_config, mailbox):
    queue("a@example.org", "First")
    queue("b@example.org", "Second")

    assert deliver_pending() == (2, 0, 0, None)
    assert deliver_pending() == (0, 0, 0, None)
    assert deliver_pending(now=utcnow() + timedelta(days=30)) == (0, 0, 0, None)
    assert mailbox.subjects() == ["First", "Second"]


def test_oldest_first_and_limit(mail_config, mailbox):
    for subject in ("One", "Two", "Three"):
        queue("a@example.org", subject)

    assert deliver_pending(limit=2) == (2, 0, 0, None)
    assert mailbox.subjects() == ["One", "Two"]
    assert deliver_pending() == (1, 0, 0, None)
    assert mailbox.subjects() == ["One", "Two", "Three"]


def test_without_mail_server_messages_stay_in_the_outbox(app, mail_config, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    notification = queue("a@example.org", "Stays")

    assert deliver_pending() == (0, 0, 0, None)

    notification = reload(notification)
    assert (notification.sent_at, notification.attempts, notification.error, notification.next_attempt_at) == (
        None,
        0,
        None,
        None,
    )
    assert mailbox.envelopes == []


def test_a_refused_recipient_is_recorded_and_retried_later(mail_config, mailbox):
    mailbox.refused = {"gone@example.org"}
    good = queue("a@example.org", "Good")
    bad = queue("gone@example.org", "Bad")

    assert deliver_pending() == (1, 1, 0, None)
    bad = reload(bad)
    assert bad.sent_at is None and bad.attempts == 1
    assert "550" in bad.error and "No such user here" in bad.error and "gone@example.org" in bad.error
    assert close_to(bad.next_attempt_at, utcnow() + timedelta(minutes=1), seconds=15)

    # Not due yet: not tried, nothing sent again.
    assert deliver_pending() == (0, 0, 0, None)
    assert mailbox.subjects() == ["Good"]

    mailbox.refused = set()
    assert deliver_pending(now=utcnow() + timedelta(minutes=2)) == (1, 0, 0, None)
    assert mailbox.subjects() == ["Good", "Bad"]
    bad = reload(bad)
    assert bad.sent_at is not None and bad.error is None and bad.next_attempt_at is None and bad.attempts == 2
    assert reload(good).attempts == 1


def assert_untouched(*notifications):
    """Not sent, no attempt spent, due at once."""
    for notification in notifications:
        notification = reload(notification)
        assert (notification.sent_at, notification.attempts, notification.next_attempt_at) == (None, 0, None)


def test_an_unreachable_server_spends_no_attempt_and_nothing_is_lost(app, mail_config, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", unused_port())
    first, second, third = (queue("a@example.org", subject) for subject in ("One", "Two", "Three"))

    sent, failed, deferred, outage = deliver_pending()

    assert (sent, failed, deferred) == (0, 0, 0)
    assert "127.0.0.1" in outage and "refused" in outage.lower()
    assert_untouched(first, second, third)

    # The server is back: everything goes at once, oldest first, with its first attempt.
    monkeypatch.setitem(app.config, "MAIL_PORT", mailbox.port)
    assert deliver_pending() == (3, 0, 0, None)
    assert mailbox.subjects() == ["One", "Two", "Three"]
    assert {reload(notification).attempts for notification in (first, second, third)} == {1}


def test_a_server_that_does_not_answer_spends_no_attempt(app, mail_config, monkeypatch):
    silent = socket.socket()  # accepts connections (the kernel does) but never greets
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", silent.getsockname()[1])
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.2)
        notification = queue("a@example.org", "Waiting")

        sent, failed, deferred, outage = deliver_pending()

        assert (sent, failed, deferred) == (0, 0, 0) and "timed out" in outage.lower()
        assert_untouched(notification)
    finally:
        silent.close()


def assert_deferred(notification, now, reply_code):
    """Not sent, no attempt spent, due again DEFER_DELAY after `now`, the reply kept."""
    notification = reload(notification)
    assert (notification.sent_at, notification.attempts) == (None, 0)
    assert notification.next_attempt_at == now + DEFER_DELAY
    assert reply_code in notification.error


@pytest.mark.parametrize(
    "reply",
    [
        "421 4.3.2 Shutting down for maintenance",
        "451 4.3.0 Local error in processing",
        "452 4.3.1 Insufficient system storage",
    ],
)
def test_a_temporary_refusal_of_the_data_defers_the_message_without_spending_an_attempt(mail_config, mailbox, reply):
    first, second = queue("a@example.org", "One"), queue("b@example.org", "Two")
    mailbox.data_reply = reply
    now = utcnow()

    assert deliver_pending(now=now) == (0, 0, 2, None)

    assert_deferred(first, now, reply[:3])
    assert_deferred(second, now, reply[:3])
    mailbox.data_reply = None
    assert deliver_pending(now=now + DEFER_DELAY - timedelta(seconds=1)) == (0, 0, 0, None)
    assert deliver_pending(now=now + DEFER_DELAY) == (2, 0, 0, None)
    assert mailbox.subjects() == ["One", "Two"]
    assert [reload(notification).attempts for notification in (first, second)] == [1, 1]


def test_a_temporarily_refused_sender_defers_and_three_in_a_row_stop_the_run(mail_config, mailbox):
    messages = [queue(f"{number}@example.org", f"Message {number}") for number in range(4)]
    mailbox.mail_from_reply = "451 4.7.1 Sender temporarily rejected"
    now = utcnow()

    sent, failed, deferred, outage = deliver_pending(now=now)

    assert (sent, failed, deferred) == (0, 0, DEFERRALS_TO_STOP) and "451" in outage
    for notification in messages[:DEFERRALS_TO_STOP]:
        assert_deferred(notification, now, "451")
    assert_untouched(messages[DEFERRALS_TO_STOP])


def test_a_sender_refused_for_good_is_a_setting_to_fix_and_spends_no_attempt(mail_config, mailbox):
    first, second = queue("a@example.org", "One"), queue("b@example.org", "Two")
    mailbox.mail_from_reply = "553 5.7.1 Sender address not owned by user"

    sent, failed, deferred, outage = deliver_pending()

    assert (sent, failed, deferred) == (0, 0, 0) and "553" in outage
    assert_untouched(first, second)


def test_a_message_deferred_every_time_does_not_hold_back_newer_ones_nor_is_given_up(mail_config, mailbox):
    """The oldest message gets 451 to its DATA on every try; cron runs every 5 minutes for
    12 hours while new mail keeps being queued."""
    stuck = queue("stuck@example.org", "Stuck")
    mailbox.by_subject["Stuck"] = "451 4.3.0 Temporary local problem with this message"
    newer = [queue("a@example.org", "Newer 0"), queue("b@example.org", "Newer 1")]
    start = utcnow()

    assert deliver_pending(now=start) == (2, 0, 1, None)
    assert mailbox.subjects() == ["Newer 0", "Newer 1"]
    assert_deferred(stuck, start, "451")

    runs = 12 * 12
    for run in range(1, runs):
        now = start + timedelta(minutes=5 * run)
        if run % 12 == 0:  # every hour someone does something that sends mail
            newer.append(queue(f"n{run}@example.org", f"Newer {run}"))
        sent, failed, deferred, outage = deliver_pending(now=now)
        assert (failed, deferred, outage) == (0, 1, None)
        assert sent == (1 if run % 12 == 0 else 0)

    assert runs > MAX_ATTEMPTS
    assert Counter(mailbox.subjects()) == Counter(notification.subject for notification in newer)
    assert {reload(notification).attempts for notification in newer} == {1}
    assert_deferred(stuck, start + timedelta(minutes=5 * (runs - 1)), "451")

    del mailbox.by_subject["Stuck"]
    assert deliver_pending(now=start + timedelta(days=1)) == (1, 0, 0, None)
    stuck = reload(stuck)
    assert stuck.sent_at is not None and stuck.attempts == 1 and stuck.error is None


def test_deferred_messages_at_the_head_stop_a_run_but_not_the_outbox(mail_config, mailbox):
    stuck = [queue(f"stuck{number}@example.org", f"Stuck {number}") for number in range(DEFERRALS_TO_STOP)]
    for notification in stuck:
        mailbox.by_subject[notification.subject] = "452 4.2.2 Mailbox full"
    now = utcnow()
    assert deliver_pending(now=now)[:3] == (0, 0, DEFERRALS_TO_STOP)
    newer = [queue("a@example.org", "Newer 0"), queue("b@example.org", "Newer 1")]

    # Due the longest first: the newer messages waited since they were queued, the stuck
    # ones only since their deferral.
    sent, failed, deferred, outage = deliver_pending(now=now + DEFER_DELAY)

    assert (sent, failed, deferred) == (2, 0, DEFERRALS_TO_STOP) and "452" in outage
    assert mailbox.subjects() == ["Newer 0", "Newer 1"]
    assert {reload(notification).attempts for notification in stuck} == {0}
    assert {reload(notification).attempts for notification in newer} == {1}


def test_a_timeout_in_one_message_defers_it_and_the_run_goes_on(app, mail_config, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.3)
    slow = queue("a@example.org", "Slow")
    mailbox.by_subject["Slow"] = ("slow", 1.0, "451 4.4.2 Too late")
    after = queue("b@example.org", "After")
    now = utcnow()

    assert deliver_pending(now=now) == (1, 0, 1, None)

    assert_deferred(slow, now, "timed out")
    assert mailbox.subjects() == ["After"] and reload(after).attempts == 1


def test_a_connection_dropped_by_one_message_defers_it_and_the_run_goes_on(mail_config, mailbox):
    dropping = queue("a@example.org", "Dropping")
    mailbox.by_subject["Dropping"] = "drop"
    after = queue("b@example.org", "After")
    now = utcnow()

    assert deliver_pending(now=now) == (1, 0, 1, None)

    assert_deferred(dropping, now, "SMTPServerDisconnected")
    assert mailbox.subjects() == ["After"] and reload(after).attempts == 1
    assert len(set(mailbox.peers)) == 1


def test_a_message_refused_after_its_data_spends_its_attempt(mail_config, mailbox):
    refused = queue("a@example.org", "Too big")
    mailbox.data_reply = "554 5.3.4 Message too big for system"

    assert deliver_pending() == (0, 1, 0, None)

    refused = reload(refused)
    assert refused.attempts == 1 and "554" in refused.error and refused.next_attempt_at > utcnow()


def test_a_server_that_drops_every_session_stops_the_batch_and_spends_no_attempt(app, mail_config, monkeypatch):
    closing = socket.socket()  # accepts and closes at once, as an overloaded server may
    closing.bind(("127.0.0.1", 0))
    closing.listen(5)
    stop = threading.Event()

    def close_each():
        closing.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _address = closing.accept()
            except OSError:
                continue
            connection.close()

    closer = threading.Thread(target=close_each)
    closer.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", closing.getsockname()[1])
        notification = queue("a@example.org", "Waiting")

        sent, failed, deferred, outage = deliver_pending()

        assert (sent, failed, deferred) == (0, 0, 0) and "SMTPServerDisconnected" in outage
        assert_untouched(notification)
    finally:
        stop.set()
        closer.join(5)
        closing.close()


def test_retries_back_off_and_give_up_after_the_last_attempt(app, mail_config, mailbox):
    mailbox.refused = {"gone@example.org"}
    notification = queue("gone@example.org", "Unlucky")
    expected = [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
        timedelta(hours=12),
    ]
    now = utcnow()
    for attempt, delay in enumerate(expected, 1):
        assert deliver_pending(now=now) == (0, 1, 0, None)
        notification = reload(notification)
        assert notification.attempts == attempt
        assert notification.next_attempt_at == now + delay
        assert deliver_pending(now=now + delay - timedelta(seconds=1)) == (0, 0, 0, None)
        now += delay

    notification.attempts = MAX_ATTEMPTS - 1
    db.session.commit()
    assert deliver_pending(now=now) == (0, 1, 0, None)
    notification = reload(notification)
    assert notification.attempts == MAX_ATTEMPTS
    assert notification.next_attempt_at is None and notification.sent_at is None
    assert "550" in notification.error

    mailbox.refused = set()
    assert deliver_pending(now=now + timedelta(days=365)) == (0, 0, 0, None)
    assert mailbox.envelopes == []


def cron_through_four_days(start, every, result, reason):
    """send-mail every `every` minutes through 4 days of trouble, while someone does
    something that sends mail every 4 hours: each run must give `result` (sent, failed,
    deferred) and stop for `reason`. Returns the mail queued meanwhile and when it ended."""
    queued, runs = [], 4 * 24 * 60 // every
    for run in range(runs):
        if run % (4 * 60 // every) == 0:
            queued.append(queue(f"during{run}@example.org", f"During {run}"))
        sent, failed, deferred, outage = deliver_pending(now=start + timedelta(minutes=every * run))
        assert (sent, failed, deferred) == result and reason in outage.lower()
    return queued, start + timedelta(minutes=every * runs)


def test_a_four_day_outage_then_recovery_delivers_everything_exactly_once(app, mail_config, monkeypatch):
    """cron runs send-mail every 5 minutes through 4 days with the server down, while new
    mail keeps being queued; then the server comes back on its port."""
    port = unused_port()
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    start = utcnow()
    before = [queue(f"before{number}@example.org", f"Before {number}") for number in range(3)]
    # Refused once shortly before the outage: waiting for its second attempt.
    refused_once = queue(
        "once@example.org",
        "Refused once",
        attempts=1,
        error="550 No such user",
        next_attempt_at=start + timedelta(minutes=1),
    )
    queued_during, recovered = cron_through_four_days(start, every=5, result=(0, 0, 0), reason="refused")

    messages = [*before, refused_once, *queued_during]
    assert {reload(message).attempts for message in messages if message is not refused_once} == {0}
    assert reload(refused_once).attempts == 1
    assert all(reload(message).next_attempt_at is None for message in messages if message is not refused_once)

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        assert deliver_pending(now=recovered) == (len(messages), 0, 0, None)
        assert deliver_pending(now=recovered + timedelta(minutes=5)) == (0, 0, 0, None)
        assert deliver_pending(now=recovered + timedelta(days=30)) == (0, 0, 0, None)
    finally:
        controller.stop()

    assert Counter(mailbox.subjects()) == Counter(reload(message).subject for message in messages)
    for message in messages:
        message = reload(message)
        assert message.sent_at is not None and message.error is None and message.next_attempt_at is None
        assert message.attempts == (2 if message.id == refused_once.id else 1)


def test_four_days_of_451_to_every_recipient_then_recovery_deliver_everything_once(mail_config, mailbox, monkeypatch):
    """The server is up but answers every RCPT with 451 (its upstream is down) through 4
    days of cron runs while new mail keeps being queued; then it recovers. A deferral spends
    nothing, so how often cron runs changes nothing here but the test's time: a run every
    30 minutes, each stopping at its first deferral. (The closed-port outage above runs every 5.)"""
    monkeypatch.setattr(delivery, "DEFERRALS_TO_STOP", 1)
    mailbox.rcpt_reply = "451 4.3.0 Upstream unavailable, try again later"
    start = utcnow()
    before = [queue(f"before{number}@example.org", f"Before {number}") for number in range(5)]
    refused_once = queue(
        "once@example.org",
        "Refused once",
        attempts=1,
        error="550 No such user",
        next_attempt_at=start + timedelta(minutes=1),
    )
    queued_during, recovered = cron_through_four_days(start, every=30, result=(0, 0, 1), reason="451")

    messages = [*before, refused_once, *queued_during]
    db.session.expire_all()
    waiting = db.session.scalars(db.select(Notification)).all()
    assert len(waiting) == len(messages)
    assert all(message.sent_at is None and message.next_attempt_at is not None for message in waiting)
    assert {message.attempts for message in waiting if message.id != refused_once.id} == {0}
    assert reload(refused_once).attempts == 1
    assert mailbox.envelopes == []

    mailbox.rcpt_reply = None
    results = [deliver_pending(now=recovered + timedelta(minutes=5 * run)) for run in range(3)]
    assert sum(result.sent for result in results) == len(messages)
    assert {(result.failed, result.deferred, result.outage) for result in results} == {(0, 0, None)}
    assert deliver_pending(now=recovered + timedelta(days=30)) == (0, 0, 0, None)

    assert Counter(mailbox.subjects()) == Counter(reload(message).subject for message in messages)
    for message in messages:
        message = reload(message)
        assert message.sent_at is not None and message.error is None and message.next_attempt_at is None
        assert message.attempts == (2 if message.id == refused_once.id else 1)


def test_an_outage_run_is_cheap(app, mail_config, monkeypatch):
    """With the server down a run claims nothing and sends nothing: one look at the outbox
    and one refused connection, whatever the number of messages waiting."""
    monkeypatch.setitem(app.config, "MAIL_PORT", unused_port())
    for number in range(30):
        queue(f"a{number}@example.org", f"Message {number}")
    with counting_statements() as statements:
        sent, failed, deferred, outage = deliver_pending()
    assert (sent, failed, deferred) == (0, 0, 0) and outage
    assert len(statements) <= 2


def test_a_claimed_message_is_left_to_its_worker_until_the_claim_lapses(mail_config, mailbox):
    notification = queue("a@example.org", "Claimed")
    # A worker claims the row and dies before sending.
    assert delivery._claim_next(utcnow()).id == notification.id

    assert deliver_pending() == (0, 0, 0, None)
    assert mailbox.envelopes == []
    assert deliver_pending(now=utcnow() + timedelta(seconds=CLAIM_SECONDS + 1)) == (1, 0, 0, None)
    assert mailbox.subjects() == ["Claimed"]
    assert reload(notification).attempts == 2


def delivery_runs_at_once(app, workers):
    """`workers` delivery runs started together (a barrier), each in its own app context:
    (their results, the exceptions they raised)."""
    results, errors = [], []
    start = threading.Barrier(workers)

    def worker():
        try:
            with app.app_context():
                start.wait(5)
                results.append(deliver_pending())
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results, errors


def test_three_workers_at_once_never_send_a_message_twice(app, mail_config, mailbox):
    subjects = [f"Message {number}" for number in range(20)]
    for subject in subjects:
        queue(f"{subject.replace(' ', '')}@example.org", subject)
    mailbox.delay = 0.005
    results, errors = delivery_runs_at_once(app, 3)

    assert not errors
    assert sum(result.sent for result in results) == 20 and sum(result.failed for result in results) == 0
    assert Counter(mailbox.subjects()) == Counter(subjects)
    assert db.session.scalar(db.select(db.func.count()).where(Notification.sent_at.is_(None))) == 0


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="row locks (FOR UPDATE SKIP LOCKED) are PostgreSQL's",
)
def test_two_workers_at_recovery_deliver_each_message_exactly_once(app, mail_config, mailbox, monkeypatch):
    closed_port = unused_port()
    for repetition in range(20):
        mailbox.envelopes.clear()
        monkeypatch.setitem(app.config, "MAIL_PORT", closed_port)
        subjects = [f"Run {repetition} message {number}" for number in range(8)]
        for subject in subjects:
            queue("a@example.org", subject)
        assert deliver_pending().outage is not None

        monkeypatch.setitem(app.config, "MAIL_PORT", mailbox.port)
        results, errors = delivery_runs_at_once(app, 2)

        assert not errors and len(results) == 2
        assert sum(result.sent for result in results) == len(subjects)
        assert {(result.failed, result.deferred, result.outage) for result in results} == {(0, 0, None)}
        assert Counter(mailbox.subjects()) == Counter(subjects)
        db.session.expire_all()
        assert db.session.scalars(db.select(Notification.attempts)).all() == [1] * len(subjects)
        db.session.execute(db.delete(Notification))
        db.session.commit()


def test_a_dropped_connection_is_reopened(mail_config, mailbox):
    mailbox.drop_after_each = True
    for subject in ("One", "Two", "Three"):
        queue("a@example.org", subject)

    assert deliver_pending() == (3, 0, 0, None)
    assert mailbox.subjects() == ["One", "Two", "Three"]
    assert len(set(mailbox.peers)) == 3


def test_login_with_mail_username(app, mail_config, monkeypatch):
    def authenticate(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"irflow", b"s3cret pass"), handled=False)

    handler = Mailbox()
    controller = start_server(handler, authenticator=authenticate, auth_require_tls=False)
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", handler.port)
        monkeypatch.setitem(app.config, "MAIL_USERNAME", "irflow")
        monkeypatch.setitem(app.config, "MAIL_PASSWORD", "wrong")
        first = queue("a@example.org", "One")
        second = queue("b@example.org", "Two")

        sent, failed, deferred, outage = deliver_pending()  # a failed login stops the run
        assert (sent, failed, deferred) == (0, 0, 0) and "535" in outage
        assert_untouched(first, second)

        monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret pass")
        assert deliver_pending() == (2, 0, 0, None)
        assert handler.subjects() == ["One", "Two"]
    finally:
        controller.stop()


def test_message_headers_cannot_be_broken_by_a_subject():
    notification = Notification(
        id=7,
        recipient_email="a@example.org",
        subject="Line one\r\nBcc: x@evil.example",
        body="Body",
        created_at=utcnow(),
    )

    message = delivery.build_message(notification, "irflow@localhost")

    assert message["Subject"] == "Line one Bcc: x@evil.example"
    assert message["Bcc"] is None
    assert message["Message-ID"].endswith("@localhost>")


# --- the send-mail command ------------------------------------------------------------------


def test_send_mail_command(app, mail_config, mailbox, monkeypatch):
    runner = app.test_cli_runner()
    queue("a@example.org", "By cron")

    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed, 0 deferred." in result.output
    assert mailbox.subjects() == ["By cron"]

    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "0 sent, 0 failed, 0 deferred." in result.output

    monkeypatch.setitem(app.config, "MAIL_PORT", unused_port())
    down = queue("b@example.org", "Server down")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert "0 sent, 0 failed, 0 deferred." in result.output
    assert "stopped early" in result.output and "refused" in result.output.lower()
    assert_untouched(down)

    monkeypatch.setitem(app.config, "MAIL_PORT", mailbox.port)
    mailbox.refused = {"b@example.org"}
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1 and "0 sent, 1 failed, 0 deferred." in result.output
    assert reload(down).attempts == 1

    mailbox.rcpt_reply = "451 4.3.0 Try again later"
    later = queue("c@example.org", "Deferred")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 1 and "0 sent, 0 failed, 1 deferred." in result.output
    assert reload(later).attempts == 0 and reload(later).next_attempt_at is not None

    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "MAIL_SERVER is not set" in result.output and "2 unsent" in result.output
    assert mailbox.subjects() == ["By cron"]


# --- delivery after a request ---------------------------------------------------------------


def submit_as_owner(app, application):
    client = client_for(app, application.applicant)
    started = time.monotonic()
    response = fire(client, application.id, "submit")
    response.close()  # what the WSGI server does once the response is sent
    return response, time.monotonic() - started


def test_mail_queued_by_a_request_goes_out_after_the_response(app, mail_config, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_REQUEST", True)
    application = application_in("draft")
    mailbox.gate = threading.Event()  # the SMTP server holds its reply until the test opens it

    response, elapsed = submit_as_owner(app, application)

    assert response.status_code == 302
    assert elapsed < 2, "the request waited on SMTP"
    assert mailbox.envelopes == []
    mailbox.gate.set()
    assert wait_for_background_delivery(app, timeout=5)
    assert [envelope.rcpt_tos for envelope in mailbox.envelopes] == [[application.applicant.email]]
    assert str(application.id) in mailbox.messages[0]["Subject"]
    [notice] = notifications_for(application)
    assert notice.sent_at is not None and notice.error is None


def test_an_smtp_outage_does_not_fail_the_request_and_is_recorded(app, mail_config, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_REQUEST", True)
    monkeypatch.setitem(app.config, "MAIL_PORT", unused_port())
    application = application_in("draft")

    response, elapsed = submit_as_owner(app, application)

    assert response.status_code == 302 and elapsed < 2
    assert wait_for_background_delivery(app, timeout=5)
    db.session.expire_all()
    assert application.state == "submitted"
    [notice] = notifications_for(application)
    assert (notice.sent_at, notice.attempts, notice.next_attempt_at) == (None, 0, None)


def test_a_request_that_queues_no_mail_starts_no_delivery(app, mail_config, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_REQUEST", True)
    waiting = queue("a@example.org", "Left for cron")
    user = UserFactory()

    response = client_for(app, user).get("/applications/")
    response.close()

    assert response.status_code == 200
    assert wait_for_background_delivery(app, timeout=5)
    assert mailbox.envelopes == [] and reload(waiting).sent_at is None


def test_after_request_delivery_can_be_switched_off(app, mail_config, mailbox):
    assert app.config["MAIL_DELIVER_AFTER_REQUEST"] is False
    application = application_in("draft")

    response, _elapsed = submit_as_owner(app, application)

    assert response.status_code == 302
    assert wait_for_background_delivery(app, timeout=5)
    assert mailbox.envelopes == []
    [notice] = notifications_for(application)
    assert notice.sent_at is None and notice.attempts == 0
    assert deliver_pending() == (1, 0, 0, None)  # cron's send-mail picks it up


def test_an_error_in_background_delivery_is_logged_not_raised(app, mail_config, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_REQUEST", True)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(delivery, "deliver_pending", broken)
    application = application_in("draft")

    response, _elapsed = submit_as_owner(app, application)

    assert response.status_code == 302
    assert wait_for_background_delivery(app, timeout=5)
    assert "Mail delivery after a request failed" in caplog.text and "database went away" in caplog.text
    db.session.expire_all()
    assert application.state == "submitted"
