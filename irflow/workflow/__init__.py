"""The application workflow: the transition table, guards, permissions and fire(), the one
door through which an application changes state. The states themselves live beside the
model (irflow/models/states.py)."""

from ..models.states import FINAL_STATES, HOLDING_STATES, STATE_LABELS, STATES
from .engine import available_actions, fire, machine, promote_waiting_list
from .errors import WorkflowError
from .states import TRANSITIONS, TRANSITIONS_BY_TRIGGER, TRIGGERS

__all__ = [
    "FINAL_STATES",
    "HOLDING_STATES",
    "STATE_LABELS",
    "STATES",
    "TRANSITIONS",
    "TRANSITIONS_BY_TRIGGER",
    "TRIGGERS",
    "WorkflowError",
    "available_actions",
    "fire",
    "machine",
    "promote_waiting_list",
]
