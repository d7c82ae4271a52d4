"""Ingest: a source in, its figures published into data/ or nothing changed.

It owns the readers that turn a source into figures for the one cube builder (``report``: an annual
report's text, every era's layouts; ``tidy_csv``: the tidy CSV layout; ``notes``: what a note says of a
figure) and the publishing step (``publish``): an additive merge into ``data/sources/``, validated
before anything is written, the headline layer derived again, and data/ swapped in one rename.
"""


class IngestError(ValueError):
    """A source that cannot be read unambiguously; the message names the line and what was wrong."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)
