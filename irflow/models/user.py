from flask_login import UserMixin

from .base import CATEGORIES, LOCALES, ROLES, UTCDateTime, db, enum_check, sa, utcnow

coordinator_faculties = sa.Table(
    "coordinator_faculties",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("faculty_id", sa.ForeignKey("faculties.id", ondelete="CASCADE"), primary_key=True),
)


class UserRole(db.Model):
    """A role beyond `applicant`, which every active user holds."""

    __tablename__ = "user_roles"
    __table_args__ = (enum_check("role", ROLES),)

    user_id = sa.Column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role = sa.Column(sa.String(20), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        enum_check("category", CATEGORIES),
        enum_check("locale", LOCALES),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    full_name_native = sa.Column(sa.String(200), nullable=False)
    full_name_latin = sa.Column(sa.String(200), nullable=False)
    category = sa.Column(sa.String(20), nullable=False)
    faculty_id = sa.Column(sa.ForeignKey("faculties.id", ondelete="RESTRICT"), index=True)
    phone = sa.Column(sa.String(40))
    # None until the user chooses (registration, the switcher, the profile): pages follow the
    # browser meanwhile, and the language picked before logging in is kept at the login.
    locale = sa.Column(sa.String(5))
    timezone = sa.Column(sa.String(64), nullable=False, default="Asia/Dushanbe")
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = sa.Column(UTCDateTime)
    # Set when the owner opened the link mailed to `email` (accounts made by the office count
    # as verified); an unverified applicant may prepare a draft but not submit it.
    email_verified_at = sa.Column(UTCDateTime)
    # When the user agreed to the privacy notice at registration.
    privacy_consent_at = sa.Column(UTCDateTime)
    # Set when `purge-personal-data` replaced the person's data with placeholders: never again.
    anonymised_at = sa.Column(UTCDateTime)

    faculty = db.relationship("Faculty")
    role_rows = db.relationship("UserRole", cascade="all, delete-orphan", lazy="selectin")
    coordinated_faculties = db.relationship(
        "Faculty", secondary=coordinator_faculties, lazy="selectin", order_by="Faculty.code"
    )

    # --- Flask-Login -------------------------------------------------------
    # The cookies carry the token of one login (a UserSession row), never the user's id:
    # irflow/auth/sessions.py sets it when the login starts or is loaded.
    login_token = None

    def get_id(self):
        return self.login_token

    # UserMixin compares get_id(), which is None for every user not logged in: compare the
    # account instead (the same row is the same user, logged in or not).
    def __eq__(self, other):
        if not isinstance(other, User):
            return NotImplemented
        if self.id is None or other.id is None:
            return self is other
        return self.id == other.id

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self):
        return hash((User, self.id)) if self.id is not None else object.__hash__(self)

    @property
    def is_active(self):
        return self.active

    @property
    def email_verified(self):
        return self.email_verified_at is not None

    @property
    def is_staff(self):
        """Coordinators, examiners, heads and admins: shorter sessions, no remember-me."""
        return bool(self.roles & set(ROLES))

    # --- roles -------------------------------------------------------------
    @property
    def roles(self):
        return {row.role for row in self.role_rows}

    def has_role(self, role):
        """`applicant` is every active user; `admin` may do all that `head` may."""
        if not self.active:
            return False
        if role == "applicant":
            return True
        held = self.roles
        return role in held or (role == "head" and "admin" in held)

    def set_roles(self, roles):
        wanted = set(roles)
        unknown = wanted - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - self.roles)
        ]

    @property
    def coordinated_faculty_ids(self):
        return {faculty.id for faculty in self.coordinated_faculties}

    def __repr__(self):
        return f"<User {self.email}>"
