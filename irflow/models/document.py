from .. import upload_folder
from .base import DOCUMENT_KINDS, UTCDateTime, db, enum_check, sa, utcnow


class Document(db.Model):
    """An uploaded file of an application.

    A removed or replaced document is kept (soft delete): its row records who removed it
    and when (and the document that replaced it), its file stays on disk, and staff may
    still open it. Only current documents count, and only while their file is there.
    """

    __tablename__ = "documents"
    __table_args__ = (
        enum_check("kind", DOCUMENT_KINDS),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.CheckConstraint(
            "deleted_at IS NOT NULL OR (deleted_by_id IS NULL AND replaced_by_id IS NULL)", name="removal_recorded"
        ),
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
    deleted_at = sa.Column(UTCDateTime)
    deleted_by_id = sa.Column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    replaced_by_id = sa.Column(sa.ForeignKey("documents.id", ondelete="SET NULL"))

    application = db.relationship("Application", back_populates="documents")
    uploaded_by = db.relationship("User", foreign_keys=[uploaded_by_id])
    deleted_by = db.relationship("User", foreign_keys=[deleted_by_id])
    replaced_by = db.relationship("Document", remote_side=[id], foreign_keys=[replaced_by_id])

    @property
    def is_current(self):
        return self.deleted_at is None

    def file_present(self):
        """True when the file is on disk (a stat, never a query: list pages may ask per row)."""
        return upload_folder.exists(self.stored_name)

    def counts(self):
        """Current and with its file: the only documents guards and checklists count."""
        return self.is_current and self.file_present()

    def remove(self, user, now, replaced_by=None):
        self.deleted_at = now
        self.deleted_by_id = user.id
        self.replaced_by = replaced_by
