"""security events keep a digest of a typed e-mail, never the address

The log is append-only and no purge of personal data reaches it: an e-mail typed for no
account (a failed login, a reset) is kept as the first 16 hex digits of HMAC-SHA256 keyed
from SECRET_KEY (irflow/events.py email_digest). The addresses already written are turned
into their digests here, then the column that held them is dropped.

Revision ID: a2ddfd62b3f8
Revises: 24494215cdb2
Create Date: 2026-12-01 09:32:25.104600

"""
import hashlib
import hmac

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'a2ddfd62b3f8'
down_revision = '24494215cdb2'
branch_labels = None
depends_on = None

# As in irflow/events.py at this revision (a revision does not import the application).
_DIGEST_KEY_PURPOSE = b"irflow-security-event-email"


def _digest(key, email):
    return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _digest_the_typed_addresses():
    bind = op.get_bind()
    events = sa.table(
        "security_events", sa.column("id", sa.Integer), sa.column("email", sa.String), sa.column("email_digest", sa.String)
    )
    rows = bind.execute(sa.select(events.c.id, events.c.email).where(events.c.email.is_not(None))).all()
    if not rows:
        return
    secret = current_app.config["SECRET_KEY"]
    key = hmac.new(secret.encode("utf-8"), _DIGEST_KEY_PURPOSE, hashlib.sha256).digest()
    on_postgresql = bind.dialect.name == "postgresql"
    if on_postgresql:  # the trigger that keeps the log append-only, for this one rewrite
        op.execute("ALTER TABLE security_events DISABLE TRIGGER security_events_append_only")
    for event_id, email in rows:
        bind.execute(sa.update(events).where(events.c.id == event_id).values(email_digest=_digest(key, email)))
    if on_postgresql:
        op.execute("ALTER TABLE security_events ENABLE TRIGGER security_events_append_only")


def upgrade():
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_digest', sa.String(length=16), nullable=True))
    _digest_the_typed_addresses()
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.create_index('ix_security_events_email_digest_created_at', ['email_digest', 'created_at'], unique=False)
        batch_op.drop_column('email')


def downgrade():
    # The addresses cannot come back from their digests: the old column returns empty.
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.VARCHAR(length=254), nullable=True))
        batch_op.drop_index('ix_security_events_email_digest_created_at')
        batch_op.drop_column('email_digest')
