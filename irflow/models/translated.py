"""Texts kept in each of irflow's languages: one column per language (`title_en`,
`title_ru`, `title_tg`), so that they can be queried, sorted and indexed like any column.

The plain name (`call.title`) reads the text in the reader's language, else the first
language that has one (English, Russian, Tajik); in a query (`Call.title`) it is the
same choice as a COALESCE, so lists sort by what the reader sees. Assigning the plain
name writes the English text, the language the code and the demo data are written in.
"""

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import get_locale
from sqlalchemy.ext.hybrid import hybrid_property

TEXT_LANGUAGES = ("en", "ru", "tg")


def reader_languages():
    """The languages to read a text in, the reader's first. Outside an app context (the ORM
    compiling a query while a response streams) there is no reader: the usual order."""
    locale = get_locale() if has_app_context() else None
    first = locale.language if locale is not None else None
    if first not in TEXT_LANGUAGES:
        return TEXT_LANGUAGES
    return (first,) + tuple(language for language in TEXT_LANGUAGES if language != first)


def localized(obj, field):
    """`obj`'s `field` in the reader's language, else in the first language that has it; None if none has."""
    for language in reader_languages():
        value = getattr(obj, f"{field}_{language}", None)
        if value:
            return value
    return None


def texts(obj, field):
    """{language: text} of `obj`'s `field`, the empty ones left out."""
    return {language: value for language in TEXT_LANGUAGES if (value := getattr(obj, f"{field}_{language}", None))}


def translated_columns(type_, **kwargs):
    """The columns of one text, in the order of TEXT_LANGUAGES:
    `title_en, title_ru, title_tg = translated_columns(sa.String(300))`."""
    return tuple(sa.Column(type_, nullable=True, **kwargs) for _ in TEXT_LANGUAGES)


def translated(field):
    """The attribute that reads `field` in the reader's language (see the module's docstring)."""

    def read(self):
        return localized(self, field)

    def write(self, value):
        setattr(self, f"{field}_en", value or None)

    def expression(cls):
        return sa.func.coalesce(*(getattr(cls, f"{field}_{language}") for language in reader_languages()))

    read.__name__ = field
    return hybrid_property(read, write, expr=expression)


def one_language_given(field):
    """The CHECK that the text is written in at least one language (an empty text is no text)."""
    joined = " || ".join(f"COALESCE({field}_{language}, '')" for language in TEXT_LANGUAGES)
    return sa.CheckConstraint(f"length({joined}) > 0", name=f"{field}_given")
