"""coder: offline coding of free-text comments into qualitative themes.

>>> from coder import load_codebook, load_model
>>> model = load_model("models/coproduction")
>>> [r.codes for r in model.tag(["It felt like a box-ticking exercise."])]
[['box_ticking']]
"""

__version__ = "0.1.0"

from coder.codebook import Codebook, Theme
from coder.codebook_io import load_codebook
from coder.errors import CoderError
from coder.model import ThemeModel, load_model
from coder.results import CommentResult, Evidence, Suggestion
from coder.training import cold_start, train

__all__ = [
    "Codebook",
    "CoderError",
    "CommentResult",
    "Evidence",
    "Suggestion",
    "Theme",
    "ThemeModel",
    "__version__",
    "cold_start",
    "load_codebook",
    "load_model",
    "train",
]
