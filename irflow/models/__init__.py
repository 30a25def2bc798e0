"""Every model, so that `from irflow.models import X` works and Alembic sees all tables."""

from .application import Application, ApplicationChoice
from .application_count import ApplicationCount, ParticipantCount
from .call import Call, CallPlace, Criterion, call_examiners
from .document import Document
from .faculty import Faculty
from .grant import GrantAgreement, GrantCountryGroup, GrantPayment, GrantRules, GrantTravelBand
from .group_message import GroupMessage
from .learning_agreement import (
    LearningAgreement,
    LearningAgreementChange,
    LearningAgreementChangeRow,
    LearningAgreementCourse,
)
from .log import TransitionLog
from .login_attempt import LoginAttempt
from .notice_text import NoticeText
from .notification import Notification
from .participant_data import ParticipantData
from .partner import Agreement, Partner
from .password_reset_request import PasswordResetRequest
from .predeparture import PredepartureItem, PredepartureItemChange
from .program import Program
from .recognition import Recognition
from .report import ReturnReport
from .score import Score
from .security_event import SecurityEvent
from .staff_agreement import StaffMobilityAgreement
from .stay_change import StayChange
from .two_factor import RecoveryCode, TwoFactorCredential
from .user import User, UserRole, coordinator_faculties
from .user_session import UserSession

__all__ = [
    "Agreement",
    "Application",
    "ApplicationChoice",
    "ApplicationCount",
    "Call",
    "CallPlace",
    "Criterion",
    "Document",
    "Faculty",
    "GrantAgreement",
    "GrantCountryGroup",
    "GrantPayment",
    "GrantRules",
    "GrantTravelBand",
    "GroupMessage",
    "LearningAgreement",
    "LearningAgreementChange",
    "LearningAgreementChangeRow",
    "LearningAgreementCourse",
    "LoginAttempt",
    "NoticeText",
    "PredepartureItem",
    "PredepartureItemChange",
    "Notification",
    "ParticipantCount",
    "ParticipantData",
    "Partner",
    "PasswordResetRequest",
    "Program",
    "Recognition",
    "RecoveryCode",
    "ReturnReport",
    "Score",
    "SecurityEvent",
    "StaffMobilityAgreement",
    "StayChange",
    "TransitionLog",
    "TwoFactorCredential",
    "User",
    "UserRole",
    "UserSession",
    "call_examiners",
    "coordinator_faculties",
]
