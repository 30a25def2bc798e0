"""Delivery of the outbox (`notifications`) by SMTP.

Nothing here runs unless MAIL_SERVER is set; without it messages simply stay in the outbox,
where the app shows them. Two ways in, both calling `deliver_pending()`:

- `flask --app wsgi send-mail`, for cron: the safety net, and the only thing that retries a
  failed message when no new mail is being queued;
- right after a request that committed new notifications: the response is sent first, then
  a daemon thread delivers (MAIL_DELIVER_AFTER_REQUEST, on by default). The request never
  waits on SMTP and an SMTP outage can never turn it into an error.

A run first looks whether anything is due and, if so, opens the SMTP session before it
claims a message (and reopens it before the next claim when a failure closed it): with
the server down a run costs one query and one failed connection, and touches no message.
Each message is then claimed, sent and marked in commits of its own, so a failure or a
crash loses nothing:

1. claim: in one short transaction the row due the longest is picked — a new message is
   due since it was queued, a retried one since its `next_attempt_at`, so a message that is
   deferred again and again goes behind the ones that waited longer (PostgreSQL:
   FOR UPDATE SKIP LOCKED, so a second worker takes the next row instead of waiting) and a
   conditional UPDATE — due, unsent, still below the attempt limit — counts the attempt and
   moves `next_attempt_at` CLAIM_SECONDS ahead. SQLite has no row locks; there the
   conditional UPDATE alone is the claim (it matches no row if another worker was first).
   A claimed row is no longer due, so no other worker sends it;
2. send over SMTP, outside any database transaction;
3. record, by what became of that message (`classify()`):
   - sent: `sent_at` is set, `error` and `next_attempt_at` cleared, committed at once;
   - refused for good (a 5xx reply to its recipient or its data, a message that cannot be
     built or needs what the server lacks): the error text is kept, the attempt stays
     spent and `next_attempt_at` backs off (RETRY_DELAYS); the run goes on;
   - deferred (any 4xx reply to its sender, recipient or data, a timeout or a dropped
     connection while it was being sent — after one more try on a new connection): the
     attempt is given back, the error text is kept and `next_attempt_at` is DEFER_DELAY
     later; the run goes on with the next message (reconnecting if needed), and stops
     after DEFERRALS_TO_STOP deferrals in a row: by then the server is deferring
     everything;
   - no session (connect, EHLO, STARTTLS or login failed, also when reconnecting; or a
     5xx to the sender, which is the same for every message: a setting to fix): the
     claim is released — attempt given back, `next_attempt_at` as it was — and the run
     stops.
   Neither a deferral nor a missing session ever counts toward giving up, so an outage of
   any length, or of any kind, gives nothing up; and no single message can hold back the
   ones behind it.

A worker that dies between 1 and 3 leaves its row claimed; the claim lapses after
CLAIM_SECONDS and the row is retried. The only duplicate SMTP cannot rule out is a crash
(or lost database) between the server accepting a message and that commit; the message
then goes again with the same Message-ID, so mail systems can recognise it. The same holds
for a timeout after the data was sent: the server may have taken the message and the
deferred retry sends it again, with the same Message-ID.

`attempts` counts tries the server answered for good for that message, the successful one
included (a deferral or a fault of the server is no try of the message). After MAX_ATTEMPTS
refused tries the
message is given up: `error` keeps the last error, `next_attempt_at` is cleared and it is
not tried again (set `attempts` back to 0 to try it again).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING, NamedTuple

import click
import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask.cli import with_appcontext

from ..extensions import db
from ..models import Notification
from ..models.base import utcnow

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from flask import Flask, Response
    from sqlalchemy.orm import Session, UOWTransaction

# Waits after the 1st, 2nd, 3rd, 4th failure; every later failure waits the last one.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = 10
# A deferred message is tried again after this, however often it was deferred before: it
# spends no attempt, so it is never given up, and the wait matches the 5-minute cron run.
DEFER_DELAY = timedelta(minutes=5)
# Deferrals in a row after which the run stops: the server defers everything for now.
DEFERRALS_TO_STOP = 3
# Longer than one message can take (every SMTP step may wait MAIL_TIMEOUT, a reconnect
# doubles them): a live worker keeps its claim, a dead one's row is retried after this.
CLAIM_SECONDS = 15 * 60
ERROR_MAX_LENGTH = 1000
# Non-ASCII text goes as quoted-printable or base64, never raw 8-bit, which a relay
# without 8BITMIME could damage; headers are RFC 2047-encoded UTF-8.
MESSAGE_POLICY = SMTP_POLICY.clone(cte_type="7bit")

_QUEUED_IN_SESSION = "irflow_mail_queued"
_COMMITTED_IN_REQUEST = "irflow_mail_committed"


class DeliveryResult(NamedTuple):
    sent: int
    failed: int  # messages refused for good this time; each spent an attempt
    deferred: int = 0  # messages the server deferred (4xx, timeout, dropped); no attempt spent
    outage: str | None = None  # why the run stopped before the end of the outbox


class SMTPUnavailable(Exception):
    """No session with the server (connect, EHLO, STARTTLS or login failed): every other
    message would fail the same way, so the batch stops and the rest wait for the next run."""


# What became of a message that was not sent (see the module docstring).
REFUSED = "refused"
DEFERRED = "deferred"
NO_SESSION = "no session"


def classify(error: BaseException) -> str:
    """REFUSED, DEFERRED or NO_SESSION for an error raised while sending one message."""
    if isinstance(error, (SMTPUnavailable, smtplib.SMTPHeloError)):
        return NO_SESSION
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # One recipient per message.
        codes = [code for code, _reply in error.recipients.values()]
        return DEFERRED if codes and all(400 <= code < 500 for code in codes) else REFUSED
    if isinstance(error, smtplib.SMTPSenderRefused):
        # The sender is MAIL_DEFAULT_SENDER for every message: a 5xx to it is a setting
        # to fix, not this message's fault, and must not spend every message's attempts.
        return DEFERRED if 400 <= error.smtp_code < 500 else NO_SESSION
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DEFERRED  # smtplib also reports a timeout waiting for a reply this way
    if isinstance(error, smtplib.SMTPResponseException):
        return DEFERRED if 400 <= error.smtp_code < 500 else REFUSED
    if isinstance(error, smtplib.SMTPException):
        return REFUSED  # e.g. SMTPNotSupportedError: this message needs what the server lacks
    if isinstance(error, OSError):
        return DEFERRED  # timeouts, resets, TLS errors in the middle of the message
    return REFUSED


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def due_filter(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Notification.sent_at.is_(None),
        Notification.attempts < MAX_ATTEMPTS,
        sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )


# When a due message became due: a new one when it was queued, a retried one at its
# next_attempt_at. Taking the earliest first rotates through messages that are deferred
# every time instead of retrying the same few first on every run.
DUE_SINCE = sa.func.coalesce(Notification.next_attempt_at, Notification.created_at)


def deliver_pending(limit: int | None = None, now: datetime | None = None) -> DeliveryResult:
    """Send every due message, due the longest first, over one SMTP connection; returns
    DeliveryResult(sent, failed, deferred, outage). Does nothing without MAIL_SERVER.

    Commits `db.session` after every claim and every result (call it with no other work
    pending in the session); no transaction stays open while SMTP is talked to. `now`
    (for tests) replaces the clock for what is due and for the retry times; `sent_at` is
    always the real time of sending."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return DeliveryResult(0, 0)
    clock = (lambda: now) if now is not None else utcnow
    logger = current_app.logger
    sender = config.get("MAIL_DEFAULT_SENDER") or "irflow@localhost"
    sent = failed = deferred = deferred_in_a_row = 0
    outage = None
    if not _anything_due(clock()):
        return DeliveryResult(0, 0)
    connection = _Connection(config)
    try:
        while limit is None or sent + failed + deferred < limit:
            connection.open()  # before the claim: a server that is gone costs no message anything
            claimed = _claim_next(clock())
            if claimed is None:
                break
            try:
                connection.send(build_message(claimed, sender))
            except Exception as error:  # whatever it was, the row must not stay claimed
                outcome = classify(error)
                if outcome == NO_SESSION:
                    _release(claimed, error)
                    raise
                if outcome == DEFERRED:
                    deferred += 1
                    deferred_in_a_row += 1
                    _defer(claimed, error, clock())
                    if deferred_in_a_row >= DEFERRALS_TO_STOP:
                        outage = (f"{deferred_in_a_row} messages in a row deferred, the last: {describe_error(error)}")[
                            :ERROR_MAX_LENGTH
                        ]
                        logger.warning(
                            "Mail server defers every message, the outbox waits for the next run: %s", outage
                        )
                        break
                    continue
                failed += 1
                deferred_in_a_row = 0
                if not isinstance(error, smtplib.SMTPException):
                    logger.exception("Mail %s: unexpected error", claimed.id)
                _record_failure(claimed, error, clock())
                continue
            _update(claimed.id, sent_at=utcnow(), error=None, next_attempt_at=None)
            sent += 1
            deferred_in_a_row = 0
    except Exception as error:
        if classify(error) != NO_SESSION:
            raise
        outage = describe_error(error)[:ERROR_MAX_LENGTH]
        logger.warning("Mail server unavailable, the outbox waits for the next run: %s", outage)
    finally:
        connection.close()
    if sent or failed or deferred:
        logger.info("Mail delivery: %d sent, %d failed, %d deferred", sent, failed, deferred)
    return DeliveryResult(sent, failed, deferred, outage)


