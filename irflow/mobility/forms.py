"""The nominations page's forms: the call filter (GET) and the bulk nomination (POST)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from ..web import EmptyForm, FilterForm


class MobilityFilterForm(FilterForm):
    """The call filter of the nominations page, read from the query string."""

    call = SelectField(_l("Call"), choices=[], default="")

    def __init__(self, formdata, calls, **kwargs):
        super().__init__(formdata, **kwargs)
        self.call.choices = [("", _l("All calls"))] + [
            (str(call_id), f"{title} ({year})") for call_id, title, year in calls
        ]

    def call_id(self):
        """The chosen call's id, or None for all (an id outside the choices is ignored)."""
        if not self.validate() or not self.call.data:
            self.call.data = ""
            return None
        return int(self.call.data)


class NominateForm(EmptyForm):
    """Only the CSRF token: the selected rows (`application`) and their versions
    (`version-<id>`) are read from the posted form by nominations.read_selection."""
