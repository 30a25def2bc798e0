"""The one kind of error a use case raises to refuse: it carries a message for the user.

The web layer (irflow/web/errors.py) turns it into a flash and a redirect back, or into the
page a view has named for it, after rolling back the request's work."""


class Refused(Exception):
    """`message` is for the user; `problems` lists each unmet condition."""

    def __init__(self, message, problems=()):
        super().__init__(str(message))
        self.message = str(message)
        self.problems = [str(problem) for problem in problems]

    def __str__(self):
        if not self.problems:
            return self.message
        return f"{self.message} " + " ".join(self.problems)
