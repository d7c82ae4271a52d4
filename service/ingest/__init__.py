"""Readers that turn a source (report text, tidy CSV) into figures for the one cube builder."""


class IngestError(ValueError):
    """A source that cannot be read unambiguously; the message names the line and what was wrong."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)
