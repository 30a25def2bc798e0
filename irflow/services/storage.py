"""Uploaded documents: recognised by content, stored under generated names outside the
web root, handed out only by views that have checked access first."""
import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app, send_file
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

# Magic bytes of the only kinds accepted; the name and the browser's claim are not trusted.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
CHUNK = 64 * 1024


class UploadError(ValueError):
    """The upload was refused; the message is for the user."""


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def sniff(head):
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None, None


def clean_original_name(filename, extension):
    """A display name safe to send back: no path, no control characters, sensible extension."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "document"
    stem, current_extension = os.path.splitext(name)
    if current_extension.lower() not in {extension, ".jpeg" if extension == ".jpg" else extension}:
        name = stem + extension
    return name[-200:]


def folder():
    path = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(path, exist_ok=True)
    return path


def save_upload(file_storage):
    """Check and store an uploaded file; raises UploadError with a message for the user."""
    if file_storage is None or not file_storage.filename:
        raise UploadError(_("Choose a file to upload."))
    stream = file_storage.stream
    head = stream.read(16)
    if not head:
        raise UploadError(_("The file is empty."))
    content_type, extension = sniff(head)
    if content_type is None:
        raise UploadError(_("Only PDF, JPEG and PNG files are accepted."))
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    stored_name = secrets.token_hex(16) + extension
    target = os.path.join(folder(), stored_name)
    digest = hashlib.sha256(head)
    size = len(head)
    try:
        with open(target, "xb") as out:
            out.write(head)
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if limit and size > limit:
                    raise UploadError(_("The file is larger than %(size)s MB.", size=limit // (1024 * 1024)))
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        if os.path.exists(target):
            os.remove(target)
        raise
    return StoredFile(stored_name, clean_original_name(file_storage.filename, extension), content_type, size,
                      digest.hexdigest())


def path_of(stored_name):
    # Stored names are generated hex; anything else never reaches the disk.
    if not stored_name or secure_filename(stored_name) != stored_name or "/" in stored_name:
        raise FileNotFoundError(stored_name)
    return os.path.join(folder(), stored_name)


def delete(stored_name):
    try:
        os.remove(path_of(stored_name))
    except FileNotFoundError:
        pass


def send(stored_name, original_name, content_type):
    """The file as an attachment (never rendered inline by the browser)."""
    response = send_file(path_of(stored_name), mimetype=content_type, as_attachment=True,
                         download_name=original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
