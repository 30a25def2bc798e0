"""Offers: the selected applicant's panel, confirming and declining over HTTP, the deadline,
`flask --app wsgi expire-offers` and the waiting list it moves, and what each applicant
sees of their result after the confirmation."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest

from irflow.extensions import db
from irflow.i18n import format_moment
from irflow.models import Notification, TransitionLog
from irflow.models.base import utcnow
from irflow.selection import cli as expiry

from .fixtures.factories import (
    CallFactory,
    UserFactory,
    application_in,
    log_rows,
    notifications_for,
    one_commit,
    stored_state,
)
from .fixtures.selection import scored
from .fixtures.web import form_of


def text_of(response):
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()  # read what the command committed
        return result

    return invoke


def lapse(application, hours=1):
    application.offer_deadline = utcnow() - timedelta(hours=hours)


# --- the offer panel ----------------------------------------------------------------------


def test_the_selected_applicant_sees_the_offer_with_host_and_deadline(app, client, login_as):
    application = application_in("selected")
    place = application.allocated_place
    place.partner.name, place.partner.city, place.partner.country = "Technische Universität Dresden", "Dresden", "DE"
    db.session.commit()
    login_as(application.applicant)

    page = text_of(client.get(f"/applications/{application.id}"))

    panel = page[page.index('id="offer"') : page.index("</section>", page.index('id="offer"'))]
    assert "Technische Universität Dresden, Dresden" in panel and "Germany" in panel
    assert "5 months" in panel
    with app.test_request_context():  # shown in the user's zone, Asia/Dushanbe by default
        deadline = format_moment(application.offer_deadline)
    assert deadline in panel[panel.index('id="offer-deadline"') :]
    assert f"/applications/{application.id}/fire/confirm_place" in panel
    # Declining asks first, on a page of its own.
    assert f'href="/applications/{application.id}/decline"' in panel
    # The two buttons are in the panel only, not again among the other actions.
    assert page.count("fire/confirm_place") == 1 and "fire/decline_place" not in page
    assert f'href="/applications/{application.id}/withdraw"' in page


def test_staff_see_no_offer_panel(client, login_as):
    application = application_in("selected")
    login_as(UserFactory(roles=["head"]))
    page = text_of(client.get(f"/applications/{application.id}"))
    assert 'id="offer"' not in page and "Offer open until" in page


def test_confirming_the_offer_over_http(client, login_as):
    application = application_in("selected")
    login_as(application.applicant)
    form = form_of(client.get(f"/applications/{application.id}"))

    response = client.post(
        f"/applications/{application.id}/fire/confirm_place",
        data={"csrf_token": form["csrf_token"], "version": application.version},
    )

    assert response.status_code == 302
    assert stored_state(application)[0] == "confirmed"
    [log] = log_rows(application)
    assert (log.trigger, log.actor_id) == ("confirm_place", application.applicant_id)
    assert 'id="offer"' not in text_of(client.get(f"/applications/{application.id}"))


def test_declining_the_offer_over_http_gives_the_place_to_the_waiting_list(client, login_as):
    with one_commit():
        call = CallFactory(places=(1,))
        [host] = call.places
        holder = application_in("selected", call=call, hosts=[host])
        waiting = application_in("waitlisted", call=call, hosts=[host], rank=2)
    login_as(holder.applicant)
    token = form_of(client.get(f"/applications/{holder.id}"))["csrf_token"]

    response = client.post(
        f"/applications/{holder.id}/fire/decline_place",
        data={"csrf_token": token, "version": holder.version, "comment": "I got a job."},
    )

    assert response.status_code == 302
    assert stored_state(holder)[0] == "declined"
    assert stored_state(waiting)[0] == "selected" and waiting.allocated_place_id == host.id
    assert log_rows(waiting)[-1].actor_id is None


def test_confirming_after_the_deadline_is_refused(client, login_as):
    application = application_in("selected")
    lapse(application)
    db.session.commit()
    login_as(application.applicant)
    page = text_of(client.get(f"/applications/{application.id}"))
    assert "the offer has lapsed" in page and "fire/confirm_place" not in page
    token = form_of(client.get("/applications/"))["csrf_token"]

    response = client.post(
        f"/applications/{application.id}/fire/confirm_place",
        data={"csrf_token": token, "version": application.version},
        follow_redirects=True,
    )

    assert "The offer has lapsed" in text_of(response)
    assert stored_state(application)[0] == "selected"
    assert log_rows(application) == []


# --- expire-offers ------------------------------------------------------------------------


def test_expire_offers_declines_lapsed_offers_and_promotes_the_next_who_chose_that_host(cli):
    with one_commit():
        call = CallFactory(places=(1, 1), offer_reply_days=4)
        host, other_host = call.places
        lapsed = application_in("selected", call=call, hosts=[host])
        lapse(lapsed)
        still_open = application_in("selected", call=call, hosts=[other_host])
        elsewhere = application_in("waitlisted", call=call, hosts=[other_host], rank=2)  # did not choose `host`
        chose_it = application_in("waitlisted", call=call, hosts=[other_host, host], rank=3)
        later = application_in("waitlisted", call=call, hosts=[host], rank=4)
    started = utcnow()

    result = cli("expire-offers")

    assert result.exit_code == 0, result.output
    assert "1 lapsed offer declined." in result.output
    assert "1 waitlisted applicant promoted." in result.output
    assert stored_state(lapsed)[0] == "declined"
    [log] = log_rows(lapsed)
    assert (log.trigger, log.actor_id) == ("decline_place", None) and "lapsed" in log.comment
    assert stored_state(still_open)[0] == "selected" and log_rows(still_open) == []
    assert stored_state(chose_it)[0] == "selected" and chose_it.allocated_place_id == host.id
    assert started + timedelta(days=4) <= chose_it.offer_deadline <= utcnow() + timedelta(days=4)
    [promotion] = log_rows(chose_it)
    assert (promotion.trigger, promotion.from_state, promotion.actor_id) == ("select", "waitlisted", None)
    [notice] = notifications_for(chose_it)
    assert notice.recipient_id == chose_it.applicant_id and host.partner.name in notice.body
    assert [stored_state(a)[0] for a in (elsewhere, later)] == ["waitlisted", "waitlisted"]

    again = cli("expire-offers")
    assert again.exit_code == 0
    assert "0 lapsed offers declined." in again.output and "0 waitlisted applicants promoted." in again.output
    assert db.session.scalar(db.select(db.func.count(TransitionLog.id))) == 2


def test_three_freed_places_promote_three_waitlisted_applicants_in_rank_order(cli):
    with one_commit():
        call = CallFactory(places=(3,))
        [host] = call.places
        holders = [application_in("selected", call=call, hosts=[host]) for _ in range(3)]
        for hours, holder in enumerate(holders, 1):
            lapse(holder, hours=hours)
        # Created out of rank order: the rank decides.
        third = application_in("waitlisted", call=call, hosts=[host], rank=6)
        first = application_in("waitlisted", call=call, hosts=[host], rank=2)
        fourth = application_in("waitlisted", call=call, hosts=[host], rank=9)
        second = application_in("waitlisted", call=call, hosts=[host], rank=5)

    result = cli("expire-offers")

    assert result.exit_code == 0, result.output
    assert "3 lapsed offers declined." in result.output and "3 waitlisted applicants promoted." in result.output
    assert [stored_state(holder)[0] for holder in holders] == ["declined"] * 3
    promotions = db.session.scalars(
        db.select(TransitionLog).where(TransitionLog.trigger == "select").order_by(TransitionLog.id)
    ).all()
    assert [log.application_id for log in promotions] == [first.id, second.id, third.id]
    assert {log.actor_id for log in promotions} == {None}
    assert stored_state(fourth)[0] == "waitlisted"
    promoted_notices = db.session.scalars(
        db.select(Notification.recipient_id).where(Notification.application_id.in_([first.id, second.id, third.id]))
    ).all()
    assert sorted(promoted_notices) == sorted(a.applicant_id for a in (first, second, third))

    assert "0 lapsed offers declined." in cli("expire-offers").output


def test_one_failure_does_not_undo_the_other_lapsed_offers(cli, monkeypatch):
    with one_commit():
        call = CallFactory(places=(2,))
        failing, fine = (application_in("selected", call=call, hosts=call.places[:1]) for _ in range(2))
        lapse(failing, hours=2)
        lapse(fine, hours=1)
    real_fire = expiry.fire

    def fire(application, trigger, actor, **kwargs):
        real_fire(application, trigger, actor, **kwargs)
        if application.id == failing.id:
            db.session.flush()
            raise expiry.WorkflowError("Simulated failure.")

    monkeypatch.setattr(expiry, "fire", fire)

    result = cli("expire-offers")

    assert result.exit_code == 1
    assert f"Application {failing.id} could not be declined: Simulated failure." in result.output
    assert "1 lapsed offer declined." in result.output
    assert stored_state(failing)[0] == "selected" and log_rows(failing) == []
    assert stored_state(fine)[0] == "declined"


# --- the result the applicant sees -------------------------------------------------------


def _confirmed_selection(client, login_as):
    with one_commit():
        call = CallFactory(places=(1,), minimum_total_score=Decimal(50), closes_at=utcnow() - timedelta(days=1))
        winner = scored(call, hosts=list(call.places), language=100, interview=90, grade="4.00")  # 97.5
        runner_up = scored(call, hosts=list(call.places), language=70, interview=60, grade="3.50")  # 67.5
        head = UserFactory(roles=["head"])
    login_as(head)
    url = f"/calls/{call.id}/selection"
    return call, winner, runner_up, head, url


def test_after_confirmation_the_applicant_sees_their_own_total_breakdown_and_rank(client, login_as):
    call, winner, runner_up, head, url = _confirmed_selection(client, login_as)
    login_as(runner_up.applicant)
    before = text_of(client.get(f"/applications/{runner_up.id}"))
    assert "67.5" not in before and 'id="result-breakdown"' not in before and "Rank:" not in before

    login_as(head)
    assert client.post(url, data=form_of(client.get(url))).status_code == 302
    login_as(runner_up.applicant)
    page = text_of(client.get(f"/applications/{runner_up.id}"))

    assert "Total score:" in page and "67.5" in page
    assert "Rank:</strong> 2" in page
    breakdown = page[page.index('id="result-breakdown"') : page.index("</table>", page.index('id="result-breakdown"'))]
    for expected in ("Language test", "70", "Interview", "60", "Average grade", "3.5 of 5", ">2<", ">1<"):
        assert expected in breakdown
    assert "97.5" not in page and winner.applicant.full_name_latin not in page  # never another's
    assert client.get(f"/applications/{winner.id}").status_code == 404
    for path in (url, url + "/protocol"):
        assert client.get(path).status_code == 403
    token = form_of(client.get("/applications/"))["csrf_token"]
    assert client.post(url, data={"csrf_token": token}).status_code == 403


def test_the_selected_applicant_sees_the_offer_after_the_confirmation(client, login_as):
    call, winner, runner_up, head, url = _confirmed_selection(client, login_as)
    client.post(url, data=form_of(client.get(url)))
    login_as(winner.applicant)
    page = text_of(client.get(f"/applications/{winner.id}"))
    assert 'id="offer"' in page and call.places[0].partner.name in page
    assert "Rank:</strong> 1" in page
