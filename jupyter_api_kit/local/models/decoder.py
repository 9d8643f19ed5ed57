"""Next-token distributions of a chat answer: a mixture over the sentences the answer may be saying.

The decoder follows an `AnswerPlan` token by token. Its state is a set of weighted hypotheses, each
"the answer is at token k of opener or unit u" (or "the answer has ended"). The next-token
distribution is their mixture:

    P(t) = (1 - f) * sum_h w_h * [c_hk * 1(t = token k of h) + (1 - c_hk) * W_hk(t)] + f / |vocabulary|

where `c_hk` is how surely the unit dictates its token k: a name, a number, most words: surely
(c = 1); a word with near-equivalents ("every", "in", "very", "large"): less, the rest `W_hk`
going to the alternatives (`alternatives`) in proportion to how well each fits between its
neighbours (`Wording`); f is a small floor. A phrase with another wording ("does not",
"a lot of", a comma before "and": `paraphrase.paths`) gives part of its mass to the other
wording's first token; a hypothesis that takes it says the rest of that wording (a detour) and goes
on with its unit after the phrase. After a token is chosen, each hypothesis is reweighted by the
probability it gave that token (Bayes' rule). At the end of a unit a hypothesis branches into the
end of the answer (with or without a closing line such as "Hope this helps!") and the units that
may follow (`AnswerPlan.after`), which may also be joined to it by ", and". Each hypothesis copies
one unit from its start, so an answer never joins two sentences into a new claim; where hypotheses
agree the next token is near certain, where they differ (which fact to state, how to begin, a word
or phrase among near-equivalents, a comma, whether to go on, how to close) the probabilities say so.

The state is a function of the tokens so far and nothing else, so `P` is a proper distribution
and the logprob reported for a token is exactly log P.

Example:
    >>> from jupyter_api_kit.local.models.knowledge import base_knowledge
    >>> from jupyter_api_kit.local.models.answers import plan_answer
    >>> knowledge = base_knowledge(3)
    >>> plan = plan_answer(knowledge, [{"role": "user", "content": "My cat is Zorblax. Who is my cat?"}])
    >>> dec = AnswerDecoder(knowledge, plan)
    >>> p = dec.probabilities()
    >>> bool(abs(p.sum() - 1) < 1e-9), dec.tokens[int(p.argmax())]
    (True, 'Your')
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from jupyter_api_kit.local.models.answers import (CLOSE_KINDS, CLOSE_SHARE, CLOSINGS, CONNECT_SHARE, CONNECTORS,
                                                  JOIN_SHARE)
from jupyter_api_kit.local.models.casing import lowered
from jupyter_api_kit.local.models.paraphrase import paths as phrase_paths
from jupyter_api_kit.local.models.request_tokens import RequestTokens
from jupyter_api_kit.local.models.tokenizer import pretokenize
from jupyter_api_kit.local.models.wording import Wording, alternatives

FLOOR_WEIGHT = 1e-4
MAX_HYPOTHESES = 32
_PRUNE = 1e-7            # hypotheses this much less likely than the best are dropped
_SHARED: OrderedDict = OrderedDict()  # encoded corpus sentences, shared between requests
_WORDS: OrderedDict = OrderedDict()   # pre-tokens and alternatives of sentences, by text
_SHARED_LOCK = threading.Lock()
_SHARED_SIZE = 50_000
OPENER, UNIT, END, CONNECT = 0, 1, 2, 3
# An answer saying another wording of a phrase; its ref is (tokens, mode, ref, variant, position
# to go on from) of the text it left, which it rejoins after its last token.
DETOUR = 4
CLOSE = 5  # a closing line after the answer's last sentence
# How a unit is written: as the answer's first words, after a space, after an opener that leaves it
# in lower case, after a blank line, or with its subject said as a pronoun ("It opens ...").
START, SPACE, LOWER, BREAK, PRONOUN, PRONOUN_LOWER = 0, 1, 2, 3, 4, 5
JOINED = 6  # written as LOWER, after ", and" (it is not joined to another in turn)
JOIN = len(CONNECTORS)  # the connector " and" of a unit joined to the one before by a comma
# Share of a first unit whose subject the question names that says it as "It"/"They".
PRONOUN_SHARE = 0.15
# Chance that a sentence ends at a clause boundary after it has said what was asked (`Unit.exits`).
EXIT_SHARE = 0.3


class AnswerDecoder:
    """Incremental next-token distributions of a chat answer (see the module docstring)."""

    def __init__(self, knowledge, plan, wording: Wording | None = None, eos: int = 0):
        self.plan = plan
        self.eos = eos
        self.wording = wording or Wording([knowledge.ngram])
        self._vocab = RequestTokens(knowledge.tokenizer)
        self._openers: list[tuple[str, str, bool]] = []
        self._fixed = set(CONNECTORS) | set(CLOSINGS) | {" and"}
        self._seqs: dict[tuple, tuple] = {}
        self._own: dict[tuple, tuple] = {}  # encoded sentences with words of this request
        self.history: list[int] = []
        self._where: dict | None = None  # token -> units and places it occurs at (see _resync)
        start: dict[tuple, float] = {}
        for name, kind in plan.kinds.items():
            for text, weight, lower in kind.openers:
                if not text:
                    for u, q in kind.starts:
                        self._first(start, u, START, kind.weight * weight * q)
                    continue
                self._openers.append((name, text, lower))
                self._fixed.add(text)
                self._add(start, (OPENER, len(self._openers) - 1, START, 0, ()), kind.weight * weight)
        # The conversation's sentences are encoded now, so that the request's vocabulary (the
        # model's plus their new words) is fixed before the first token; the corpus's need no new
        # words and are encoded when an answer reaches them.
        for unit in plan.units:
            if unit.kind == "context":
                pieces = self._words(unit.text)[0]
                self._vocab.ids(pieces + ([" " + pieces[0]] if pieces and not pieces[0][:1].isspace() else []))
        for o in range(len(self._openers)):
            self._seq(OPENER, o, START)
        for c in range(len(CONNECTORS) + 1):
            self._seq(CONNECT, (c, 0), START)
        for c in range(len(CLOSINGS)):
            self._seq(CLOSE, c, START)
        self._after: dict = {}  # (unit, units said) -> what may follow, joinable units, share joined
        self.tokens = self._vocab.finish()
        self.size = len(self.tokens)
        self.period, self.comma = self._vocab.ids([".", ","])
        self.hyps = self._normalize(start) or {(END, 0, 0, 0, ()): 1.0}

    def _first(self, hyps: dict, unit: int, variant: int, weight: float) -> None:
        """The hypotheses of an answer starting with `unit` (written as `variant`)."""
        # After an opener ("Here is what I know:") a bare "it" would have nothing to stand for.
        share = PRONOUN_SHARE if self.plan.units[unit].subject and variant == START else 0.0
        self._add(hyps, (UNIT, unit, variant, 0, ()), weight * (1.0 - share))
        if share:
            self._add(hyps, (UNIT, unit, PRONOUN if variant == START else PRONOUN_LOWER, 0, ()), weight * share)

    def _seq(self, mode: int, ref, variant: int):
        """(token ids, how surely each is dictated, its alternatives' ids, the positions where the
        sentence may end early) of an opener, a connector or a unit."""
        if mode == CONNECT:
            ref = (ref[0], 0)  # a connector's words do not depend on the unit it leads to
        elif mode == DETOUR:
            n = len(ref[0])
            return ref[0], (1.0,) * n, ((),) * n, frozenset(), ((),) * n
        key = (mode, ref, variant)
        found = self._seqs.get(key)
        if found is None:
            if mode == CONNECT:
                text, unit = (CONNECTORS + (" and",))[ref[0]], None
            elif mode == CLOSE:
                text, unit = CLOSINGS[ref], None
            elif mode == OPENER:
                text, unit = self._openers[ref][1], None
            else:
                unit = self.plan.units[ref]
                text = unit.text
            pronoun = (unit.subject, unit.plural) if unit is not None and variant in (PRONOUN, PRONOUN_LOWER) else None
            ids, sure, mates, paths = self._encoded(text, variant, pronoun)
            stops = frozenset()
            if unit is not None:
                shift = {BREAK: 2, PRONOUN: 1 - unit.subject, PRONOUN_LOWER: 1 - unit.subject}.get(variant, 0)
                stops = frozenset(k + shift for k in self.plan.exits_of(ref) if 0 < k + shift < len(ids))
            found = (ids, sure, mates, stops, paths)
            self._seqs[key] = found
        return found

    def _encoded(self, text: str, variant: int, pronoun):
        """(ids, sure, mates, paths) of a text written as `variant`; shared between requests when the text
        needs no word of its own request (a corpus sentence)."""
        key = (id(self._vocab.tokenizer), text, variant, pronoun)
        found = _SHARED.get(key) or self._own.get(key)
        if found is not None:
            return found
        pieces, sure, mates, paths = self._words(text)
        if variant == START and pronoun is None and text in self._fixed:
            # An opener, connector or closing is one of several written on purpose: its words are
            # its own, not to be swapped for near-equivalents.
            n = len(pieces)
            sure, mates, paths = (1.0,) * n, ((),) * n, ((),) * n
        if pronoun is not None:
            subject, plural = pronoun
            word = ("They" if plural else "It") if variant == PRONOUN else (" they" if plural else " it")
            pieces, sure, mates = [word] + pieces[subject:], (1.0,) + sure[subject:], ((),) + mates[subject:]
            paths = ((),) + paths[subject:]
        elif pieces and variant in (SPACE, LOWER, JOINED):
            first = pieces[0] if variant == SPACE else lowered(pieces[0])
            if first[:1].isspace():
                pieces = pretokenize(" " + text)
                pieces, sure, mates, paths = pieces, (1.0,) * len(pieces), ((),) * len(pieces), ((),) * len(pieces)
            else:
                pieces = [" " + first] + pieces[1:]
        elif variant == BREAK:
            pieces, sure, mates = ["\n", "\n"] + pieces, (1.0, 1.0) + sure, ((), ()) + mates
            paths = ((), ()) + paths
        index = self._vocab.tokenizer.index
        own = any(p not in index for p in pieces)
        ids, sure_out, mates_out, starts = [], [], [], []
        for piece, c, alts in zip(pieces, sure, mates):
            spelled = self._vocab.ids([piece])  # a word the request lacks may take several tokens
            starts.append(len(ids))
            ids.extend(spelled)
            sure_out += [c] + [1.0] * (len(spelled) - 1)
            mates_out += [alts] + [()] * (len(spelled) - 1)
        starts.append(len(ids))
        paths_out = [()] * len(ids)
        for k, alts in enumerate(paths):
            if alts:  # spans counted in pre-tokens become spans counted in tokens
                paths_out[starts[k]] = tuple((p, self._vocab.ids(list(words)), starts[k + span] - starts[k])
                                             for p, words, span in alts)
        found = (tuple(ids), tuple(sure_out), tuple(mates_out), tuple(paths_out))
        if own:
            self._own[key] = found
        else:
            with _SHARED_LOCK:
                _SHARED[key] = found
                while len(_SHARED) > _SHARED_SIZE:
                    _SHARED.popitem(last=False)
        return found

    def _words(self, text: str):
        """(pieces, sure, alternatives' ids, other wordings of its phrases) of a text as it is written
        (its first word has no alternatives)."""
        key = (id(self._vocab.tokenizer), text)
        found = _WORDS.get(key)
        if found is None:
            pieces = pretokenize(text)
            index = self._vocab.tokenizer.index
            sure, mates = [1.0], [()]
            for k in range(1, len(pieces)):
                c, alts = alternatives(pieces[k], pieces[k - 1], pieces[k + 1:k + 5])
                alts = tuple(index[a] for a in alts if a in index)
                sure.append(c if alts else 1.0)
                mates.append(alts)
            # Only wordings the model has tokens for: it does not spell a word it has never seen.
            paths = tuple(tuple(a for a in alts if all(w in index for w in a[1])
                                and not (a[2] == 1 and len(a[1]) == 1 and index[a[1][0]] in mates[k]))
                          for k, alts in enumerate(phrase_paths(pieces)))
            found = (pieces, tuple(sure), tuple(mates), paths)
            with _SHARED_LOCK:
                _WORDS[key] = found
                while len(_WORDS) > _SHARED_SIZE:
                    _WORDS.popitem(last=False)
        return found

    # -- state ------------------------------------------------------------------------------------

    @staticmethod
    def _add(hyps: dict, hyp: tuple, weight: float) -> None:
        if weight > 0:
            hyps[hyp] = hyps.get(hyp, 0.0) + weight

    def _expand(self, hyps: dict, hyp: tuple, weight: float) -> None:
        """Put `hyp` into `hyps`, following it past the end of its opener or unit."""
        mode, ref, variant, pos, said = hyp
        if mode == END:
            self._add(hyps, hyp, weight)
            return
        if mode == CLOSE and pos >= len(self._seq(mode, ref, variant)[0]):
            self._add(hyps, (END, 0, 0, 0, ()), weight)
            return
        if pos < len(self._seq(mode, ref, variant)[0]):
            self._add(hyps, hyp, weight)
            return
        if mode == DETOUR:  # the other wording is said: back to the text it left
            _, mode, ref, variant, resume = ref
            self._expand(hyps, (mode, ref, variant, resume, said), weight)
            return
        if mode == OPENER:
            name, _, lower = self._openers[ref]
            for u, q in self.plan.kinds[name].starts:
                self._first(hyps, u, LOWER if lower else SPACE, weight * q)
            return
        if mode == CONNECT:
            self._expand(hyps, (UNIT, ref[1], JOINED if ref[0] == JOIN else LOWER, 0, said), weight)
            return
        said = said + (ref,)
        end, options = self.plan.after(ref, said)
        # A closing line only where there is nothing more to say, so a greedy answer stops as it did.
        close = CLOSE_SHARE if end >= 1.0 and self.plan.units[ref].kind in CLOSE_KINDS else 0.0
        self._add(hyps, (END, 0, 0, 0, ()), weight * end * (1.0 - close))
        for c in range(len(CLOSINGS) if close else 0):
            self._add(hyps, (CLOSE, c, START, 0, ()), weight * end * close / len(CLOSINGS))
        multiline = "\n" in self.plan.units[ref].text
        for u, q in options:
            if multiline or "\n" in self.plan.units[u].text:
                self._expand(hyps, (UNIT, u, BREAK, 0, said), weight * q)
                continue
            self._expand(hyps, (UNIT, u, SPACE, 0, said), weight * q * (1.0 - CONNECT_SHARE))
            for c in range(len(CONNECTORS)):
                self._add(hyps, (CONNECT, (c, u), START, 0, said), weight * q * CONNECT_SHARE / len(CONNECTORS))

    def _joins(self, unit: int, said: tuple) -> tuple[list[tuple[int, float]], float]:
        """(units a sentence may be joined to with ", and", each with its probability of following;
        the probability that it is) after `unit`: one-line sentences only."""
        key = (unit, said)
        found = self._after.get(key)
        if found is None:
            options = []
            if "\n" not in self.plan.units[unit].text:
                options = [(u, q) for u, q in self.plan.after(unit, said + (unit,))[1]
                           if "\n" not in self.plan.units[u].text]
            found = self._after[key] = (options, JOIN_SHARE * sum(q for _, q in options))
        return found

    def _resync(self, hyps: dict, token: int) -> None:
        """Hypotheses that the answer goes on after `token` wherever a unit has it."""
        if self._where is None:
            self._where = {}
            for u in range(len(self.plan.units)):
                for j, t in enumerate(self._seq(UNIT, u, SPACE)[0]):
                    self._where.setdefault(t, []).append((u, j))
        found = self._where.get(token, ())
        for u, j in found[:MAX_HYPOTHESES]:
            self._expand(hyps, (UNIT, u, SPACE, j + 1, ()), 1.0 / len(found))

    @staticmethod
    def _normalize(hyps: dict) -> dict:
        total = sum(hyps.values())
        if total <= 0:
            return {}
        items = sorted(hyps.items(), key=lambda kv: -kv[1])[:MAX_HYPOTHESES]
        top = items[0][1]
        kept = [(h, w) for h, w in items if w >= _PRUNE * top]
        total = sum(w for _, w in kept)
        return {h: w / total for h, w in kept}

    def _wording(self, ids, pos: int, mates) -> np.ndarray:
        context = tuple(([-1, -1] + self.history)[-2:])
        after = ids[pos + 1] if pos + 1 < len(ids) else -1
        return self.wording.get(context, ids[pos], after, mates)

    def sparse(self) -> tuple[list[int], list[float], float]:
        """P(next token) as (ids, their probabilities, the probability of every other token):
        the few tokens some hypothesis predicts, over the floor shared by all."""
        mass: dict[int, float] = {}
        for (mode, ref, variant, pos, said), w in self.hyps.items():
            if mode == END:
                mass[self.eos] = mass.get(self.eos, 0.0) + w
                continue
            ids, sure, mates, stops, paths = self._seq(mode, ref, variant)
            if pos in stops:
                mass[self.period] = mass.get(self.period, 0.0) + w * EXIT_SHARE
                w *= 1.0 - EXIT_SHARE
            if mode == UNIT and variant != JOINED and pos == len(ids) - 1 and ids[pos] == self.period:
                joined = self._joins(ref, said)[1]
                if joined:
                    mass[self.comma] = mass.get(self.comma, 0.0) + w * joined
                    w *= 1.0 - joined
            if paths[pos]:
                for p, words, _ in paths[pos]:
                    mass[words[0]] = mass.get(words[0], 0.0) + w * p
                w *= 1.0 - sum(p for p, _, _ in paths[pos])
            c = sure[pos]
            mass[ids[pos]] = mass.get(ids[pos], 0.0) + w * c
            if c < 1.0:
                for t, share in zip(mates[pos], self._wording(ids, pos, mates[pos])):
                    mass[t] = mass.get(t, 0.0) + w * (1.0 - c) * share
        base = FLOOR_WEIGHT / self.size
        ids = sorted(mass)
        keep = 1.0 - FLOOR_WEIGHT
        return ids, [mass[i] * keep + base for i in ids], base

    def probabilities(self) -> np.ndarray:
        """P(next token) over `self.tokens` given the tokens so far (dense; see `sparse`)."""
        ids, values, base = self.sparse()
        p = np.full(self.size, base)
        p[ids] = values
        return p

    def advance(self, token: int) -> None:
        """Take in the chosen token: reweight the hypotheses by the probability each gave it (Bayes'
        rule) and move them on; one that gave it none drops out."""
        new: dict = {}
        for hyp, w in self.hyps.items():
            mode, ref, variant, pos, said = hyp
            if mode == END:
                if token == self.eos:
                    self._add(new, hyp, w)
                continue
            ids, sure, mates, stops, paths = self._seq(mode, ref, variant)
            if pos in stops:
                if token == self.period:  # the sentence ends here: on to what may follow it
                    self._expand(new, (mode, ref, variant, len(ids), said), w * EXIT_SHARE)
                w *= 1.0 - EXIT_SHARE
            if mode == UNIT and variant != JOINED and pos == len(ids) - 1 and ids[pos] == self.period:
                options, joined = self._joins(ref, said)
                if joined and token == self.comma:
                    for u, q in options:
                        self._add(new, (CONNECT, (JOIN, u), START, 0, said + (ref,)), w * JOIN_SHARE * q)
                w *= 1.0 - joined
            if paths[pos]:
                for p, words, span in paths[pos]:
                    if words[0] == token:  # another wording: say its other words, then go on after it
                        self._expand(new, (DETOUR, (words, mode, ref, variant, pos + span), START, 1, said), w * p)
                w *= 1.0 - sum(p for p, _, _ in paths[pos])
            c = sure[pos]
            if token == ids[pos]:
                lik = c
            elif token in mates[pos]:
                lik = (1.0 - c) * self._wording(ids, pos, mates[pos])[mates[pos].index(token)]
            else:
                continue
            self._expand(new, (mode, ref, variant, pos + 1, said), w * lik)
        if not new:  # a token only the floor gave (or text scored from elsewhere): pick up the thread
            self._resync(new, token)
        if not new:
            for (mode, ref, variant, pos, said), w in self.hyps.items():
                if mode != END:
                    self._expand(new, (mode, ref, variant, pos + 1, said), w)
        self.history.append(token)
        self.hyps = self._normalize(new) or {(END, 0, 0, 0, ()): 1.0}
