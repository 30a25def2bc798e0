from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import Optional

from ..forms import FlaskForm
from ..models.predeparture import PREDEPARTURE_ITEMS, VISA_DECISIONS


class ItemForm(FlaskForm):
    """One item's change: `action` done, not_needed or todo; the other fields as the item needs."""

    item = HiddenField()
    action = HiddenField()
    version = HiddenField()
    visa_appointment = DateField(_l("Visa appointment"), validators=[Optional()])
    visa_decision = SelectField(_l("Visa decision"), choices=[], validate_choice=False)
    covered_from = DateField(_l("Insurance covers from"), validators=[Optional()])
    covered_to = DateField(_l("Insurance covers to"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), description=_l("Why this item is not needed for this participant."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.visa_decision.choices = list(VISA_DECISIONS.items())

    def item_key(self):
        return self.item.data if self.item.data in PREDEPARTURE_ITEMS else None
