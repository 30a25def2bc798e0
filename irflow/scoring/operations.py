"""Saving scores: the score sheet and a checked CSV file both end here, in one
transaction: every row is saved, or (a refusal rolls the request back) none is.

Nothing here commits; the request commits once when the view has succeeded.
"""

from dataclasses import dataclass

from ..extensions import db
from ..models import Score
from ..models.base import utcnow
from ..workflow import fire
from ..workflow.allocation import total_score
from .sheet import ABSENT, CORRECT, NOTHING, RECORD, score_changes, scores_by_criterion


@dataclass
class Counts:
    scored: int = 0
    absent: int = 0
    corrected: int = 0
    partial: int = 0

    @property
    def total(self):
        return self.scored + self.absent + self.corrected + self.partial


def save_scores(call, applications, rows, examiner, check):
    """Write what `check` (from check_rows, and ok) allows and return the Counts. Raises
    WorkflowError (a Refused) when fire() refuses: the request is then rolled back, so that
    nothing of the sheet or the file is saved."""
    assert check.ok, "save_scores needs rows that passed check_rows"
    counts = Counts()
    now = utcnow()
    for row in rows:
        application = applications.get(row.application_id)
        plan = check.plans.get(row.application_id, NOTHING)
        if application is None or plan == NOTHING:
            continue
        changes = score_changes(application, row)
        if changes:
            _write_scores(application, changes, examiner, now)
            # Scores belong to the application: changing them moves its version, so that a
            # sheet opened before this save cannot overwrite them unnoticed.
            application.updated_at = now
        if plan == ABSENT:
            fire(application, "mark_absent", examiner)
            counts.absent += 1
        elif plan == RECORD:
            fire(application, "record_score", examiner)
            counts.scored += 1
        elif plan == CORRECT:
            application.total_score = total_score(application, application.scores)
            counts.corrected += 1
        else:
            counts.partial += 1
    # Written now: a row someone else saved meanwhile is refused here, before success is reported.
    db.session.flush()
    return counts


def _write_scores(application, changes, examiner, now):
    existing = scores_by_criterion(application)
    for criterion_id, value in changes.items():
        score = existing.get(criterion_id)
        if value is None:
            application.scores.remove(score)
        elif score is None:
            application.scores.append(
                Score(
                    criterion_id=criterion_id,
                    value=value,
                    examiner_id=examiner.id,
                    recorded_at=now,
                )
            )
        else:
            score.value = value
            score.examiner_id = examiner.id
            score.recorded_at = now
