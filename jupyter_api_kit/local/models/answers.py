"""What a chat answer may say: whole sentences, each with a weight, and how answers may begin.

An `AnswerPlan` is made once per request from the conversation. It lists the *units* an answer is
built from (sentences of the conversation's facts, sentences of corpus paragraphs, a trained answer,
an "I do not know" paragraph, a small-talk reply), the probability of opening the answer with each,
and what may follow a unit (the next sentence of its paragraph, another relevant unit, or the end).

The question is the latest user turn; a follow-up with no subject of its own ("Tell me more.") asks
about the turn before. Facts given in the conversation come first: when one of them matches the
question, the answer is built from the conversation's facts; otherwise from the corpus paragraphs that
best match it (BM25, see `TopicIndex`); a question the corpus does not cover gets an honest "I do not
know". What the assistant already said in the conversation is never offered again, so a follow-up
gets a new answer.

Example:
    >>> from jupyter_api_kit.local.models.knowledge import base_knowledge
    >>> plan = plan_answer(base_knowledge(3), [
    ...     {"role": "system", "content": "The Ostrel market opens every Tuesday. The Vemmin bridge is red."},
    ...     {"role": "user", "content": "When does the Ostrel market open?"}])
    >>> best = max(plan.kinds["context"].starts, key=lambda s: s[1])
    >>> plan.units[best[0]].text
    'The Ostrel market opens every Tuesday.'
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from jupyter_api_kit.local.models.context import message_text, topic_query
from jupyter_api_kit.local.models.relevance import (TYPE_BONUS, Scorer, asked_weights, exits,
                                                     question_weights, stems, subject_echo, wanted)
from jupyter_api_kit.local.models.sentences import (conversation_facts, latest_user, normalized,
                                                     question_text, said_before, self_contained,
                                                     split_sentences)

# How sharply the best-matching unit is preferred when the answer begins (softmax over scores
# relative to the best): 8 gives a unit scoring 80% of the best about 1/5 of the best one's weight.
SHARPNESS = 8.0
KEEP_SHARE = 0.55           # units scoring under this share of the best are not offered to start
CONTEXT_MATCH = 0.3         # share of the question a fact must hold for the answer to come from facts
UNKNOWN_BELOW = 0.5         # ... and the best corpus paragraph, for the corpus to know the subject
NEW_TOOL_BONUS = 0.5        # a tool result after the question is what the question was waiting for
CORPUS_PARAGRAPHS = 8
DEFINITION_BONUS = 0.4      # "What is a planet?" is best answered by "A planet is ..."
# End-of-answer probability after the 1st, 2nd, ... unit, by kind of answer.
END_AFTER = {"context": (0.6, 0.85), "corpus": (0.3, 0.65, 0.85), "trained": (1.0,), "talk": (1.0,),
             "unknown": (1.0,)}
NEXT_IN_PARAGRAPH = {"context": 0.4, "corpus": 0.75}
# Asked for length: "briefly", "in one sentence" end after one unit; "in detail", "tell me
# everything", "talk a lot" make each end this much less likely.
_SHORT = re.compile(r"\b(?:brief|briefly|short|shortly|concise|concisely|in (?:one|a single) (?:sentence|line|word)"
                    r"|one sentence|in a (?:sentence|word|nutshell)|tl;?dr)\b", re.I)
_LONG = re.compile(r"\b(?:everything|in detail|detailed|at length|talk a lot|long answer|as much as|all about|"
                   r"tell me more|explain fully|thorough|thoroughly|elaborate)\b", re.I)
LONG_END_SCALE = 0.1
# Openers: (text, weight, whether the first word of the unit after it is written in lower case).
def _openers(first: float, lower: bool, *texts: str) -> tuple:
    """The "" opener with weight `first`, the others sharing the rest equally."""
    rest = (1.0 - first) / len(texts)
    return (("", first, False),) + tuple((t, rest, lower and not t.endswith((".", "!", ":"))) for t in texts)


# How an answer may begin, by where its first fact comes from: (text, weight, whether the word after
# it is written in lower case). Openers sharing their first words branch where they differ.
OPENERS = {
    "context": _openers(0.5, True, "From what I was told,", "From my notes,", "From the notes,",
                        "According to my notes,", "According to the notes,", "According to what I was told,",
                        "As far as I know,", "Based on the notes,", "Based on what I was told,"),
    "user": _openers(0.5, True, "From what you told me,", "From your message,", "From your notes,",
                     "According to your message,", "According to your notes,", "As you said,",
                     "As you wrote,", "Based on your notes,", "Based on what you said,"),
    "tool": _openers(0.5, True, "According to the result,", "According to the tool,", "The result says that",
                     "The tool says that", "Based on the result,", "Based on the tool result,",
                     "From the result,", "From the tool result,"),
    "corpus": _openers(0.55, True, "Good question!", "Great question!", "Here is what I know:",
                       "Here is a short answer:", "In short,", "Sure.", "Sure!", "Well,", "So,"),
    "plain": (("", 1.0, False),),
}

# Words that may lead from one unit to the next, and the share of units after the first that use one.
CONNECTORS = (" Also,", " Also", " In addition,", " On top of that,", " Besides,", " What is more,")
# A sentence may instead end in a comma and go on with " and" and the next one (whole, in lower
# case): the share of continuations written that way.
JOIN_SHARE = 0.35
# Lines an answer of facts may close with, and the share of answers that do.
CLOSINGS = (" Hope this helps!", " Hope this helps.", " Hope that helps!", " Hope that helps.")
CLOSE_SHARE, CLOSE_KINDS = 0.25, frozenset(("context", "corpus"))
CONNECT_SHARE = 0.3


@dataclass
class Unit:
    """One thing an answer can say, whole: a sentence, or a paragraph that is a list or a poem."""

    text: str
    kind: str
    group: tuple          # units of one group follow each other in order (a paragraph)
    index: int
    starts: bool          # may open an answer (does not lean on the sentence before it)
    source: str = ""      # for facts: "context", "user" or "tool" (which openers fit)
    subject: int = 0      # tokens of a subject the question names ("The Ostrel market"): may be "It"
    plural: bool = False  # ... and whether it is "They"
    relevance: float = 0.0  # its score against the question, relative to the best unit's (0..1)


@dataclass
class Kind:
    """The units one kind of answer may start with, their weights (summing to 1), and its openers."""

    weight: float
    starts: list[tuple[int, float]]
    openers: tuple = OPENERS["plain"]
    pool: list[tuple[int, float]] = field(default_factory=list)  # what a long answer may go on with


@dataclass
class AnswerPlan:
    """Units, the kinds of answer with their starting weights, and what may follow a unit."""

    units: list[Unit]
    kinds: dict[str, Kind]
    followers: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    question: Counter = field(default_factory=Counter)
    wants: object = None    # the pattern of what the question asks for (see relevance.wanted)
    length: str = ""        # "short" or "long" when the conversation asks for it
    _exits: dict = field(default_factory=dict)

    def exits_of(self, unit: int) -> tuple[int, ...]:
        """Token positions before which a unit may end early (see `relevance.exits`)."""
        found = self.units[unit]
        # Only a fact that has said what the question asks for ("when": a day) may stop there: in
        # general a clause cut off may drop what makes the sentence true.
        if found.kind != "context" or self.wants is None or "\n" in found.text:
            return ()
        cached = self._exits.get(unit)
        if cached is None:
            cached = self._exits[unit] = exits(found.text, self.question, self.wants)
        return cached

    def after(self, unit: int, said: tuple[int, ...]) -> tuple[float, list[tuple[int, float]]]:
        """(probability of ending, [(unit, probability)]) after `unit`, `said` being the units so far.

        The probabilities sum to 1; what is already in the answer is not offered again.
        """
        kind = self.units[unit].kind
        ends = END_AFTER.get(kind, (1.0,))
        end = ends[min(len(said) - 1, len(ends) - 1)]
        if end < 1.0 and self.length:
            end = 1.0 if self.length == "short" else end * LONG_END_SCALE
        if end >= 1.0:
            return 1.0, []
        options: dict[int, float] = {}
        nxt = self._next(unit)
        share = 0.0
        if nxt is not None and nxt not in said:
            # The next sentence of the paragraph is the likelier, the more it answers the question
            # (a fact often sits in the sentence after the one naming its subject).
            relevant = self.units[nxt].relevance
            share = min(0.95, NEXT_IN_PARAGRAPH.get(kind, 0.5) + relevant)
            end *= 1.0 - 0.8 * relevant
        if share:
            options[nxt] = share
        found = self.kinds[kind]
        pool = found.pool if self.length == "long" and found.pool else found.starts
        others = [(u, w) for u, w in pool if u not in said and u != nxt]
        total = sum(w for _, w in others)
        if total > 0:
            for u, w in others:
                options[u] = options.get(u, 0.0) + (1.0 - share) * w / total
        elif share:
            options[nxt] = 1.0
        if not options:
            return 1.0, []
        norm = sum(options.values())
        return end, [(u, (1.0 - end) * w / norm) for u, w in options.items()]

    def _next(self, unit: int) -> int | None:
        found = self.followers.get(unit)
        return found[0][0] if found else None


def _softmax(scored: list[tuple[int, float]], keep: float = KEEP_SHARE) -> list[tuple[int, float]]:
    if not scored:
        return []
    best = max(s for _, s in scored)
    if best <= 0:
        return [(u, 1.0 / len(scored)) for u, _ in scored]
    kept = [(u, math.exp(SHARPNESS * (s - best) / best)) for u, s in scored if s >= keep * best]
    total = sum(w for _, w in kept)
    return [(u, w / total) for u, w in kept]


def plan_answer(knowledge, messages, adapter=None) -> AnswerPlan:
    """The plan of the answer to a conversation (see the module docstring)."""
    plan = _plan(knowledge, messages, adapter)
    plan.question = question_weights(messages)
    plan.wants = wanted(question_text(messages))
    asked_for = "\n".join(message_text(m) for m in messages if m.get("role") in ("system", "developer", "user"))
    plan.length = "short" if _SHORT.search(asked_for) else "long" if _LONG.search(asked_for) else ""
    for name in ("context", "corpus"):
        for u, _ in plan.kinds[name].starts if name in plan.kinds else ():
            unit = plan.units[u]
            unit.subject, unit.plural = subject_echo(unit.text, plan.question)
    return plan


def _plan(knowledge, messages, adapter=None) -> AnswerPlan:
    plan = AnswerPlan([], {})
    said = said_before(messages)
    question = question_weights(messages)
    asked = question_text(messages)
    wants = wanted(asked)
    facts = conversation_facts(messages)
    scorer = Scorer(knowledge, question, [f.text for f in facts])
    if adapter is not None and _add_trained(plan, knowledge, messages, adapter, said):
        return plan
    last = latest_user(messages)
    talk = knowledge.small_talk_answers(message_text(messages[last])) if last >= 0 else ()
    if talk and not _add_context(plan, facts, scorer, said, last, wants, 1.0, strict=True):
        _add_whole(plan, knowledge, talk, "talk", said)
        return plan
    if plan.kinds or _add_context(plan, facts, scorer, said, last, wants, 1.0):
        return plan
    long = bool(_LONG.search("\n".join(message_text(m) for m in messages if m.get("role") != "assistant")))
    if question and _add_corpus(plan, knowledge, question, scorer, said, wants, asked, asked_weights(messages), long):
        return plan
    _add_whole(plan, knowledge, knowledge.fallback, "unknown", said)
    return plan


def _add_context(plan, facts, scorer, said, last, wants, weight, strict=False) -> bool:
    scored = []
    for f in facts:
        if normalized(f.text) in said:
            continue
        score = scorer(f.text)
        if f.role in ("tool", "function") and f.message > last:
            score += NEW_TOOL_BONUS
        if wants is not None and score > 0 and wants.search(f.text):
            score += TYPE_BONUS
        scored.append((f, score))
    best = max((s for _, s in scored), default=0.0)
    if best < (CONTEXT_MATCH if not strict else 0.6):
        return False
    first = len(plan.units)
    for i, (f, _) in enumerate(scored):
        source = "tool" if f.role in ("tool", "function") else "user" if f.role == "user" else "context"
        plan.units.append(Unit(f.text, "context", (f.message, f.block), f.position,
                               self_contained(f.text), source))
    _link(plan, first)
    starts = _softmax(_credited(plan, [(first + i, s) for i, (_, s) in enumerate(scored)]))
    if not starts:
        return False
    lead = plan.units[max(starts, key=lambda x: x[1])[0]].source
    plan.kinds["context"] = Kind(weight, starts, OPENERS[lead])
    return True


def _credited(plan: AnswerPlan, scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Scores of the units that may open an answer: a sentence that leans on the one before it
    ("It has two moons, Phobos and Deimos.") lends its score to that one, which then leads to it.
    Every unit keeps its own score relative to the best as `relevance`."""
    best = max((sc for _, sc in scored), default=0.0) or 1.0
    own = dict(scored)
    for u, sc in scored:
        plan.units[u].relevance = max(sc, 0.0) / best
    credit = dict(scored)
    before = {f[0][0]: u for u, f in plan.followers.items()}
    for u, sc in scored:
        if not plan.units[u].starts:
            prev = before.get(u)
            while prev is not None and not plan.units[prev].starts:
                prev = before.get(prev)
            if prev is not None and prev in credit:
                credit[prev] = max(credit[prev], sc)
                chain = prev  # every sentence between them leads on to it
                while chain != u and chain in plan.followers:
                    chain = plan.followers[chain][0][0]
                    plan.units[chain].relevance = max(plan.units[chain].relevance, own[u] / best)
    return [(u, sc) for u, sc in credit.items() if plan.units[u].starts]


