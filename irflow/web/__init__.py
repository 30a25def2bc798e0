"""The web layer every blueprint shares: the unit of work, the error answers, template
helpers, base forms, role checks and safe redirects."""

from . import errors, templating
from .access import allowed_if, role_required
from .errors import back_to, when_refused
from .forms import EmptyForm, FilterForm, LocalDecimalField
from .safety import is_local_url, local_path_or_none
from .unit_of_work import after_rollback


def init_app(app):
    errors.init_app(app)
    templating.init_app(app)


__all__ = [
    "EmptyForm",
    "FilterForm",
    "LocalDecimalField",
    "after_rollback",
    "allowed_if",
    "back_to",
    "is_local_url",
    "local_path_or_none",
    "role_required",
    "when_refused",
]
