"""The spaCy pipeline: tokenizer, sentences, lookup lemmas, codebook rules, theme classifier."""

from __future__ import annotations

from functools import cache
from typing import Any

import spacy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc

from coder.codebook import Codebook
from coder.errors import ModelError

# Bound on cached words, as in coder.features: a file full of ids or numbers must not grow it.
_CACHE_LIMIT = 20_000


@cache
def lemma_table() -> Any:
    """English lookup lemmas (a spaCy Table keyed by string hashes), loaded once per process."""
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


class LookupLemmatizer:
    """Case-insensitive lookup lemmas from spacy-lookups-data: 'Ticking' -> 'tick', 'was' -> 'be',
    a curly apostrophe read as a straight one: 'n’t' -> 'not'.

    spaCy's own lookup mode is case-sensitive and misses capitalised words at the start of a
    sentence, which matters for patterns matched on lemmas.
    """

    def __init__(self, name: str = "coder_lemmatizer"):
        self.name = name
        # orth -> the lemma's hash, or 0 where the lemma is the lower-case form itself
        self._cache: dict[int, int] = {}

    def __call__(self, doc: Doc) -> Doc:
        cache, strings, table = self._cache, doc.vocab.strings, lemma_table()
        for token in doc:
            lemma = cache.get(token.orth)
            if lemma is None:
                lower = token.lower_
                # phones and Word type ’ for ': "don’t" is "do n’t", whose lemma is "not" too
                known = table.get(lower.replace("’", "'"), lower)
                # Lemmas from the table are few and kept for good; a word's own lower-case form
                # is taken from its token each time, so that tagging in a spaCy memory zone
                # (see ThemeModel.tag_batch) can free it with the word.
                lemma = 0 if known == lower else strings.add(known, allow_transient=False)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[token.orth] = lemma
            token.lemma = lemma or token.lower
        return doc


@Language.factory("coder_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> LookupLemmatizer:
    return LookupLemmatizer(name)


def build_pipeline(codebook: Codebook, spacy_model: str | None = None) -> Language:
    """A Language that tokenizes, splits sentences, lemmatizes and applies the codebook's rules."""
    from coder import rules  # noqa: F401 - registers the coder_rules factory

    nlp = _base(spacy_model)
    _capital_contractions(nlp.tokenizer)
    if not any(name in nlp.pipe_names for name in ("parser", "senter", "sentencizer")):
        nlp.add_pipe("sentencizer")
    if "lemmatizer" not in nlp.pipe_names:
        nlp.add_pipe("coder_lemmatizer")
    nlp.add_pipe("coder_rules").add_codebook(codebook)
    return nlp


def _capital_contractions(tokenizer: Any) -> None:
    """spaCy splits "don't" and "Don't" into "do n't", but not "DON'T": a comment typed in
    capitals kept it one word, which no phrase with "don't" matched. Each contraction gets its
    capitals' form too, split the same way."""
    for key, pieces in list(tokenizer.rules.items()):
        capitals = key.upper()
        if capitals == key or capitals in tokenizer.rules or not any(c in key for c in "'’"):
            continue
        split = [{**piece, ORTH: piece[ORTH].upper()} for piece in pieces]
        if "".join(piece[ORTH] for piece in split) == capitals:  # "ß" upper-cases to "SS"
            tokenizer.add_special_case(capitals, split)


def _base(spacy_model: str | None) -> Language:
    if not spacy_model:
        return spacy.blank("en")
    try:
        return spacy.load(spacy_model, exclude=["ner"])
    except OSError:
        raise ModelError(
            f"spaCy pipeline '{spacy_model}' is not installed; install its package "
            "or leave out --spacy-model to use the built-in blank English pipeline"
        ) from None
