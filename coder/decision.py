"""How theme probabilities and rule matches become codes. Shared by tagging and training."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass
class Decision:
    """Learned in training: per-theme thresholds, which rules may code alone, and how sure they are.

    A theme is coded when its probability reaches its threshold, or when one of its patterns
    matched (not negated) and its rules are trusted. With `at_least_one`, a non-empty comment that
    reaches no threshold gets its relatively most likely theme.
    """

    thresholds: dict[str, float]
    trust_rules: dict[str, bool]
    rule_precision: dict[str, float]
    at_least_one: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], theme_ids: Sequence[str]) -> Decision:
        return cls(
            thresholds={t: float(data["thresholds"][t]) for t in theme_ids},
            trust_rules={t: bool(data["trust_rules"].get(t, False)) for t in theme_ids},
            rule_precision={t: float(data["rule_precision"].get(t, 0.5)) for t in theme_ids},
            at_least_one=bool(data.get("at_least_one", False)),
        )

    def arrays(self, theme_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        thresholds = np.array([self.thresholds[t] for t in theme_ids], dtype=np.float32)
        trusted = np.array([self.trust_rules.get(t, False) for t in theme_ids], dtype=bool)
        return thresholds, trusted


def decide(
    probs: np.ndarray,
    rule_hits: np.ndarray,
    nonempty: np.ndarray,
    decision: Decision,
    theme_ids: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """(coded, by_rule): 0/1 matrices, comments x themes. `by_rule` marks codes that a trusted
    pattern match gives (whatever the classifier says); an empty comment is never coded."""
    thresholds, trusted = decision.arrays(theme_ids)
    by_rule = rule_hits & trusted
    coded = ((probs >= thresholds) | by_rule) & nonempty[:, None]
    if decision.at_least_one and probs.shape[1]:
        empty_rows = np.flatnonzero(~coded.any(axis=1) & nonempty)
        best = np.argmax(probs[empty_rows] / np.maximum(thresholds, 1e-6), axis=1)
        coded[empty_rows, best] = True
    return coded, by_rule
