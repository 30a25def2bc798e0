from ..errors import Refused


class WorkflowError(Refused):
    """A trigger was refused. `message` is for the user; `problems` lists each unmet condition."""
