"""A comment's scores as the project stores them: the id of the codebook its run used, then that
codebook's codable themes' probabilities as 8-byte floats in its order: a quarter to an eighth
of the same scores as JSON, by the length of the theme ids (20,000 NHS comments under the
32-theme model: a project of 15.7 MB, 37.2 MB with JSON). Exact: a stored score reads back as
the same float.

The codebook id travels with the scores because codebooks are never changed or removed, while a
run id can be used again (a run discarded, then another added). Scores over any other set of
themes, and rows stored before this format (schema 9 and older), are JSON text; `unpack` reads
either."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Mapping, Sequence

_BOOK = struct.Struct("<I")


def pack(scores: Mapping[str, float], codebook_id: int, ids: Sequence[str]) -> bytes | str:
    """`scores` as stored for a run under codebook `codebook_id`, whose codable themes are
    `ids`."""
    if len(scores) == len(ids) and scores.keys() == set(ids):
        return struct.pack(f"<I{len(ids)}d", codebook_id, *(scores[theme] for theme in ids))
    return json.dumps(dict(scores))


def unpack(stored: bytes | str, ids_of: Callable[[int], Sequence[str]]) -> dict[str, float]:
    """The scores `pack` stored; `ids_of` gives a codebook's codable theme ids by its id."""
    if isinstance(stored, bytes):
        (codebook_id,) = _BOOK.unpack_from(stored)
        ids = ids_of(codebook_id)
        return dict(zip(ids, struct.unpack_from(f"<{len(ids)}d", stored, _BOOK.size), strict=True))
    return json.loads(stored)
