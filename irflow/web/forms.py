"""The forms, fields and field helpers every area's pages share."""

from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import DecimalField, SelectMultipleField, StringField, widgets
from wtforms.fields import SelectChoice
from wtforms.fields.choices import Choice
from wtforms.form import BaseForm
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import TextInput

from ..forms import FlaskForm
from ..models.translated import TEXT_LANGUAGES


class EmptyForm(FlaskForm):
    """A POST-only button: only the CSRF token (templates: the `post_button` macro)."""


class QuickSelect(widgets.Select):
    """WTForms' select with the same HTML, each plain option written directly: through
    html_params, and WTForms' normalising of the choices (twice per select), a filter's
    hundred options (every call, state, faculty) cost about as much as the rest of the list
    page they sit on. Choices other than a list of (value, label) pairs go the usual way."""

    def __call__(self, field, **kwargs):
        choices = field.choices
        if (
            self.multiple
            or not isinstance(choices, list)
            or any(type(choice) is not tuple or len(choice) != 2 for choice in choices)
        ):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in dir(flags):
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = getattr(flags, name)
        html = [f"<select {widgets.html_params(name=field.name, **kwargs)}>"]
        for value, label in choices:
            html.append(self.render_option(Choice(value, label, field.coerce(value) == field.data, None)))
        html.append("</select>")
        return Markup("".join(html))

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        # A lazy label is translated once (WTForms' `label or value` and escape() each would).
        text = str(choice.label) if choice.label is not None else ""
        label = escape(text or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')


class FilterForm(FlaskForm):
    """Filters of a list page, read from the query string: a GET changes nothing, so no CSRF
    token; a value that is not valid is ignored (and the user told) rather than failing the page."""

    class Meta:
        csrf = False

        def render_field(self, field, render_kw):
            if type(field.widget) is widgets.Select and not field.widget.multiple:
                render_kw = dict(field.render_kw or {}, **render_kw)
                return QuickSelect()(field, **render_kw)
            return super().render_field(field, render_kw)

    def ignore_invalid_values(self):
        """Every field whose value is not valid falls back to its default; returns the
        labels of those fields, to tell the user."""
        self.validate()
        ignored = []
        for name in self.errors:
            self[name].data = self[name].default
            ignored.append(str(self[name].label.text))
        return ignored


class LocalDecimalField(DecimalField):
    """A text box for a decimal that accepts a decimal comma too (2,5), as numbers are written locally."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [value.strip().replace(",", ".") if isinstance(value, str) else value for value in valuelist]
        if valuelist and valuelist[0] == "":
            self.data = None
            return
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def options(pairs):
    """(value, label) pairs as the SelectChoice objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def int_or_none(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


def web_address(form, field):
    value = (field.data or "").strip()
    field.data = value or None
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValidationError(_l("Enter a web address starting with http:// or https://."))


def translated_fields(label, field_class=StringField, max_length=300, **kwargs):
    """One field per language for a text kept in each (see models.translated), in the order
    of TEXT_LANGUAGES: `title_en, title_ru, title_tg = translated_fields(_l("Title"))`.
    Each is optional; `one_language_given` asks for at least one."""
    render_kw = kwargs.pop("render_kw", {})
    return tuple(
        field_class(
            label,
            filters=[strip_text, lambda value: value or None],
            validators=[Optional(), Length(max=max_length)],
            render_kw={**render_kw, "lang": language},
            **kwargs,
        )
        for language in TEXT_LANGUAGES
    )


def translated_data(form, name):
    """{language: text or None} typed into the fields of `name`."""
    return {language: form[f"{name}_{language}"].data or None for language in TEXT_LANGUAGES}


def one_language_given(form, name, message):
    """False, with `message` next to the first of the fields, if `name` is empty in every language."""
    if any(translated_data(form, name).values()):
        return True
    form[f"{name}_{TEXT_LANGUAGES[0]}"].errors.append(message)
    return False


def fill_translated(obj, form, *names):
    """Write the texts typed into the fields of `names` into `obj`'s columns of each language."""
    for name in names:
        for language, text in translated_data(form, name).items():
            setattr(obj, f"{name}_{language}", text)


def show_translated(form, obj, *names):
    """Put `obj`'s texts of `names` into their fields, for the GET of an edit page."""
    for name in names:
        for language in TEXT_LANGUAGES:
            form[f"{name}_{language}"].data = getattr(obj, f"{name}_{language}")


def described_by(field):
    """The ids of the texts that describe `field`: its error messages (as the field macro
    numbers them) and its hint; for aria-describedby."""
    ids = [f"{field.id}-error-{number}" for number in range(1, len(field.errors) + 1)]
    if field.description:
        ids.append(f"{field.id}-help")
    return " ".join(ids)


def error_links(form):
    """What the error summary at the top of a refused form lists: (the id of the field to
    jump to or None, the field's label or None, the message), in the form's order. Errors of a row of a FieldList link
    to that row's field; an expired CSRF token is told once, without a link."""
    if not isinstance(form, BaseForm):
        return []
    links = []
    for field in form:
        if field.type == "CSRFTokenField":
            if field.errors:
                links.append((None, None, _("The form has expired. Please submit it again.")))
            continue
        links.extend(_field_error_links(field))
    links.extend((None, None, message) for message in getattr(form, "form_errors", ()))
    return links


def _field_error_links(field):
    if field.type in ("FieldList", "FormField"):
        return [link for child in field for link in _field_error_links(child)]
    # Lazy messages (validators' `message=_l(...)`) are not str: anything but a nested list or dict is a message.
    label = field.label.text if field.label else None
    return [(field.id, label, str(message)) for message in field.errors if not isinstance(message, (list, tuple, dict))]
