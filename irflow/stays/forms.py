from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, RadioField, TextAreaField
from wtforms.validators import StopValidation

from ..forms import FlaskForm
from ..models.stay_change import STAY_CHANGE_KINDS
from .operations import REASON_MAX


def _stop_on_process_errors(field):
    # What could not be read ("Not a valid date value.") is the field's one message.
    if field.process_errors:
        raise StopValidation


class StayChangeForm(FlaskForm):
    """The dates are checked against the stay in the view (policy.date_problems)."""

    kind = RadioField(_l("What do you ask for?"), choices=[], validate_choice=False)
    new_end = DateField(
        _l("New end of the stay"), description=_l("For an extension or a shortening: the new last day abroad.")
    )
    interruption_from = DateField(_l("Interruption: first day"))
    interruption_to = DateField(_l("Interruption: last day"))
    force_majeure = BooleanField(_l("The interruption is due to force majeure"))
    force_majeure_explanation = TextAreaField(
        _l("Explain the force majeure"), description=_l("For example illness, a natural disaster or a war.")
    )
    reason = TextAreaField(_l("Reason"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = list(STAY_CHANGE_KINDS.items())

    def validate_kind(self, field):
        if field.data not in STAY_CHANGE_KINDS:
            raise StopValidation(_l("Choose what you ask for."))

    def _date_for(self, field, kinds, missing):
        if self.kind.data not in kinds:
            # Not asked for by this kind: whatever it holds is ignored.
            field.errors[:] = []
            field.data = None
            raise StopValidation
        if not "".join(field.raw_data or ()).strip():
            field.errors[:] = []
            raise StopValidation(missing)
        _stop_on_process_errors(field)

    def validate_new_end(self, field):
        self._date_for(field, ("extension", "shortening"), _l("Enter the new end date."))

    def validate_interruption_from(self, field):
        self._date_for(field, ("interruption",), _l("Enter the first day of the interruption."))

    def validate_interruption_to(self, field):
        self._date_for(field, ("interruption",), _l("Enter the last day of the interruption."))

    def validate_force_majeure_explanation(self, field):
        if self.kind.data == "interruption" and self.force_majeure.data and not (field.data or "").strip():
            raise StopValidation(_l("Explain the force majeure."))

    def validate_reason(self, field):
        text = (field.data or "").strip()
        if not text:
            raise StopValidation(_l("Give the reason for the change."))
        if len(text) > REASON_MAX:
            raise StopValidation(_l("Keep the reason under %(max)s characters.", max=REASON_MAX))

    def request_fields(self):
        """operations.request_change's keyword arguments."""
        interruption = self.kind.data == "interruption"
        return {
            "kind": self.kind.data,
            "reason": self.reason.data,
            "new_end": None if interruption else self.new_end.data,
            "interruption_from": self.interruption_from.data if interruption else None,
            "interruption_to": self.interruption_to.data if interruption else None,
            "force_majeure": interruption and bool(self.force_majeure.data),
            "force_majeure_explanation": self.force_majeure_explanation.data,
        }


class DecisionForm(FlaskForm):
    stay_change = HiddenField()
    version = HiddenField()
    application_version = HiddenField()
    comment = TextAreaField(_l("Comment"), description=_l("Required to refuse; the participant reads it."))
    decision = HiddenField()
