"""The application workflow: states, transitions, guards, permissions and fire().

The engine is loaded on first use (PEP 562) because models import the state lists from
here, and the engine in turn imports the models.
"""

from .errors import WorkflowError
from .states import (
    FINAL_STATES,
    HOLDING_STATES,
    STATE_LABELS,
    STATES,
    TRANSITIONS,
    TRANSITIONS_BY_TRIGGER,
    TRIGGERS,
)

_ENGINE_NAMES = {"fire", "available_actions", "promote_waiting_list", "machine"}


def __getattr__(name):
    if name in _ENGINE_NAMES:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)


__all__ = [
    "WorkflowError",
    "FINAL_STATES",
    "HOLDING_STATES",
    "STATE_LABELS",
    "STATES",
    "TRANSITIONS",
    "TRANSITIONS_BY_TRIGGER",
    "TRIGGERS",
    *sorted(_ENGINE_NAMES),
]