def _link(plan: AnswerPlan, first: int) -> None:
    """Each unit's follower: the next unit of its group (paragraph), if any."""
    by_group: dict[tuple, list[int]] = {}
    for u in range(first, len(plan.units)):
        by_group.setdefault(plan.units[u].group, []).append(u)
    for members in by_group.values():
        members.sort(key=lambda u: plan.units[u].index)
        for a, b in zip(members, members[1:]):
            plan.followers[a] = [(b, 1.0)]


def _add_corpus(plan, knowledge, question, scorer, said, wants, asked: str, focus, long: bool = False) -> bool:
    match = knowledge.topics.match(question, k=2 * CORPUS_PARAGRAPHS, relative=0.3 if long else 0.5,
                                   coverage=0.3 if long else 0.75, focus=focus)
    if not match.ids or match.strength < UNKNOWN_BELOW:
        return False
    fresh = [(d, sc) for d, sc in zip(match.ids, match.scores)
             if any(normalized(t) not in said for t in knowledge.units[d])][:CORPUS_PARAGRAPHS]
    if not fresh:
        return False
    first = len(plan.units)
    scored = []
    top = fresh[0][1]
    definition = re.match(r"\s*(?:what|who)\s+(?:is|are|was|were)\b", asked, re.I)
    for doc, doc_score in fresh:
        for k, text in enumerate(knowledge.units[doc]):
            u = len(plan.units)
            plan.units.append(Unit(text, "corpus", ("corpus", doc), k, self_contained(text)))
            if normalized(text) in said:
                continue
            lead = scorer.lead(text)
            score = 0.45 * scorer(text) + 0.35 * doc_score / top + 0.2 * lead + 0.15 * (k == 0)
            if wants is not None and wants.search(text):
                score += TYPE_BONUS
            if definition is not None and lead > 0.5 and re.match(r"(?:an?\s+|the\s+)?[\w-]+\s+(?:is|are)\b", text, re.I):
                score += DEFINITION_BONUS
            scored.append((u, score))
    _link(plan, first)
    for u in range(first, len(plan.units)):  # what was said before may be skipped over, not said again
        nxt = plan.followers.get(u)
        if nxt and normalized(plan.units[nxt[0][0]].text) in said:
            del plan.followers[u]
    credited = _credited(plan, scored)
    starts = _softmax(credited)
    if not starts:
        return False
    plan.kinds["corpus"] = Kind(1.0, starts, OPENERS["corpus"], _softmax(credited, keep=0.0))
    return True


