"""The messages the workflow sends: to the applicant on each transition, with what happens
next (next_steps.py), to the host on a nomination. Queued in the outbox in the transition's
own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..countries import country_name
from ..i18n import language_of
from ..isced import isced_label
from ..models.participant_data import GENDERS, STUDY_CYCLES
from ..models.states import STATE_LABELS
from ..services import mail
from . import notice_texts
from .next_steps import what_happens_next

if TYPE_CHECKING:
    from ..models import Application, Notification, Partner, User
    from .states import Transition


def queue_transition_notice(
    application: Application, transition: Transition, comment: str | None
) -> Notification | None:
    applicant = application.applicant
    # The head's own text for this notice in the applicant's language, if there is one.
    custom = notice_texts.custom_text(transition.trigger, language_of(applicant))
    if custom is not None:
        return notice_texts.queue_custom_notice(applicant, application, custom, comment)
    return mail.queue_for_user(
        applicant,
        "emails/transition.txt",
        lambda: _("Application %(number)s: %(state)s", number=application.id, state=STATE_LABELS[application.state]),
        application=application,
        transition=transition,
        state_label=STATE_LABELS[application.state],
        comment=comment,
        # Called by the template, inside the recipient's language and time zone.
        what_happens_next=lambda: what_happens_next(application, transition.trigger),
    )


def queue_nomination(application: Application, host: Partner, coordinator: User | None = None) -> Notification | None:
    # Host offices read English; the message names the participant as in the passport.
    with force_locale("en"):
        body = render_template(
            "emails/nomination.txt",
            application=application,
            host=host,
            participant=host_data(application),
            coordinator=coordinator,
        )
        subject = _("Nomination: %(name)s", name=application.applicant.full_name_latin)
    return mail.queue(host.contact_email, subject, body, application=application)


def host_data(application: Application) -> dict[str, str | None]:
    """What a host office asks about a nominated participant, as text in the current
    language; None where it is not given yet. Never the sensitive flags (fewer
    opportunities, special needs): a host has no business with them."""
    data = application.participant_data
    place = application.allocated_place
    return {
        "full_name_latin": application.applicant.full_name_latin or None,
        "birth_date": data.birth_date.isoformat() if data else None,
        "gender": str(GENDERS.get(data.gender, data.gender)) if data else None,
        "nationality": country_name(data.nationality) if data else None,
        "study_level": str(STUDY_CYCLES.get(data.study_cycle, data.study_cycle)) if data else None,
        "field_of_education": isced_label(data.isced_code) if data else None,
        "planned_start": application.planned_start.isoformat() if application.planned_start else None,
        "planned_end": application.planned_end.isoformat() if application.planned_end else None,
        "months": str(place.months) if place is not None and place.months is not None else None,
    }
