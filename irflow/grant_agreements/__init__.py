"""The grant agreement: issued by the office from the participant's planned grant (its total
frozen, its instalments scheduled), printed in the participant's language, signed and
uploaded (document kind `grant_agreement`). Above grants/ and payments/, which it uses."""

from flask import Blueprint

bp = Blueprint("grant_agreements", __name__)

from . import routes  # noqa: E402,F401
