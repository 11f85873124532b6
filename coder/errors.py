"""The exceptions coder raises. The CLI turns each into `Error: ...` on stderr and exit 1."""

from __future__ import annotations

from collections.abc import Sequence

MAX_LISTED = 20  # problems an error message lists before "... and N more"


def listed(problems: Sequence[str], most: int = MAX_LISTED) -> str:
    """Problems one per line, the first `most` of them, then how many more there are."""
    more = f"\n... and {len(problems) - most} more" if len(problems) > most else ""
    return "\n".join(problems[:most]) + more


class CoderError(Exception):
    """Base class: a problem the user can fix; the message says how."""


class CodebookError(CoderError):
    """A codebook that cannot be used; `problems` lists every problem found, with its location."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid codebook {path} ({count}):\n" + "\n".join(problems))


class InputError(CoderError):
    """An input file that cannot be read as comments."""


class LabelError(InputError):
    """A labelled file that names themes the codebook does not have."""


class ModelError(CoderError):
    """A model folder that is missing, corrupt, or does not fit the codebook."""


class OutputError(CoderError):
    """An output path that cannot or must not be written."""


class StoreError(CoderError):
    """A project database that cannot be opened, is not a coder project, or is too new."""


class AgreementError(CoderError):
    """Codings from which agreement between coders cannot be computed."""


class ChangedError(CoderError):
    """What a reviewer was shown changed in the project meanwhile (another reviewer, an
    import, a re-score); the decision was not recorded."""
