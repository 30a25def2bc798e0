"""Links in mails: on PUBLIC_URL, never on the Host header a request brings, which anyone
can forge (a reset link pointing at their own server would hand them the token). And
links of a table's rows, built once for the table.

Without PUBLIC_URL (development and tests only: create_app refuses to start without it
elsewhere) a request's own address is used, and outside a request `make run`'s."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import current_app, has_request_context, request, url_for

DEVELOPMENT_URL = "http://127.0.0.1:5000"


def mailed_url(endpoint: str, **values: object) -> str:
    """The full address of `endpoint` for a mail: the public base, then url_for's path."""
    return _base() + _path(endpoint, values)


def public_url_problem(value: str | None) -> str | None:
    """Why `value` cannot be PUBLIC_URL (None: it can)."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "it must start with https:// (or http://) and a host name"
    if parts.query or parts.fragment:
        return "it must not have a query (?) or fragment (#)"
    return None


def _base() -> str:
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.root_url.rstrip("/")  # scheme, host and the mount point (script root)
    return DEVELOPMENT_URL


def _path(endpoint: str, values: dict[str, object]) -> str:
    if has_request_context():
        # url_for's path starts with the mount point, which the base already ends with.
        return url_for(endpoint, **values).removeprefix(request.script_root)
    # A command (cron's send-reminders, reset-password): no request, no SERVER_NAME either.
    current_app.inject_url_defaults(endpoint, values)
    return current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


# Stands for a row's id in a link built once for a whole table.
_ROW_ID = 999_999_999


def row_link(endpoint: str, key: str, **values: object) -> str:
    """url_for(endpoint, **{key: <a row's id>}, **values) as a format string with {} where
    the id goes: a table of many rows builds its link once, for url_for costs as much as
    the rest of a row."""
    return url_for(endpoint, **{key: _ROW_ID}, **values).replace(str(_ROW_ID), "{}", 1)


# The characters Werkzeug leaves unencoded in a query string.
URL_SAFE = "!$'()*,/:;?@"


def with_query(path: str, args: dict[str, object]) -> str:
    """`path` (a url_for made once for the page) with the query string `args`, encoded as
    url_for encodes it (Werkzeug's safe characters): a page of many links to itself with
    other filters builds them without a url_for each."""
    items = [(key, value) for key, value in args.items() if value is not None]
    return f"{path}?{urlencode(items, safe=URL_SAFE)}" if items else path
