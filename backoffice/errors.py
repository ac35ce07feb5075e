class DomainError(Exception):
    """A rule of the store refused the action; the message is shown to the person who tried it."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class ReplyOverlap(DomainError):
    """Someone else replied to the customer after the agent's page last showed the timeline: the agent reads that
    reply first, and may then send theirs anyway."""
