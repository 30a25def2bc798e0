"""Case-insensitive 'contains' search over text columns, for list filters.

`lower()` folds Cyrillic on PostgreSQL, and on SQLite too because create_app replaces
SQLite's ASCII-only lower() with Python's str.lower on every connection."""

import sqlalchemy as sa


def like_pattern(text):
    """`text` anywhere, with LIKE's wildcards in it searched for literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(columns, text):
    pattern = like_pattern(text.lower())
    return sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in columns))
