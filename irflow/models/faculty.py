from .base import db, sa
from .translated import one_language_given, translated, translated_columns


class Faculty(db.Model):
    __tablename__ = "faculties"
    __table_args__ = (one_language_given("name"),)

    id = sa.Column(sa.Integer, primary_key=True)
    # Each language's name is unique on its own.
    name_en, name_ru, name_tg = translated_columns(sa.String(200), unique=True)
    name = translated("name")
    code = sa.Column(sa.String(20), nullable=False, unique=True)

    def __repr__(self):
        return f"<Faculty {self.code}>"
