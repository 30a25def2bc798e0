from wtforms import HiddenField

from ..forms import FlaskForm


class IssueForm(FlaskForm):
    """The button that issues the agreement; `version` is the agreement's ("" before it exists)."""

    version = HiddenField()
