class WorkflowError(Exception):
    """A trigger was refused. `message` is for the user; `problems` lists each unmet condition."""

    def __init__(self, message, problems=()):
        super().__init__(str(message))
        self.message = str(message)
        self.problems = [str(problem) for problem in problems]

    def __str__(self):
        if not self.problems:
            return self.message
        return f"{self.message} " + " ".join(self.problems)
