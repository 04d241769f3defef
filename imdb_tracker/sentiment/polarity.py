"""The trained polarity model of the offline analyser: TF-IDF features scaled by their naive Bayes
log-count ratio (NBSVM, Wang and Manning, ACL 2012) and a logistic regression, evaluated in plain
Python from a small artifact (no scikit-learn, no pickle at run time).

The model was trained by :mod:`imdb_tracker.sentiment.training` on reviews of many films from the
IMDb Large Movie Review Dataset (Andrew L. Maas, Raymond E. Daly, Peter T. Pham, Dan Huang,
Andrew Y. Ng, Christopher Potts: "Learning Word Vectors for Sentiment Analysis", ACL 2011) plus the
star ratings of the sample reviews as weak labels. ``model/polarity.npz`` holds the features, their
scale (idf times log-count ratio) and weights (compressed numpy arrays, no pickle);
``model/polarity.json`` beside it records the training data's SHA-256, the library versions, the
seed and the cross-validated figures.

:meth:`PolarityModel.logit` gives log-odds that a text is positive: a whole review for the overall
verdict, or one sentence for the aspect it talks about.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy

ARTIFACT = Path(__file__).parent / "model" / "polarity.npz"
ARTIFACT_FORMAT = 3
"""3: each feature's scale is its idf times its log-count ratio (array ``scale``); 2 stored the idf
(array ``idf``); 2 and 3 mark negated words (``not_``), 1 had plain words only."""

_MARKUP = re.compile(r"<[^>]{0,40}>")
_WORD_OR_STOP = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?()…]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
NEGATORS = frozenset(
    (
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "without",
        "hardly",
        "barely",
        "cannot",
    )
)
NEGATION_SCOPE = 3
"""Words after a negator ("not", "never", "isn't" ...) that are marked, up to the next punctuation."""


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text`` (HTML tags such as ``<br />`` removed, apostrophes kept); the
    up to :data:`NEGATION_SCOPE` words after a negator, within the same clause, get the prefix
    ``not_`` ("isn't good at all" -> ``isn't not_good not_at not_all``), so that "good" and "not
    good" count apart even on a single short sentence."""
    words: list[str] = []
    negated = 0
    for token in _WORD_OR_STOP.findall(_MARKUP.sub(" ", text.lower().translate(_APOSTROPHES))):
        if not token[0].isalnum():
            negated = 0
            continue
        words.append(f"not_{token}" if negated else token)
        negated = NEGATION_SCOPE if token in NEGATORS or token.endswith("n't") else max(negated - 1, 0)
    return words


def features(words: Sequence[str]) -> list[str]:
    """Unigrams and bigrams ("not good") of a token list: the model's features."""
    return [*words, *(f"{a} {b}" for a, b in pairwise(words))]


def analyse_text(text: str) -> list[str]:
    """The features of a text (the analyzer given to scikit-learn's vectorizer when training)."""
    return features(tokens(text))


@dataclass(frozen=True)
class PolarityModel:
    """A linear model over sublinear term frequencies times a per-feature scale, L2-normalised like
    scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` with the scale as idf; ``weights`` maps a
    feature to (scale, coefficient), the scale being its idf times its log-count ratio."""

    weights: dict[str, tuple[float, float]]
    intercept: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def logit(self, text: str) -> float:
        """Log-odds that ``text`` is positive; the intercept alone when no feature is known."""
        return self.logit_of_tokens(tokens(text))

    def logit_of_tokens(self, words: Sequence[str]) -> float:
        """:meth:`logit` of an already tokenised text."""
        weighted = 0.0
        squared = 0.0
        for feature, count in Counter(features(words)).items():
            known = self.weights.get(feature)
            if known is None:
                continue
            value = (1.0 + math.log(count)) * known[0]
            weighted += value * known[1]
            squared += value * value
        if not squared:
            return self.intercept
        return self.intercept + weighted / math.sqrt(squared)

    @property
    def version(self) -> str:
        """Short id of the trained weights (first 12 hex digits of their hash)."""
        return weights_sha256(self)[:12]


def weights_sha256(model: PolarityModel) -> str:
    """SHA-256 of the features, weights and intercept (what the artifact must reproduce)."""
    payload = json.dumps([model.intercept, sorted(model.weights.items())])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def write_artifact(model: PolarityModel, weights_path: Path = ARTIFACT) -> None:
    """Write the weights as compressed numpy arrays and the provenance as JSON beside them."""
    names = sorted(model.weights)
    numpy.savez_compressed(
        weights_path,
        format=numpy.array(ARTIFACT_FORMAT),
        features=numpy.frombuffer("\n".join(names).encode("utf-8"), dtype=numpy.uint8),
        scale=numpy.array([model.weights[name][0] for name in names]),
        coef=numpy.array([model.weights[name][1] for name in names]),
        intercept=numpy.array(model.intercept),
    )
    provenance = {**model.provenance, "weights_sha256": weights_sha256(model)}
    provenance_path(weights_path).write_text(json.dumps(provenance, indent=1, sort_keys=True) + "\n")


def read_artifact(weights_path: Path = ARTIFACT) -> PolarityModel:
    """Inverse of :func:`write_artifact`; raises ValueError for another artifact format."""
    with numpy.load(weights_path) as arrays:
        if int(arrays["format"]) != ARTIFACT_FORMAT:
            raise ValueError(f"polarity model format {int(arrays['format'])}, expected {ARTIFACT_FORMAT}")
        names = arrays["features"].tobytes().decode("utf-8").split("\n")
        pairs = zip(arrays["scale"].tolist(), arrays["coef"].tolist(), strict=True)
        weights = dict(zip(names, pairs, strict=True))
        intercept = float(arrays["intercept"])
    provenance = json.loads(provenance_path(weights_path).read_text(encoding="utf-8"))
    return PolarityModel(weights, intercept, provenance)


def provenance_path(weights_path: Path) -> Path:
    """The JSON file recording how the weights at ``weights_path`` were trained."""
    return weights_path.with_suffix(".json")


@lru_cache(maxsize=1)
def shipped_model() -> PolarityModel:
    """The model shipped in the package (read once per process)."""
    return read_artifact()
