"""Uploaded documents: recognised by content, stored under generated names outside the
web root, handed out only by views that have checked access first."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from flask import current_app, send_file
from flask_babel import gettext as _

from ..upload_folder import exists, folder, path_of  # noqa: F401  (part of storage's own interface)

if TYPE_CHECKING:
    from flask import Response
    from werkzeug.datastructures import FileStorage

# Magic bytes of the only kinds accepted; the name and the browser's claim are not trusted.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
CHUNK = 64 * 1024
# A file input's `accept` for the kinds above: what a phone's picker offers first. Only a
# hint; the content decides.
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class UploadError(ValueError):
    """The upload was refused; the message is for the user."""


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> tuple[str, str] | tuple[None, None]:
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None, None


def clean_original_name(filename: str | None, extension: str) -> str:
    """A display name safe to send back: no path, no control characters, sensible extension."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "document"
    stem, current_extension = os.path.splitext(name)
    if current_extension.lower() not in {extension, ".jpeg" if extension == ".jpg" else extension}:
        name = stem + extension
    return name[-200:]


# A file is written under its name with this suffix and renamed into place only once its
# row exists: a worker killed meanwhile leaves a temporary file (or a file without a row),
# never a half-written file under a real name. `flask storage-check` removes such leftovers.
TEMPORARY_SUFFIX = ".part"
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class StorageError(UploadError):
    """The server could not store the file (disk full, folder not writable): not the user's doing."""


def _storage_error(error: OSError) -> StorageError:
    current_app.logger.error("could not store an upload: %s", error)
    if error.errno in DISK_FULL:
        return StorageError(
            _(
                "The server's storage is full, so the document could not be saved. Nothing was "
                "saved; try again later, and tell the office if it keeps happening."
            )
        )
    if error.errno in NOT_WRITABLE:
        return StorageError(
            _(
                "The server's storage cannot be written to, so the document could not be saved. "
                "Nothing was saved; try again later, and tell the office if it keeps happening."
            )
        )
    return StorageError(
        _(
            "The server could not store the document. Nothing was saved; try again later, "
            "and tell the office if it keeps happening."
        )
    )


def _write(out: IO[bytes], data: bytes) -> None:
    # The one place bytes reach the disk (tests make it fail as a full disk would).
    out.write(data)


def save_upload(
    file_storage: FileStorage | None, room: int | None = None, room_message: str | None = None
) -> StoredFile:
    """Check an uploaded file and write it under a temporary name; `place()` puts it under
    its stored name. Raises UploadError with a message for the user; a StorageError when
    the disk refused. `room`: bytes the application still has; more is refused with
    `room_message`."""
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
    digest = hashlib.sha256(head)
    size = len(head)
    target = None
    try:
        target = os.path.join(folder(), stored_name + TEMPORARY_SUFFIX)
        with open(target, "xb") as out:
            chunk = head
            while chunk:
                if limit and size > limit:
                    raise UploadError(_("The file is larger than %(size)s MB.", size=limit // (1024 * 1024)))
                if room is not None and size > room:
                    raise UploadError(room_message)
                _write(out, chunk)
                chunk = stream.read(CHUNK)
                size += len(chunk)
                digest.update(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException as error:
        if target is not None:
            _remove_quietly(target)
        if isinstance(error, OSError):
            raise _storage_error(error) from error
        raise
    return StoredFile(
        stored_name, clean_original_name(file_storage.filename, extension), content_type, size, digest.hexdigest()
    )


def place(stored: StoredFile) -> None:
    """Rename the written file into place; call once its row is flushed, commit after."""
    try:
        os.replace(path_of(stored.stored_name) + TEMPORARY_SUFFIX, path_of(stored.stored_name))
    except OSError as error:
        raise _storage_error(error) from error


def discard(stored: StoredFile) -> None:
    """Undo save_upload (and place): the upload was refused or its row not committed."""
    for name in (stored.stored_name + TEMPORARY_SUFFIX, stored.stored_name):
        _remove_quietly(os.path.join(folder(), name))


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def delete(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path_of(stored_name))


def send(stored_name: str, original_name: str, content_type: str) -> Response:
    """The file as an attachment (never rendered inline by the browser)."""
    response = send_file(
        path_of(stored_name), mimetype=content_type, as_attachment=True, download_name=original_name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
