"""Where uploaded files live on disk: the one fact both the model (is a document's file
there?) and the storage service (writing, sending, deleting) need."""

from __future__ import annotations

import os

from flask import current_app
from werkzeug.utils import secure_filename


def folder() -> str:
    path = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(path, exist_ok=True)
    return path


def path_of(stored_name: str) -> str:
    # Stored names are generated hex; anything else never reaches the disk.
    if not stored_name or secure_filename(stored_name) != stored_name or "/" in stored_name:
        raise FileNotFoundError(stored_name)
    return os.path.join(folder(), stored_name)


def exists(stored_name: str) -> bool:
    try:
        return os.path.isfile(path_of(stored_name))
    except FileNotFoundError:
        return False
