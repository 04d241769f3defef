"""How the offline analyser scores each aspect: which clauses talk about it, the evidence drawn from
them, and a small trained model that turns the evidence into a score.

1. **Which clauses**: the text is split into sentences, and sentences naming several aspects into
   clauses; a clause belongs to every aspect whose general film vocabulary
   (:mod:`imdb_tracker.sentiment.lexicon`) it uses. An aspect no clause names is None (absent).
2. **Evidence** (:class:`AspectEvidence`), six numbers per mentioned aspect: the mean polarity
   log-odds of its clauses (:mod:`imdb_tracker.sentiment.polarity`), their mean VADER compound
   score, the whole review's log-odds, the reviewer's star rating (0 without one), whether a sentence
   about the aspect is lukewarm ("okay", "decent", "not bad" ...) and whether one turns ("but",
   "although", "however" ...). Mixed opinions ("good acting, but ...") show in the last two.
3. **Score** (:class:`AspectModel`): a multinomial logistic regression, one set of weights for all
   aspects, gives P(negative), P(mixed), P(positive). An aspect is 0 when P(mixed) reaches that
   aspect's threshold, otherwise the sign of P(positive) - P(negative), and +-2 when that difference
   is at least ``strong``. The weights and thresholds were fitted on hand labels by
   :mod:`imdb_tracker.sentiment.aspect_training` (never on the held-out split ``test7``);
   ``model/aspects.json`` holds them with their cross-validated figures.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from imdb_tracker.sentiment.lexicon import aspects_named
from imdb_tracker.sentiment.models import ASPECTS

ARTIFACT = Path(__file__).parent / "model" / "aspects.json"
ARTIFACT_FORMAT = 1
EVIDENCE = ("clause_logodds", "clause_vader", "review_logodds", "stars", "lukewarm", "turns")
"""Names of the evidence values, in the order of the model's weights."""
CLASSES = (-1, 0, 1)
"""Negative, mixed, positive: the order of the model's rows."""

SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|<br\s*/?>|(?<=[.!?])(?=[A-Z])")
CLAUSE_SPLIT = re.compile(
    r"[;:,(]\s*|\s+-\s+|\s+(?=(?:but|however|although|though|while|whereas|except)\b)", re.I
)
LUKEWARM = re.compile(
    r"\b(?:ok(?:ay)?|decent|fine|average|adequate|acceptable|passable|not (?:too |that |so )?bad|so-so|"
    r"mediocre|alright|all right|serviceable|competent|tolerable|mixed|uneven|hit (?:and|or) miss|"
    r"nothing special|not great|good enough|watchable|regular|could(?:'ve| have) been (?:better|worse)|"
    r"a little|a bit|some of|at times|sometimes)\b",
    re.IGNORECASE,
)
"""Words of a lukewarm or partial verdict."""
TURNS = re.compile(
    r"\b(?:but|however|although|though|yet|except|despite|while|whereas|only)\b", re.IGNORECASE
)
"""Words that turn an opinion ("good acting, but ...")."""


@dataclass(frozen=True)
class AspectEvidence:
    """What the text says about one aspect (see the module docstring); ``clauses`` are the texts."""

    clauses: tuple[str, ...]
    clause_logodds: float
    clause_vader: float
    review_logodds: float
    stars: float
    lukewarm: bool
    turns: bool

    def values(self) -> list[float]:
        """The numbers in :data:`EVIDENCE` order."""
        return [
            self.clause_logodds,
            self.clause_vader,
            self.review_logodds,
            self.stars,
            float(self.lukewarm),
            float(self.turns),
        ]


def star_evidence(rating: float | None) -> float:
    """A 1-10 rating on -1..1 ((rating - 5.5) / 4.5); 0 without a rating."""
    return 0.0 if rating is None else (rating - 5.5) / 4.5


SentencePieces = tuple[str, list[tuple[str, str]]]
"""A sentence naming an aspect and its ``(aspect, clause)`` pieces (:func:`sentence_clauses`)."""


def sentence_clauses(text: str) -> Iterator[SentencePieces]:
    """Each sentence of ``text`` that names an aspect, with its ``(aspect, clause)`` pieces: the
    whole sentence when it names one aspect, else its clauses naming each."""
    for sentence in SENTENCE_SPLIT.split(text):
        if not sentence or sentence.isspace():
            continue
        named = aspects_named(sentence)
        if len(named) == 1:
            yield sentence, [(named[0], sentence)]
        elif named:
            yield (
                sentence,
                [
                    (aspect, clause)
                    for clause in CLAUSE_SPLIT.split(sentence)
                    if clause and clause.strip()
                    for aspect in aspects_named(clause)
                    if aspect in named
                ],
            )


