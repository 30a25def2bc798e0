from .base import DOCUMENT_KINDS, UTCDateTime, db, enum_check, sa, utcnow


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (
        enum_check("kind", DOCUMENT_KINDS),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.Index("ix_documents_application_id_kind", "application_id", "kind"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    application_id = sa.Column(sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False)
    kind = sa.Column(sa.String(40), nullable=False)
    original_name = sa.Column(sa.String(255), nullable=False)
    stored_name = sa.Column(sa.String(64), nullable=False, unique=True)
    content_type = sa.Column(sa.String(100), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    sha256 = sa.Column(sa.String(64), nullable=False)
    uploaded_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)
    uploaded_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    application = db.relationship("Application", back_populates="documents")
    uploaded_by = db.relationship("User")
