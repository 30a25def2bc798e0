"""The rows of a host's nomination list: the participants nominated to one host in one call.

Who: as the selected participants export (`export_scope` in queries.py): the head (and
admin) everyone, a coordinator the faculties they coordinate, anyone else nothing.

What: applications of the call whose allocated place is at the host and that have been
nominated and not refused by the host: nominated, host_accepted, abroad, returned,
report_submitted, completed. Each row carries the participant data the host asks for
(ParticipantData, empty where not given yet) and the coordinator who nominated (the actor of
the `nominate` row of the transition log). Never the sensitive flags.

Language: English, as the host office reads it (labels are taken inside force_locale("en")).
Order: by Latin name, then application number.
Columns and their order: `NOMINATION_COLUMNS` in irflow/services/spreadsheets.py.
"""

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import aliased

from ..countries import country_codes, country_name
from ..extensions import db
from ..isced import ISCED_FIELDS
from ..models import Application, Call, CallPlace, ParticipantData, Partner, TransitionLog, User
from ..models.base import MOBILITY_TYPES
from ..models.participant_data import EQF_LEVELS, GENDERS, STUDY_CYCLES
from ..models.states import STATE_LABELS
from ..services.spreadsheets import NOMINATION_COLUMNS
from .queries import BATCH_SIZE

NOMINATED_STATES = ("nominated", "host_accepted", "abroad", "returned", "report_submitted", "completed")

ROW_KEYS = (
    "number",
    "full_name_latin",
    "birth_date",
    "gender",
    "nationality",
    "study_level",
    "eqf_level",
    "isced_code",
    "field_of_education",
    "email",
    "host_institution",
    "call",
    "mobility_type",
    "planned_start",
    "planned_end",
    "months",
    "coordinator",
    "coordinator_email",
    "coordinator_phone",
    "state",
)
if tuple(column.key for column in NOMINATION_COLUMNS) != ROW_KEYS:  # pragma: no cover
    raise RuntimeError("the nomination rows and NOMINATION_COLUMNS disagree on the column order")


def nominations_query(scope, call_id, partner_id):
    """The SELECT behind a host's nomination list, narrowed to `scope`."""
    participant = aliased(User)
    coordinator = aliased(User)
    # The latest `nominate` row of each application: its actor is the sending coordinator.
    nomination = (
        sa.select(TransitionLog.application_id, sa.func.max(TransitionLog.id).label("log_id"))
        .where(TransitionLog.trigger == "nominate")
        .group_by(TransitionLog.application_id)
        .subquery()
    )
    return (
        sa.select(
            participant.full_name_latin,
            ParticipantData.birth_date,
            ParticipantData.gender,
            ParticipantData.nationality,
            ParticipantData.study_cycle,
            ParticipantData.isced_code,
            participant.email,
            Partner.name,
            Call.title,
            Call.mobility_type,
            Application.planned_start,
            Application.planned_end,
            CallPlace.months,
            coordinator.full_name_latin,
            coordinator.email,
            coordinator.phone,
            Application.state,
        )
        .select_from(Application)
        .join(participant, participant.id == Application.applicant_id)
        .join(Call, Call.id == Application.call_id)
        .join(CallPlace, CallPlace.id == Application.allocated_place_id)
        .join(Partner, Partner.id == CallPlace.partner_id)
        .outerjoin(ParticipantData, ParticipantData.application_id == Application.id)
        .outerjoin(nomination, nomination.c.application_id == Application.id)
        .outerjoin(TransitionLog, TransitionLog.id == nomination.c.log_id)
        .outerjoin(coordinator, coordinator.id == TransitionLog.actor_id)
        .where(
            scope,
            Application.call_id == call_id,
            CallPlace.partner_id == partner_id,
            Application.state.in_(NOMINATED_STATES),
        )
        .order_by(sa.func.lower(participant.full_name_latin), Application.id)
    )


def count_nominations(scope, call_id, partner_id):
    query = nominations_query(scope, call_id, partner_id).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def nomination_rows(scope, call_id, partner_id):
    """An iterator of tuples in ROW_KEYS order, fetched BATCH_SIZE at a time over a database
    connection of its own (the rows are read while the response is sent). Call it inside the
    request: the English labels are taken now."""
    with force_locale("en"):
        labels = (
            {key: str(label) for key, label in GENDERS.items()},
            {key: str(label) for key, label in STUDY_CYCLES.items()},
            {key: str(label) for key, label in MOBILITY_TYPES.items()},
            {key: str(label) for key, label in STATE_LABELS.items()},
            {code: country_name(code) for code in country_codes()},
        )
    return _rows(db.engine, nominations_query(scope, call_id, partner_id), labels)


def _rows(engine, query, labels):
    genders, cycles, mobility_types, states, countries = labels
    with engine.connect() as connection:
        result = connection.execute(query.execution_options(yield_per=BATCH_SIZE))
        for number, (
            latin_name,
            birth_date,
            gender,
            nationality,
            study_cycle,
            isced_code,
            email,
            host,
            call_title,
            mobility_type,
            planned_start,
            planned_end,
            months,
            coordinator_name,
            coordinator_email,
            coordinator_phone,
            state,
        ) in enumerate(result, 1):
            yield (
                number,
                latin_name,
                birth_date,
                genders.get(gender, gender),
                countries.get(nationality, nationality),
                cycles.get(study_cycle, study_cycle),
                EQF_LEVELS.get(study_cycle),
                isced_code,
                ISCED_FIELDS.get(isced_code, None) if isced_code else None,
                email,
                host,
                call_title,
                mobility_types.get(mobility_type, mobility_type),
                planned_start,
                planned_end,
                months,
                coordinator_name,
                coordinator_email,
                coordinator_phone,
                states.get(state, state),
            )