def _anything_due(now: datetime) -> bool:
    due = db.session.scalar(sa.select(Notification.id).where(due_filter(now)).limit(1)) is not None
    db.session.rollback()  # no transaction stays open while SMTP is talked to
    return due


class _Claimed(NamedTuple):
    """What sending needs of a claimed row, read in the claiming transaction."""

    id: int
    recipient_email: str
    subject: str
    body: str
    created_at: datetime
    attempts: int
    previous_attempt_at: datetime | None  # next_attempt_at before the claim, restored on release


def _claim_next(now: datetime) -> _Claimed | None:
    while True:
        # SQLite renders no FOR UPDATE; there the conditional UPDATE below is the claim.
        candidate = db.session.execute(
            sa.select(Notification.id, Notification.next_attempt_at)
            .where(due_filter(now))
            .order_by(DUE_SINCE, Notification.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).one_or_none()
        if candidate is None:
            db.session.rollback()
            return None
        notification_id, previous_attempt_at = candidate
        row = db.session.execute(
            sa.update(Notification)
            .where(Notification.id == notification_id, due_filter(now))
            .values(attempts=Notification.attempts + 1, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
            .returning(
                Notification.id,
                Notification.recipient_email,
                Notification.subject,
                Notification.body,
                Notification.created_at,
                Notification.attempts,
            )
            .execution_options(synchronize_session=False)
        ).one_or_none()
        db.session.commit()
        if row is not None:
            return _Claimed(*row, previous_attempt_at)
        # Another worker claimed it between the SELECT and the UPDATE: take the next one.


def _update(notification_id: int, **values: object) -> None:
    # By id, not through the ORM object: a row deleted meanwhile (with its application or
    # user) just matches nothing.
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _release(claimed: _Claimed, error: BaseException) -> None:
    """Undo the claim of a message the server could not take through no fault of its own."""
    db.session.rollback()
    current_app.logger.warning(
        "Mail %s: not sent, no session with the server; due again: %s",
        claimed.id,
        describe_error(error)[:ERROR_MAX_LENGTH],
    )
    _give_back_attempt(claimed, next_attempt_at=claimed.previous_attempt_at)


def _defer(claimed: _Claimed, error: BaseException, now: datetime) -> None:
    """The server said "not now" to this message: try it again later, attempt not spent."""
    db.session.rollback()
    error_text = describe_error(error)[:ERROR_MAX_LENGTH]
    next_attempt_at = now + DEFER_DELAY
    current_app.logger.warning(
        "Mail %s: deferred, no attempt spent, next try at %s: %s",
        claimed.id,
        next_attempt_at.isoformat(timespec="seconds"),
        error_text,
    )
    _give_back_attempt(claimed, next_attempt_at=next_attempt_at, error=error_text)


def _give_back_attempt(claimed: _Claimed, **values: object) -> None:
    # Only while the claim is still ours (attempts unchanged since): a lapsed claim may have
    # been taken by another worker meanwhile.
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == claimed.id, Notification.sent_at.is_(None), Notification.attempts == claimed.attempts)
        .values(attempts=Notification.attempts - 1, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record_failure(claimed: _Claimed, error: BaseException, now: datetime) -> None:
    db.session.rollback()  # nothing half-done may be committed with the result
    error_text = describe_error(error)[:ERROR_MAX_LENGTH]
    if claimed.attempts >= MAX_ATTEMPTS:
        next_attempt_at = None
        current_app.logger.error("Mail %s: giving up after %d attempts: %s", claimed.id, claimed.attempts, error_text)
    else:
        next_attempt_at = now + retry_delay(claimed.attempts)
        current_app.logger.warning(
            "Mail %s: attempt %d failed, next try at %s: %s",
            claimed.id,
            claimed.attempts,
            next_attempt_at.isoformat(timespec="seconds"),
            error_text,
        )
    _update(claimed.id, error=error_text, next_attempt_at=next_attempt_at)


def build_message(notification: Notification | _Claimed, sender: str) -> EmailMessage:
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = sender
    message["To"] = notification.recipient_email
    # A line break in a header would be refused (or worse, inject headers).
    message["Subject"] = " ".join(notification.subject.split())
    # Date and Message-ID are the message's own, the same on every try.
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = message_id(notification, sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(notification.body)
    return message


def message_id(notification: Notification | _Claimed, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2].strip("[] ") or "localhost"
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "localhost"
    return f"<irflow.{notification.id}.{notification.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def describe_error(error: BaseException) -> str:
    def text(reply: bytes | str) -> str:
        return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)

    if isinstance(error, SMTPUnavailable):
        return str(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{address}: {code} {text(reply)}" for address, (code, reply) in error.recipients.items())
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = f"{error.smtp_code} {text(error.smtp_error)}"
    else:
        detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


class _Connection:
    """One SMTP session for a batch, opened on first use and reopened when it drops."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        try:
            self._send(message)
        except Exception as error:
            if not self._dropped(error):
                raise
            # The server closed an idle or used-up session: one more try on a new one.
            self._send(message)

    def open(self) -> None:
        if self.smtp is None:
            self._open()

    def _send(self, message: EmailMessage) -> None:
        self.open()
        try:
            self.smtp.send_message(message)
        except Exception as error:
            # After a refusal smtplib has reset the session and it can go on; after
            # anything else its state is unknown and the next message gets a new one.
            refused = isinstance(error, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))
            if not (refused and self.smtp.sock is not None):
                self._discard()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            # The messages are sent; a failing goodbye changes nothing.
            with contextlib.suppress(Exception):
                self.smtp.quit()
            self._discard()

    def _open(self) -> None:
        config = self.config
        host, port = config["MAIL_SERVER"], config.get("MAIL_PORT") or 25
        timeout = config.get("MAIL_TIMEOUT") or 30
        smtp = None
        try:
            if config.get("MAIL_USE_SSL"):
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()  # a refused greeting is the session's, not a message's
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        except Exception as error:
            if smtp is not None:
                smtp.close()
            raise SMTPUnavailable(f"{host}:{port}: {describe_error(error)}") from error
        self.smtp = smtp

    def _discard(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
        self.smtp = None

    def _dropped(self, error: BaseException) -> bool:
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return True
        # 421: "service not available, closing channel" — smtplib has closed the socket.
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            return all(code == 421 for code, _reply in error.recipients.values())
        return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code == 421


# --- after the response ---------------------------------------------------------------


class BackgroundDelivery:
    """At most one delivery thread per app and process. A request that commits mail while
    it runs asks it for one more pass instead of starting a second one."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def start(self) -> None:
        try:
            with self._lock:
                if self._thread is not None:
                    self._again = True
                    return
                thread = threading.Thread(target=self._run, name="irflow-mail", daemon=True)
                thread.start()
                self._thread = thread  # before _run can take the lock to clear it
        except Exception:
            self.app.logger.exception("Could not start mail delivery; `send-mail` will deliver it")

    def join(self, timeout: float = 5.0) -> bool:
        """Wait until no delivery thread runs; False if one still does after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            thread.join(remaining)

    def _run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    deliver_pending()
            except Exception:
                self.app.logger.exception("Mail delivery after a request failed; `send-mail` will retry")
            with self._lock:
                if not self._again:
                    self._thread = None
                    return
                self._again = False


def wait_for_background_delivery(app: Flask, timeout: float = 5.0) -> bool:
    """For tests and shutdown: True once the delivery started after requests has finished."""
    return app.extensions["irflow_mail_delivery"].join(timeout)


def init_app(app: Flask) -> None:
    app.extensions["irflow_mail_delivery"] = BackgroundDelivery(app)
    _listen_for_queued_mail()
    app.after_request(_deliver_after_response)


def _deliver_after_response(response: Response) -> Response:
    if g.pop(_COMMITTED_IN_REQUEST, False):
        app = current_app._get_current_object()
        if app.config.get("MAIL_SERVER") and app.config.get("MAIL_DELIVER_AFTER_REQUEST"):
            # Runs when the server has sent the response and closes it.
            response.call_on_close(app.extensions["irflow_mail_delivery"].start)
    return response


_listening = False


def _listen_for_queued_mail() -> None:
    global _listening
    if _listening:
        return
    _listening = True
    # Listening on the scoped session covers every session Flask-SQLAlchemy makes.
    sa.event.listen(db.session, "after_flush", _note_flushed_mail)
    sa.event.listen(db.session, "after_commit", _note_committed_mail)
    sa.event.listen(db.session, "after_rollback", _forget_flushed_mail)


def _note_flushed_mail(session: Session, flush_context: UOWTransaction) -> None:
    # In after_flush, session.new still lists what this flush inserted.
    if any(isinstance(instance, Notification) for instance in session.new):
        session.info[_QUEUED_IN_SESSION] = True


def _note_committed_mail(session: Session) -> None:
    if session.info.pop(_QUEUED_IN_SESSION, False) and has_request_context():
        setattr(g, _COMMITTED_IN_REQUEST, True)


def _forget_flushed_mail(session: Session) -> None:
    session.info.pop(_QUEUED_IN_SESSION, None)


# --- the command ----------------------------------------------------------------------


@click.command("send-mail")
@click.option("--limit", type=click.IntRange(min=1), help="Try at most this many messages.")
@with_appcontext
def send_mail_command(limit: int | None) -> None:
    """Deliver due messages of the outbox by SMTP, due the longest first. Safe to run from
    cron; exits with status 1 when a message was refused or deferred (it is retried later)
    or the run stopped early because the server could not be reached or deferred every
    message (no message spends an attempt on a deferral or on an outage)."""
    if not current_app.config.get("MAIL_SERVER"):
        waiting = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.sent_at.is_(None)))
        click.echo(f"MAIL_SERVER is not set: nothing sent; {waiting} unsent message(s) stay in the outbox.")
        return
    result = deliver_pending(limit=limit)
    click.echo(f"{result.sent} sent, {result.failed} failed, {result.deferred} deferred.")
    if result.outage:
        click.echo(f"The run stopped early, the rest of the outbox waits for the next run: {result.outage}")
    if result.failed or result.deferred or result.outage:
        raise SystemExit(1)
