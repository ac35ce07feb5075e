class DomainError(Exception):
    """A rule of the store refused the action; the message is shown to the person who tried it."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)
