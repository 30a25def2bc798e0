from .base import PROGRAM_KINDS, UTCDateTime, db, enum_check, sa, utcnow
from .translated import translated, translated_columns


class Program(db.Model):
    __tablename__ = "programs"
    __table_args__ = (enum_check("kind", PROGRAM_KINDS),)

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(300), nullable=False, unique=True)
    kind = sa.Column(sa.String(20), nullable=False, index=True)
    funder = sa.Column(sa.String(300))
    description_en, description_ru, description_tg = translated_columns(sa.Text)
    description = translated("description")
    website = sa.Column(sa.String(300))
    published = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    calls = db.relationship("Call", back_populates="program", order_by="Call.closes_at.desc()")

    def __repr__(self):
        return f"<Program {self.name}>"
