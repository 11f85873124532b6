"""What tagging returns: per comment, a score per theme and the suggested codes with evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Source = Literal["rule", "model"]


@dataclass(frozen=True)
class Evidence:
    """A stretch of the comment behind a suggestion: a pattern match or the deciding sentence."""

    text: str
    start: int  # character offsets into the comment, end exclusive
    end: int
    kind: Literal["pattern", "sentence"]


@dataclass(frozen=True)
class Suggestion:
    theme: str
    label: str
    score: float
    source: Source
    evidence: tuple[Evidence, ...] = ()


@dataclass
class CommentResult:
    text: str
    scores: dict[str, float] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The suggested theme ids, in codebook order."""
        return [s.theme for s in self.suggestions]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "codes": self.codes,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "suggestions": [asdict(s) for s in self.suggestions],
        }
