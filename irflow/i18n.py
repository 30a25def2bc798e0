"""WTForms' own messages in irflow's languages.

WTForms writes some messages itself ("This field is required.", "Not a valid choice.",
"Not a valid date value.", ...). Flask-WTF translates them from WTForms' catalogue, which
has Russian but no Tajik, and the rows of a FieldList (plain `wtforms.Form`) get no
translation at all. irflow's forms derive from `FlaskForm` and `Form` below: they take
those messages from irflow's own catalogues (the messages are listed at the end of this
module for `pybabel extract`) and from WTForms' catalogue for any message not listed.
"""

from flask_babel import get_translations, gettext, ngettext
from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import Form as _Form


class FormTranslations:
    def gettext(self, string):
        translated = get_translations().ugettext(string)
        return translated if translated != string else wtforms_translations.gettext(string)

    def ngettext(self, singular, plural, n):
        translated = get_translations().ungettext(singular, plural, n)
        if translated not in (singular, plural):
            return translated
        return wtforms_translations.ngettext(singular, plural, n)


translations = FormTranslations()


class FlaskForm(_FlaskForm):
    class Meta:
        def get_translations(self, form):
            return translations


class Form(_Form):
    """For the rows of a FieldList(FormField(...))."""

    class Meta:
        def get_translations(self, form):
            return translations


def _wtforms_messages():  # pragma: no cover  (never called: read by `pybabel extract`)
    """The messages WTForms itself can show on irflow's forms."""
    gettext("This field is required.")
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Invalid choice(s): one or more data inputs could not be coerced.")
    ngettext(
        "'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 2
    )
    gettext("Not a valid integer value.")
    gettext("Not a valid decimal value.")
    gettext("Not a valid date value.")
    gettext("Invalid input.")
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 2)
