"""Input that would fail in the database is answered as bad input, never with a 500.

- `<int:...>` in URLs takes only what PostgreSQL's `integer` holds: a larger id is a 404
  (Werkzeug's converter takes any size, and PostgreSQL then raises DataError);
- `page_number()` reads `?page=` for the paginated lists: anything else than a page of
  1..MAX_PAGE gives the first page;
- a NUL character (PostgreSQL refuses it in text) is refused by the forms, in posted
  fields and in the filters read from the query string (see `irflow.forms`);
- last resort: a DataError the database still raises (a value it cannot store or compare)
  is a 400, not a 500 (answered in irflow/web/errors.py); the fixes above leave it nothing to catch.
"""

import builtins

from flask import request
from werkzeug.routing import IntegerConverter

from .forms import MAX_INTEGER

# Far beyond any real list, small enough that page * page size is a valid OFFSET anywhere.
MAX_PAGE = 100_000


class StorableIntegerConverter(IntegerConverter):
    """`int` in URL rules: 0 .. 2**31-1 (PostgreSQL `integer`)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=min,
            max=MAX_INTEGER if max is None else builtins.min(max, MAX_INTEGER),
            signed=signed,
        )


def page_number():
    """The `page` of the query string, 1 when it is missing, not a number or out of range."""
    try:
        page = int(request.args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return page if 1 <= page <= MAX_PAGE else 1


def init_app(app):
    """Before the blueprints: their rules take the converter when they are added."""
    app.url_map.converters["int"] = StorableIntegerConverter