def aspect_clauses(sentences: Iterable[SentencePieces]) -> dict[str, tuple[list[str], list[str]]]:
    """For each aspect the sentences name: its clauses and the sentences they come from."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for sentence, pieces in sentences:
        for aspect, clause in pieces:
            clauses, named_in = found.setdefault(aspect, ([], []))
            clauses.append(clause)
            if sentence not in named_in:
                named_in.append(sentence)
    return found


@lru_cache(maxsize=1)
def vader() -> SentimentIntensityAnalyzer:
    """One VADER analyser per process (loading its lexicon takes a while)."""
    return SentimentIntensityAnalyzer()


def aspect_evidence(
    sentences: Iterable[SentencePieces],
    review_logodds: float,
    rating: float | None,
    clause_logodds: Mapping[str, float],
) -> dict[str, AspectEvidence]:
    """The evidence for every aspect the sentences name (absent aspects are missing);
    ``clause_logodds`` holds each clause's polarity log-odds."""
    evidence = {}
    stars = star_evidence(rating)
    for aspect, (clauses, named_in) in aspect_clauses(sentences).items():
        evidence[aspect] = AspectEvidence(
            clauses=tuple(clauses),
            clause_logodds=sum(clause_logodds[c] for c in clauses) / len(clauses),
            clause_vader=sum(vader().polarity_scores(c)["compound"] for c in clauses) / len(clauses),
            review_logodds=review_logodds,
            stars=stars,
            lukewarm=any(LUKEWARM.search(s) for s in named_in),
            turns=any(TURNS.search(s) for s in named_in),
        )
    return evidence


@dataclass(frozen=True)
class AspectModel:
    """Weights (one row per class in :data:`CLASSES`, one column per :data:`EVIDENCE` value),
    intercepts, the per-aspect thresholds on P(mixed), and ``strong`` (see the module docstring)."""

    weights: tuple[tuple[float, ...], ...]
    intercepts: tuple[float, ...]
    mixed_thresholds: dict[str, float]
    strong: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, evidence: AspectEvidence) -> tuple[float, float, float]:
        """P(negative), P(mixed), P(positive)."""
        x = evidence.values()
        scores = [
            b + sum(w * v for w, v in zip(row, x, strict=True))
            for row, b in zip(self.weights, self.intercepts, strict=True)
        ]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        negative, mixed, positive = (e / total for e in exps)
        return negative, mixed, positive

    def score(self, aspect: str, evidence: AspectEvidence) -> int:
        """The aspect's value in -2..2."""
        negative, mixed, positive = self.probabilities(evidence)
        if mixed >= self.mixed_thresholds[aspect]:
            return 0
        lean = positive - negative
        strength = 2 if abs(lean) >= self.strong else 1
        return strength if lean >= 0 else -strength

    @property
    def version(self) -> str:
        """Short id of the weights and thresholds (first 8 hex digits of their hash)."""
        return parameters_sha256(self)[:8]


def parameters_sha256(model: AspectModel) -> str:
    """SHA-256 of the weights, intercepts, thresholds and ``strong``."""
    payload = json.dumps(
        [model.weights, model.intercepts, sorted(model.mixed_thresholds.items()), model.strong]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def write_artifact(model: AspectModel, path: Path = ARTIFACT) -> None:
    """Write the model and its provenance as one JSON file."""
    record = {
        "format": ARTIFACT_FORMAT,
        "evidence": list(EVIDENCE),
        "classes": list(CLASSES),
        "weights": [list(row) for row in model.weights],
        "intercepts": list(model.intercepts),
        "mixed_thresholds": model.mixed_thresholds,
        "strong": model.strong,
        "provenance": {**model.provenance, "parameters_sha256": parameters_sha256(model)},
    }
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_artifact(path: Path = ARTIFACT) -> AspectModel:
    """Inverse of :func:`write_artifact`; raises ValueError for another format or evidence list."""
    record = json.loads(path.read_text(encoding="utf-8"))
    if record.get("format") != ARTIFACT_FORMAT or tuple(record.get("evidence", ())) != EVIDENCE:
        raise ValueError(f"{path}: aspect model format {record.get('format')}, expected {ARTIFACT_FORMAT}")
    if sorted(record["mixed_thresholds"]) != sorted(ASPECTS):
        raise ValueError(
            f"{path}: mixed thresholds for {sorted(record['mixed_thresholds'])}, expected the aspects"
        )
    return AspectModel(
        weights=tuple(tuple(float(w) for w in row) for row in record["weights"]),
        intercepts=tuple(float(b) for b in record["intercepts"]),
        mixed_thresholds={str(k): float(v) for k, v in record["mixed_thresholds"].items()},
        strong=float(record["strong"]),
        provenance=record.get("provenance", {}),
    )


@lru_cache(maxsize=1)
def shipped_aspect_model() -> AspectModel:
    """The aspect model shipped in the package (read once per process)."""
    return read_artifact()
