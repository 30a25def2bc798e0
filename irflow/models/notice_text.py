from .base import LOCALES, UTCDateTime, db, enum_check, sa, utcnow


class NoticeText(db.Model):
    """The head's own text of an automatic notice (`kind`: the workflow trigger it follows)
    in one language, used instead of the built-in template (irflow/workflow/notice_texts.py).
    No row: the built-in template."""

    __tablename__ = "notice_texts"
    __table_args__ = (
        enum_check("language", LOCALES),
        sa.UniqueConstraint("kind", "language", name="uq_notice_texts_kind_language"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(40), nullable=False)
    language = sa.Column(sa.String(5), nullable=False)
    subject = sa.Column(sa.String(200), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = db.relationship("User")
