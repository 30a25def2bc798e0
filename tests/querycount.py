"""Counting SQL statements, for the tests that prove a page's query count is constant."""

from contextlib import contextmanager

import sqlalchemy as sa

from irflow.extensions import db


@contextmanager
def counting_statements():
    """Yields the list of SQL statements executed inside the block."""
    statements = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