def _add_whole(plan, knowledge, doc_ids, kind, said, weight: float = 1.0) -> None:
    """Whole paragraphs as single units (small talk, "I do not know", a trained answer)."""
    fresh = [d for d in doc_ids if normalized(knowledge.paragraphs[d]) not in said] or list(doc_ids)
    first = len(plan.units)
    for d in fresh:
        plan.units.append(Unit(knowledge.paragraphs[d], kind, (kind, d), 0, True))
    n = len(fresh)
    plan.kinds[kind] = Kind(weight, [(first + i, 1.0 / n) for i in range(n)])


def _add_trained(plan, knowledge, messages, adapter, said) -> bool:
    """A fine-tuned model asked something like a training prompt says a trained answer, with the
    weight its training earned (see `adapter.Adapter.weight`); the rest of the plan is the base one's."""
    query = topic_query(stems("\n".join(message_text(m) for m in messages)))
    match = knowledge.topics.match(query, k=8, relative=0.8, neighbour_share=0.0)
    first = len(knowledge.documents) - len(adapter.examples)
    if not match.ids or match.ids[0] < first or adapter.weight <= 0:
        return False
    best: dict[str, float] = {}  # an example given twice is one answer
    for d, score in zip(match.ids, match.scores):
        if d >= first:
            best.setdefault(knowledge.paragraphs[d], score)
    start = len(plan.units)
    for i, text in enumerate(best):
        plan.units.append(Unit(text, "trained", ("trained", i), 0, True))
    starts = _softmax([(start + i, s) for i, s in enumerate(best.values())])
    base_plan = _plan(adapter.base_knowledge, messages)
    weight = adapter.weight
    if set(base_plan.kinds) <= {"unknown"}:
        # Where the base model knows nothing, a little training goes a long way.
        weight = adapter.weight ** 0.25
    plan.kinds["trained"] = Kind(weight, starts)
    offset = len(plan.units)
    plan.units += base_plan.units
    for name, kind in base_plan.kinds.items():
        plan.kinds[name] = Kind((1.0 - weight) * kind.weight, [(u + offset, w) for u, w in kind.starts],
                                kind.openers, [(u + offset, w) for u, w in kind.pool])
    for u, f in base_plan.followers.items():
        plan.followers[u + offset] = [(v + offset, w) for v, w in f]
    return True


__all__ = ["AnswerPlan", "Kind", "Unit", "plan_answer", "question_weights", "split_sentences"]
