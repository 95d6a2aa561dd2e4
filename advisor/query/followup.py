"""Follow-up questions: rewrite the latest message into a standalone question, deterministically.

Retrieval only sees one question, so "And what should governments do?" after "How can SMEs get
funding?" must become a question about funding for governments, and "Tell me more about the
second action" must become a question about that action's passage. The no-LLM backend cannot ask
a model to do this, so the rules below do it from the history alone: they are predictable, cheap
and testable, and an LLM backend may still replace them with its own condensing step.

History comes from three kinds of client: our API (which may send back the structured answer),
the chat UI, and OpenAI-style clients that only keep the assistant's text. So the previous
answer's actions and sources are read from the structured answer when given, and otherwise
parsed from the Markdown the composer and the OpenAI endpoint write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.models import Answer
from advisor.query.audience import detect_audience
from advisor.text import terms


class Turn(BaseModel):
    """One message of a conversation; `answer` is the structured reply when the client kept it."""

    role: Literal["user", "assistant", "system"]
    content: str = Field("", description="The message text (for the assistant: the answer Markdown).")
    answer: Answer | None = Field(None, description="The structured answer this assistant turn showed, if known.")


NO_SUCH_ITEM = "refers to an item the previous answer does not have"


@dataclass(frozen=True)
class Condensed:
    """The question retrieval should see, and the audience the conversation implies."""

    question: str
    audience: str | None
    follow_up: bool
    reason: str = ""


@dataclass
class PreviousAnswer:
    """What a follow-up can point back to: the numbered actions, key points and sources."""

    actions: list[tuple[str, list[int]]] = field(default_factory=list)
    points: list[tuple[str, list[int]]] = field(default_factory=list)
    sources: dict[int, str] = field(default_factory=dict)
    audience: str | None = None


ORDINALS = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5, "sixth": 6, "6th": 6, "six": 6,
    "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10,
}  # fmt: skip
_ORDINAL = r"(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d{1,2}(?:st|nd|rd|th)?)"
_NUMBER = r"(?P<num>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
_ACTION_NOUN = r"(?:actions?|steps?|recommendations?|items?|ones?|bullets?|suggestions?|tips?)"
_POINT_NOUN = r"(?:points?|key points?|findings?)"
_SOURCE_NOUN = r"(?:sources?|citations?|references?|passages?|footnotes?)"
_REFERENCE = re.compile(
    rf"\b(?:the\s+)?{_ORDINAL}\s+(?P<noun>{_ACTION_NOUN}|{_POINT_NOUN}|{_SOURCE_NOUN})\b"
    rf"|\b(?P<noun2>{_ACTION_NOUN}|{_POINT_NOUN}|{_SOURCE_NOUN})\s*(?:number\s*|no\.?\s*|#\s*)?{_NUMBER}\b"
    r"|\[(?P<bracket>\d{1,2})\]",
    re.IGNORECASE,
)
_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|and what|what else|anything else|why|how so|"
    r"tell me more|more on|more about|go on|elaborate|expand|explain (that|this|it|more)|"
    r"can you (elaborate|expand|explain)|could you (elaborate|expand|explain)|same (for|question))\b",
    re.IGNORECASE,
)
_BACK_REFERENCE = re.compile(r"\b(it|this|that|these|those|they|them|their|there|above|same)\b", re.IGNORECASE)
# Words that say who is asking or ask for more, not what about: they carry no topic.
_NON_TOPIC = frozenset(
    terms(
        "what should do can could would tell me more about else also and how why please explain elaborate "
        "expand detail details go on further thing things more need want know say says said "
        "instead specifically exactly then now too well case "
        "first second third fourth fifth sixth seventh eighth ninth tenth last one "
        "action actions step steps recommendation recommendations item items point points bullet "
        "source sources citation citations reference references passage passages"
    )
)
_AUDIENCE_WORDS = re.compile(
    r"\b(smes?|start-?ups?|scale-?ups?|compan(?:y|ies)|firms?|business(?:es)?|enterprises?|governments?|"
    r"ministr(?:y|ies)|civil servants?|public (?:administrations?|sector|authorit(?:y|ies))|policy ?makers?|"
    r"trainers?|participants?)\b",
    re.IGNORECASE,
)
AUDIENCE_NOUN = {"business": "businesses and SMEs", "government": "governments"}
_ACTION_LINE = re.compile(r"^\s*(\d{1,2})\.\s+(?P<text>.+?)\s*(?P<marks>(?:\[\d+\])+)?\s*$")
_POINT_LINE = re.compile(r"^\s*[-*]\s+(?P<text>.+?)\s*(?P<marks>(?:\[\d+\])+)\s*$")
_SOURCE_LINE = re.compile(r"^\s*[-*]?\s*\[(?P<n>\d{1,2})\]:?\s+(?P<title>.+?)\s*$")
_LEAD_SOURCE = re.compile(r"\*(?P<title>[^*]+)\*\s*\[(?P<n>\d{1,2})\]")
_MARKS = re.compile(r"\[(\d{1,2})\]")


def parse_previous(turn: Turn) -> PreviousAnswer:
    """The actions, points and sources of an assistant turn, from its structured answer or its text."""
    if turn.answer is not None:
        a = turn.answer
        return PreviousAnswer(
            actions=[(x.text, x.citations) for x in a.actions],
            points=[(x.text, x.citations) for x in a.key_points],
            sources={c.n: c.title for c in a.citations},
            audience=a.audience,
        )
    prev = PreviousAnswer()
    for match in _LEAD_SOURCE.finditer(turn.content):
        prev.sources.setdefault(int(match["n"]), match["title"].strip())
    for line in turn.content.splitlines():
        if m := _SOURCE_LINE.match(line):
            title = re.split(r"\s+[—–]\s+|\s+\(", m["title"].strip("*_ "), maxsplit=1)[0].strip("*_ ")
            prev.sources[int(m["n"])] = title
        elif m := _ACTION_LINE.match(line):
            prev.actions.append((m["text"], [int(n) for n in _MARKS.findall(m["marks"] or "")]))
        elif m := _POINT_LINE.match(line):
            prev.points.append((m["text"], [int(n) for n in _MARKS.findall(m["marks"])]))
    return prev


def topic_terms(text: str) -> list[str]:
    """Content terms that say what a message is about (audience words and filler removed)."""
    return [t for t in terms(_AUDIENCE_WORDS.sub(" ", text)) if t not in _NON_TOPIC]


def stated_audience(text: str) -> str | None:
    found = detect_audience(text)
    return None if found == "general" else found


def condense(message: str, history: Sequence[Turn] | Iterable[Turn] | None) -> Condensed:
    """The latest user message as a standalone question, given the turns before it.

    Each earlier user turn is condensed against its own predecessors first, so a chain of
    follow-ups keeps the original topic.
    """
    turns = [t for t in (history or []) if t.role != "system"]
    topic: Condensed | None = None
    previous: PreviousAnswer | None = None
    for turn in turns:
        if turn.role == "user" and turn.content.strip():
            topic = _condense_one(turn.content.strip(), topic, previous)
            previous = None
        elif turn.role == "assistant" and topic is not None:
            previous = parse_previous(turn)
            if previous.audience and topic.audience is None:
                topic = Condensed(topic.question, previous.audience, topic.follow_up, topic.reason)
    return _condense_one(message.strip(), topic, previous)


def _condense_one(message: str, topic: Condensed | None, previous: PreviousAnswer | None) -> Condensed:
    own_audience = stated_audience(message)
    if topic is None:
        return Condensed(message, own_audience, False)
    carried = own_audience or topic.audience

    reference = _resolve_reference(message, previous) if previous is not None else None
    if reference is not None:
        return Condensed(reference, carried, True, "refers to an item of the previous answer")
    if _REFERENCE.search(message) and not _REFERENCE.search(message)["bracket"]:
        # "the second action" when the previous answer has no such item: say so rather than
        # silently repeat the previous answer.
        return Condensed(topic.question, carried, True, NO_SUCH_ITEM)

    own_topic = topic_terms(message)
    refers_back = bool(_BACK_REFERENCE.search(message))
    looks_dependent = bool(_FOLLOW_UP_START.match(message)) or (len(own_topic) <= 1 and refers_back)
    # "Is there a deadline for that?": a new word, but about the previous topic ("that").
    about_previous = refers_back or not _has_new_topic(own_topic, topic.question)
    if not own_topic or (looks_dependent and len(own_topic) <= 2 and about_previous):
        if own_audience and own_audience != topic.audience:
            question = f"{_strip_follow_up(message)} regarding: {_topic_phrase(topic.question)}?"
            return Condensed(question, own_audience, True, "same topic, other audience")
        question = f"{topic.question.rstrip('?. ')} — {_strip_follow_up(message)}".rstrip() + "?"
        return Condensed(question.replace("??", "?"), carried, True, "continues the previous topic")
    if looks_dependent:
        # "What about cybersecurity?": a new topic for the same asker; the old topic would only
        # pull retrieval back to what was already answered.
        who = f" for {AUDIENCE_NOUN[carried]}" if carried in AUDIENCE_NOUN and not own_audience else ""
        return Condensed(f"{_strip_follow_up(message)}{who}?", carried, True, "new topic, same audience")
    return Condensed(message, own_audience, False)


def _has_new_topic(own_topic: list[str], previous_question: str) -> bool:
    """True when the follow-up names something the previous question did not (a topic switch)."""
    before = set(topic_terms(previous_question))
    return any(t not in before for t in own_topic)


def _strip_follow_up(message: str) -> str:
    text = re.sub(r"^\s*(and|but|also|so|then)\b[\s,]*", "", message.strip(), flags=re.IGNORECASE)
    text = text.rstrip("?!. ")
    return text[:1].upper() + text[1:]


def _topic_phrase(question: str) -> str:
    """The previous question without its question mark, lower-cased first letter."""
    text = question.strip().rstrip("?!. ")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _resolve_reference(message: str, previous: PreviousAnswer) -> str | None:
    match = _REFERENCE.search(message)
    if match is None:
        return None
    if match["bracket"]:
        return _about_source(int(match["bracket"]), previous)
    noun = (match["noun"] or match["noun2"] or "").lower()
    raw = (match["ord"] or match["num"] or "").lower()
    if re.fullmatch(_SOURCE_NOUN, noun):
        items: list[Any] = sorted(previous.sources)
        index = _index(raw, len(items))
        return None if index is None else _about_source(items[index], previous)
    items = previous.points if re.fullmatch(_POINT_NOUN, noun) else previous.actions
    index = _index(raw, len(items))
    if index is None:
        return None
    text, cites = items[index]
    title = next((previous.sources[n] for n in cites if n in previous.sources), "")
    clean = _MARKS.sub("", text).replace("**", "").strip()
    return f"Tell me more about {title}: {clean}" if title else f"Tell me more about: {clean}"


def _about_source(n: int, previous: PreviousAnswer) -> str | None:
    title = previous.sources.get(n)
    return f"Tell me more about {title}" if title else None


def _index(raw: str, length: int) -> int | None:
    if length == 0:
        return None
    if raw == "last":
        return length - 1
    value = ORDINALS.get(raw)
    if value is None:
        digits = re.match(r"\d+", raw)
        value = int(digits.group()) if digits else None
    if value is None or not 1 <= value <= length:
        return None
    return value - 1


def turns_from_messages(messages: Iterable[dict[str, Any]]) -> list[Turn]:
    """Turns from OpenAI-style or Gradio-style message dicts; other content types become text."""
    out = []
    for m in messages:
        content = m.get("content", "")
        if isinstance(content, list):  # OpenAI content parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        role = m.get("role", "user")
        if role not in ("user", "assistant", "system"):
            continue
        out.append(Turn(role=role, content=str(content or ""), answer=m.get("answer")))
    return out


def as_turns(history: Sequence[Turn] | Sequence[dict[str, Any]]) -> list[Turn]:
    """Turns from Turn objects or message dicts (callers use either)."""
    turns: list[Turn] = []
    for item in history:
        turns += [item] if isinstance(item, Turn) else turns_from_messages([item])
    return turns


def as_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """Plain {"role", "content"} messages, the form an LLM condenser takes."""
    return [{"role": t.role, "content": t.content} for t in turns if t.role in ("user", "assistant")]
