"""Where the codebooks and models that ship with coder live, in a wheel or a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# A wheel carries copies under coder/_shipped/; a source checkout has them beside the package.
_ROOTS = (_PACKAGE / "_shipped", _PACKAGE.parent)

DEFAULT_MODEL = "coproduction"


def shipped(kind: str, name: str) -> Path | None:
    """The shipped `codebooks/NAME.yaml` or `models/NAME`, if there is one."""
    relative = Path(kind) / (f"{name}.yaml" if kind == "codebooks" else name)
    for root in _ROOTS:
        candidate = root / relative
        if candidate.exists():
            return candidate
    return None


def resolve(kind: str, name_or_path: str) -> Path:
    """A path as given if it exists, else the shipped codebook or model of that name."""
    path = Path(name_or_path)
    if path.exists():
        return path
    found = shipped(kind, name_or_path)
    return found if found is not None else path
