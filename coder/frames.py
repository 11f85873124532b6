"""Tagging a pandas DataFrame column (pandas is optional: `pip install coder[pandas]`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coder.errors import InputError
from coder.writers import added_columns

if TYPE_CHECKING:
    from coder.model import ThemeModel


def tag_frame(model: ThemeModel, frame: Any, column: str) -> Any:
    """A copy of `frame` with the columns `coder tag --format wide` adds."""
    if not hasattr(frame, "columns"):
        raise InputError(
            "tag_frame takes a DataFrame and the name of its text column; for a Series, use "
            "model.tag(series.tolist())"
        )
    if column not in frame.columns:
        listed = ", ".join(map(str, frame.columns))
        raise InputError(f"no column '{column}' in the DataFrame; the columns are: {listed}")
    values = frame[column]
    if values.ndim != 1:
        raise InputError(f"the DataFrame has {values.shape[1]} columns named '{column}'")
    # object first: a categorical column (read_spss, read_stata) takes no new value ""
    texts = values.astype(object).where(values.notna(), "").tolist()
    results = list(model.tag(texts))
    ids = model.theme_ids
    names = added_columns([str(c) for c in frame.columns], ids)
    out = frame.copy()
    for theme in ids:
        out[names[theme]] = [int(theme in r.codes) for r in results]
    for theme in ids:
        out[names[f"{theme}_score"]] = [r.scores[theme] for r in results]
    out[names["codes"]] = [r.codes for r in results]
    return out
