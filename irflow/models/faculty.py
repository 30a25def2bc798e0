from .base import db, sa


class Faculty(db.Model):
    __tablename__ = "faculties"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(200), nullable=False, unique=True)
    code = sa.Column(sa.String(20), nullable=False, unique=True)

    def __repr__(self):
        return f"<Faculty {self.code}>"
