"""Rank fusion and priors: reciprocal rank fusion of the dense and lexical rankings, then a
multiplier that puts the asker's own recommendations first."""

from __future__ import annotations

from typing import Any

from advisor.settings import Settings


def reciprocal_rank_fusion(rankings: list[tuple[list[str], float]], k: int) -> dict[str, float]:
    """Weighted RRF: each ranking adds weight / (k + rank) to the ids it holds."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, cid in enumerate(ids, start=1):
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank)
    return fused


# Which kinds of chunk answer each overview of the whole document (advisor/query/understand.py's
# `Overview`): the items it lists, or the general sections for a summary, the structure, who and when.
OVERVIEW_CHUNK_KINDS: dict[str, tuple[str, ...]] = {
    "objectives_and_focus_areas": ("objective", "focus_area"),
    "objectives": ("objective",),
    "focus_areas": ("focus_area",),
    "recommendations": ("recommendation",),
    "structure": ("section", "overview"),
    "summary": ("section", "overview"),
    "who_when": ("section", "overview"),
    "background": ("section", "overview"),
    "source": ("section", "overview"),
}
# Overviews that list items: the passage introducing the list ("Strategic Objectives: ... three
# primary objectives:") answers "what are the objectives?" first, then its items.
LIST_OVERVIEWS = frozenset({"objectives_and_focus_areas", "objectives", "focus_areas", "recommendations"})
# Overviews of the document itself (what it is about, how it is built, who presented it): the same answer whoever asks,
# so the asker's audience does not put its own recommendations before the summary ("the gist, for the state secretary's
# briefing folder").
DOCUMENT_OVERVIEWS = frozenset(k for k, kinds in OVERVIEW_CHUNK_KINDS.items() if kinds == ("section", "overview"))


def passage_prior(
    metadata: dict[str, Any],
    audience: str,
    settings: Settings,
    descriptive: bool = False,
    about_whole: bool = False,
    overview: str | None = None,
    leads: bool = False,
    audience_strength: float = 1.0,
) -> float:
    """Multiplier on the fused score: the asker's audience first, section introductions last;
    for an overview of the whole document, the kind of chunk it lists (the objectives for "what
    are the three objectives", the general sections for a summary), whatever words it uses;
    for questions about what the strategy itself does, its objectives and focus areas first;
    for questions about the strategy as a whole (when, who, what about), its general sections.
    `leads`: the chunk answers the question by itself (the heading of the list an overview asks
    for, the conclusion for "what does it conclude?", the introduction for who presented it).
    `audience_strength`: how much of the audience's bonus and penalty applies (less for an audience
    the model only inferred, ADVISOR_INFERRED_AUDIENCE_STRENGTH)."""
    kind = metadata.get("kind")
    factor = settings.overview_factor if kind == "overview" else 1.0
    if leads:
        factor *= (1.0 + settings.overview_intent_boost) * (1.0 + settings.list_heading_boost)
    elif overview in OVERVIEW_CHUNK_KINDS:  # says exactly which chunks answer it
        if kind in OVERVIEW_CHUNK_KINDS[overview]:
            factor *= 1.0 + settings.overview_intent_boost
    elif about_whole:
        if kind in ("section", "overview"):
            factor *= 1.0 + settings.descriptive_area_boost
    elif descriptive and kind in ("objective", "focus_area"):
        factor *= 1.0 + settings.descriptive_area_boost
    chunk_audience = metadata.get("audience", "general")
    if audience == "general" or chunk_audience == "general" or overview in DOCUMENT_OVERVIEWS:
        return factor
    if chunk_audience == audience:
        return factor * (1.0 + audience_strength * settings.audience_boost)
    return factor * (1.0 - audience_strength * settings.other_audience_penalty)
