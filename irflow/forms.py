"""The base classes of every irflow form: translated messages (see `i18n`) and input that
no database can store refused as a field error, never left to fail as a 500.

PostgreSQL refuses a NUL character in text and numbers beyond its `integer` column type.
Each field of these forms checks its raw input first (before its own and the form's
validators, which may look the value up in the database): a NUL character, in text or in
the name of an uploaded file, or a whole number beyond that range, stops the field's
validation with an error.
"""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import StopValidation

from . import i18n

# PostgreSQL `integer` (4 bytes): ids, counts, places, versions.
MAX_INTEGER = 2**31 - 1

NOT_ALLOWED_CHARACTER = _l("This field contains a character that is not allowed.")


def has_nul(value):
    """True when a submitted value (text, or an upload by its file name) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    filename = getattr(value, "filename", None)
    return isinstance(filename, str) and "\x00" in filename


def refuse_unstorable_input(form, field):
    if any(has_nul(value) for value in getattr(field, "raw_data", None) or ()):
        raise StopValidation(NOT_ALLOWED_CHARACTER)
    if isinstance(field, IntegerField) and isinstance(field.data, int) and abs(field.data) > MAX_INTEGER:
        raise StopValidation(field.gettext("Not a valid integer value."))


class _SafeInputMeta:
    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        field.validators = [refuse_unstorable_input, *field.validators]
        return field


class FlaskForm(i18n.FlaskForm):
    class Meta(_SafeInputMeta):
        pass


class Form(i18n.Form):
    """For the rows of a FieldList(FormField(...))."""

    class Meta(_SafeInputMeta):
        pass
