"""One exception type for every problem a user can cause (bad file, wrong spec, ...).

The CLI prints its message on one line and exits with code 2; library users catch it.
"""


class InreditError(Exception):
    """A user-facing error whose message names the file (if any) and the problem."""

    def __init__(self, message: str, path: object | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path is not None else message)
