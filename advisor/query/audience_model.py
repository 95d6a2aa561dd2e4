"""Who is asking, read by a model where the audience lexicon finds no sign of it.

The lexicon (knowledge/audiences.yaml) only knows the phrasings someone wrote down; people also
reveal who they are through their situation ("the deadline for our proposal", "the note I am
drafting for the minister"), in any language. This is a linear probe over the multilingual
encoder's question vector: three classes (business, government, general), trained by
`python -m advisor_tools.audience_probe` on the examples in knowledge/audience_examples.jsonl and
stored in knowledge/audience_probe.json. It only ever names an audience when it is confident
(ADVISOR_AUDIENCE_MODEL_MIN_PROBABILITY, or ..._MIN_PROBABILITY_TOPIC when the question gives only
its topic); otherwise the question stays "general" and is answered for both audiences, which is the
safe reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GENERAL = "general"
# (A question's text, whether its asker speaks of themselves) -> the audience read with confidence, or None.
AudienceGuess = Callable[[str, bool], "str | None"]


@dataclass(frozen=True)
class AudienceProbe:
    """A softmax-linear classifier over one encoder's vectors."""

    classes: tuple[str, ...]
    center: np.ndarray  # the mean training vector, subtracted first (e5 vectors share a large common part)
    weights: np.ndarray  # (dimensions, classes)
    bias: np.ndarray  # (classes,)
    scale: float  # applied to the centred vector, so that training converges with one learning rate
    encoder: str  # the encoder the probe was trained on; another encoder's vectors mean nothing to it

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Class probabilities, one row per vector (a single vector gives one row)."""
        return softmax(features(np.atleast_2d(vectors), self.center, self.scale) @ self.weights + self.bias)

    def guess(self, vector: np.ndarray, min_probability: float) -> str | None:
        """The audience read with at least `min_probability`, or None (general, or not sure)."""
        p = self.probabilities(vector)[0]
        best = int(p.argmax())
        label = self.classes[best]
        return label if label != GENERAL and p[best] >= min_probability else None


def features(vectors: np.ndarray, center: np.ndarray, scale: float) -> np.ndarray:
    """What the probe reads: the vectors centred and scaled (training and use share this)."""
    return (np.asarray(vectors, dtype=np.float64) - center) * scale


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def load_probe(path: Path, encoder: str) -> AudienceProbe:
    """The probe stored at `path`; ValueError when it is malformed or was trained for another encoder."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        probe = AudienceProbe(
            classes=tuple(raw["classes"]),
            center=np.asarray(raw["center"], dtype=np.float64),
            weights=np.asarray(raw["weights"], dtype=np.float64),
            bias=np.asarray(raw["bias"], dtype=np.float64),
            scale=float(raw["scale"]),
            encoder=str(raw["encoder"]),
        )
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not an audience probe ({exc})") from exc
    if probe.encoder != encoder:
        raise ValueError(f"{path}: trained on {probe.encoder}, but the encoder in use is {encoder}; retrain it")
    dims, classes = probe.weights.shape if probe.weights.ndim == 2 else (0, 0)
    if GENERAL not in probe.classes or classes != len(probe.classes) or probe.center.shape != (dims,) or probe.bias.shape != (classes,):
        raise ValueError(f"{path}: the probe's shapes do not agree with each other")
    return probe


def audience_guesser(
    probe: AudienceProbe,
    encode: Callable[[str], np.ndarray],
    min_probability: float,
    min_probability_topic: float,
    min_words: int,
) -> AudienceGuess:
    """The model's reading of who asks, for `understand`: encode the question, then ask the probe.
    When the asker speaks of themselves ("we lay fibre…") their situation is there to read, and
    `min_probability` suffices; a question with only a topic ("Why does the EU want common standards
    for public digital goods?") can mislead the model, so it must be surer (`min_probability_topic`).
    A question shorter than `min_words` ("Give me the gist.") describes nothing to read."""

    def guess(text: str, about_self: bool) -> str | None:
        if len(text.split()) < min_words:
            return None
        return probe.guess(encode(text), min_probability if about_self else min_probability_topic)

    return guess
