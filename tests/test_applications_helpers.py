"""Helpers shared by the tests of the applications blueprint (no tests here).

Everything goes through HTTP with the test client, as a browser would: CSRF tokens are
read from rendered pages, files are posted as multipart forms.
"""

import html
import io
import os
import re

from irflow.extensions import db
from irflow.models import Application, Document

from .logins import login_token

# Real file heads: storage recognises files by these bytes, not by their names.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def client_for(app, user):
    """A fresh client logged in as `user`, as Flask-Login would after a real login."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_token(user)
        session["_fresh"] = True
    return client


def post(client, path, data=None, **kwargs):
    """POST a form with the client's CSRF token (read once per session from a page)."""
    data = dict(data or {})
    if "csrf_token" not in data:
        if getattr(client, "irflow_csrf_token", None) is None:
            client.irflow_csrf_token = client.csrf_token()
        data["csrf_token"] = client.irflow_csrf_token
    return client.post(path, data=data, **kwargs)


def forget_csrf_token(client):
    """After a login or logout the session, and with it the token, is new."""
    client.irflow_csrf_token = None


def text_of(response):
    """The page as text with entities decoded (quotes and apostrophes are escaped in HTML)."""
    return html.unescape(response.get_data(as_text=True))


def follow(client, response):
    assert response.status_code in (302, 303), response.status_code
    return client.get(response.headers["Location"])


def upload(client, application_id, kind, content=PDF, filename="document.pdf"):
    return post(
        client, f"/applications/{application_id}/documents", {"kind": kind, "file": (io.BytesIO(content), filename)}
    )


def fire(client, application_id, trigger, comment="", version=None, **extra):
    if version is None:
        version = current_version(application_id)
    return post(
        client, f"/applications/{application_id}/fire/{trigger}", {"comment": comment, "version": str(version), **extra}
    )


def current_version(application_id):
    db.session.expire_all()
    return db.session.get(Application, application_id).version


def edit_data(application, **overrides):
    """A complete, valid edit form for `application` (its call's first two hosts)."""
    places = application.call.places
    data = {
        "version": str(application.version),
        "first_choice": str(places[0].id),
        "second_choice": str(places[1].id),
        "third_choice": "",
        "motivation": "To learn how partner universities teach data science.",
        "average_grade": "4.25",
        "language": "English",
        "cefr_level": "B2",
        "planned_start": "2027-02-01",
        "planned_end": "2027-06-30",
    }
    data.update(overrides)
    return data


def documents_of(application_id):
    return db.session.scalars(
        db.select(Document).where(Document.application_id == application_id).order_by(Document.id)
    ).all()


def stored_files(app):
    folder = app.config["UPLOAD_FOLDER"]
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def field_error(page_text, field_id):
    """The error shown next to the field with `field_id` (the text of its invalid-feedback),
    or None. Each field sits in its own `mb-3` block (templates/_macros/forms.html)."""
    start = page_text.find(f'id="{field_id}"')
    assert start != -1, f"no field {field_id}"
    end = page_text.find('<div class="mb-3">', start)
    block = page_text[start : end if end != -1 else None]
    match = re.search(r'<div class="invalid-feedback">([^<]+)</div>', block)
    return match.group(1).strip() if match else None
