"""The state of a negotiation after each article, and what each article changed.

``Tracker.step(article, summary)`` takes one article's summary at a time (so a long
series streams in constant memory: no article text is kept) and returns its ``Step``.

How an article's items meet the series' items (per kind: demands, concessions, open
issues):

- **Same item** when the texts' similarity reaches the scorer's calibrated threshold
  (``similarity.threshold``, the same MiniLM or lexical similarity that matches
  predictions to gold) and, for demands and concessions, the series parties agree.
  Matching is one-to-one (``similarity.matching.assign``). The item keeps its id and
  gains the new evidence: ``restated``, or ``concession_advanced`` when a concession's
  status moves forward (offered → agreed → implemented). An item said again is open
  again: a met demand asked anew, a resolved issue raised again.
- Otherwise it is a new item: ``new_demand``, ``new_concession``, ``issue_opened``.
- **Links:** a concession answers a demand when the concession's side is not the
  demanding side (and, if it names a recipient, concedes to the demander), and their
  texts reach the threshold. Each concession links to its most similar such demand
  (not one read from the same sentence). A link to a demand from an earlier article is
  the change ``demand_met``, even when the article also restates the demand.
- **Issues resolved:** an open issue from an earlier article that this article does
  not restate, and that an agreed or implemented concession of this article matches.
- **Demands not mentioned:** an earlier demand that this article neither restates nor
  meets. It is never called dropped: the article is simply silent.

The first article's items are all new; the changes of later articles are the diff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..schema import Concession, Demand, Evidence, NegotiationSummary, OpenIssue
from ..similarity.matching import assign
from ..similarity.text import TextSimilarity
from .model import (
    STATUS_RANK,
    ArticleInfo,
    Change,
    Item,
    ItemKind,
    Link,
    Span,
    State,
    Step,
    Timeline,
)
from .parties import PartyBook

_PREFIX: dict[ItemKind, str] = {"demand": "D", "concession": "C", "open_issue": "I"}
_NEW = {"demand": "new_demand", "concession": "new_concession", "open_issue": "issue_opened"}


@dataclass
class Mention:
    """One item of the article being read, with series party names."""

    kind: ItemKind
    text: str
    span: Span
    party: str | None = None
    to: str | None = None
    parties: tuple[str, ...] = ()
    status: str | None = None


def _span(article: str, evidence: Sequence[Evidence]) -> Span:
    ev = evidence[0]
    return Span(article=article, start=ev.start, end=ev.end, text=ev.text)


def mentions(summary: NegotiationSummary, article: str, names: dict[str, str]) -> list[Mention]:
    """The summary's items, their parties renamed to the series' names."""
    out: list[Mention] = []
    item: Demand | Concession | OpenIssue
    for item in summary.demands:
        out.append(
            Mention(
                "demand",
                item.text,
                _span(article, item.evidence),
                party=names.get(item.party, item.party),
                to=names.get(item.to, item.to) if item.to else None,
            )
        )
    for item in summary.concessions:
        out.append(
            Mention(
                "concession",
                item.text,
                _span(article, item.evidence),
                party=names.get(item.party, item.party),
                to=names.get(item.to, item.to) if item.to else None,
                status=item.status,
            )
        )
    for item in summary.open_issues:
        sides = tuple(dict.fromkeys(names.get(p, p) for p in item.parties))
        out.append(Mention("open_issue", item.text, _span(article, item.evidence), parties=sides))
    return out


def _same_sides(m: Mention, it: Item) -> bool:
    if m.kind == "open_issue":
        return True
    return m.party == it.party and (m.to is None or it.to is None or m.to == it.to)


def _answers(concession: Mention | Item, demand: Item | Mention) -> bool:
    """The concession's side is not the demander, and concedes to it if it says to whom."""
    if concession.party is None or demand.party is None or concession.party == demand.party:
        return False
    return concession.to is None or concession.to == demand.party


class Tracker:
    """Reads a series one article at a time; see the module doc."""

    def __init__(self, similarity: TextSimilarity, threshold: float) -> None:
        self.similarity = similarity
        self.threshold = threshold
        self.book = PartyBook()
        self.items: list[Item] = []
        self.links: list[Link] = []
        self._count: dict[ItemKind, int] = {"demand": 0, "concession": 0, "open_issue": 0}
        self._index = 0

    # -- helpers ------------------------------------------------------------------------
    def _new_id(self, kind: ItemKind) -> str:
        self._count[kind] += 1
        return f"{_PREFIX[kind]}{self._count[kind]}"

    def _sims(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        return self.similarity.matrix(a, b)  # len(a) x len(b), empty when either is

    @staticmethod
    def _reason(score: float, what: str) -> str:
        return f"{what}; text similarity {score:.2f}"

    # -- one article --------------------------------------------------------------------
    def step(
        self,
        article_id: str,
        summary: NegotiationSummary | None,
        *,
        date: str | None = None,
        error: str | None = None,
    ) -> Step:
        """The changes ``summary`` brings, and the state after it. A ``None`` summary (the
        article failed) changes nothing and is recorded with its ``error``."""
        info = ArticleInfo(
            id=article_id,
            index=self._index,
            title=summary.source.title if summary else None,
            date=date,
            sha256=summary.source.sha256 if summary else "0" * 64,
            summary=summary.summary if summary else "",
            error=error,
        )
        self._index += 1
        if summary is None:
            return Step(article=info, state=self.state())
        names = self.book.add(summary.parties, article_id)
        found = mentions(summary, article_id, names)
        earlier = list(self.items)  # items known before this article
        changes: list[Change] = []
        touched: set[str] = set()
        matched_item: dict[int, Item] = {}  # mention index -> its series item
        for kind in ("demand", "concession", "open_issue"):
            idx = [i for i, m in enumerate(found) if m.kind == kind]
            pool = [it for it in earlier if it.kind == kind]
            sims = self._sims([found[i].text for i in idx], [it.text for it in pool])
            allowed = sims >= self.threshold
            for r, i in enumerate(idx):
                for c, it in enumerate(pool):
                    allowed[r, c] &= _same_sides(found[i], it)
            result = assign(sims, allowed, [False] * len(pool))
            pairs = {p.pred: p for p in result.matched}
            for r, i in enumerate(idx):
                m = found[i]
                if r in pairs and pool[pairs[r].gold].id not in touched:
                    it = pool[pairs[r].gold]
                    changes.append(self._again(it, m, pairs[r].similarity))
                else:
                    it = self._create(m)
                    changes.append(self._change(_NEW[kind], it, m))
                touched.add(it.id)
                matched_item[i] = it
        changes += self._link(found, matched_item, earlier, touched)
        changes += self._resolve(found, matched_item, earlier, touched)
        for it in earlier:
            if it.kind == "demand" and it.state == "open" and it.id not in touched:
                it.state = "not_mentioned"
                changes.append(
                    Change(
                        article=article_id,
                        kind="demand_not_mentioned",
                        item=it.id,
                        item_kind="demand",
                        party=it.party,
                        to=it.to,
                        text=it.text,
                    )
                )
        links = [link for link in self.links if link.article == article_id]
        return Step(article=info, changes=changes, links=links, state=self.state())

    def _create(self, m: Mention) -> Item:
        it = Item(
            id=self._new_id(m.kind),
            kind=m.kind,
            party=m.party,
            to=m.to,
            parties=list(m.parties),
            text=m.text,
            status=m.status,  # type: ignore[arg-type]
            first_seen=m.span.article,
            last_seen=m.span.article,
            evidence=[m.span],
        )
        self.items.append(it)
        return it

    def _again(self, it: Item, m: Mention, score: float) -> Change:
        """An earlier item said again: restated, or a concession's status advanced."""
        it.last_seen = m.span.article
        it.evidence.append(m.span)
        it.state = "open"  # said again: open again (a met demand asked anew, an issue reopened)
        before = it.status
        if (
            it.kind == "concession"
            and m.status is not None
            and before is not None
            and STATUS_RANK[m.status] > STATUS_RANK[before]
        ):
            it.status = m.status  # type: ignore[assignment]
            change = self._change("concession_advanced", it, m, score=score)
            change.from_status, change.to_status = before, it.status
            return change
        return self._change("restated", it, m, score=score)

    def _change(self, kind: str, it: Item, m: Mention, *, score: float | None = None) -> Change:
        return Change(
            article=m.span.article,
            kind=kind,  # type: ignore[arg-type]
            item=it.id,
            item_kind=it.kind,
            party=it.party,
            to=it.to,
            text=m.text,
            score=None if score is None else round(float(score), 3),
            evidence=m.span,
        )

    def _link(
        self,
        found: list[Mention],
        matched: dict[int, Item],
        earlier: list[Item],
        touched: set[str],
    ) -> list[Change]:
        """Links from this article's concessions to demands; ``demand_met`` changes."""
        changes: list[Change] = []
        demands = [it for it in self.items if it.kind == "demand" and it.state != "met"]
        conc = [i for i, m in enumerate(found) if m.kind == "concession"]
        sims = self._sims([found[i].text for i in conc], [d.text for d in demands])
        earlier_ids = {it.id for it in earlier}
        known = {(x.concession, x.demand) for x in self.links}
        linked: set[str] = set()
        for r, i in enumerate(conc):
            m, citem = found[i], matched[i]
            options = [
                (float(sims[r, c]), d)
                for c, d in enumerate(demands)
                if sims[r, c] >= self.threshold
                and _answers(m, d)
                and d.id not in linked
                and (citem.id, d.id) not in known
                and m.span not in d.evidence  # one sentence read two ways answers nothing
            ]
            if not options:
                continue
            score, demand = max(options, key=lambda o: o[0])
            linked.add(demand.id)
            reason = self._reason(
                score, f"{m.party} concedes what {demand.party} asked ({demand.id})"
            )
            article = m.span.article
            self.links.append(
                Link(
                    concession=citem.id,
                    demand=demand.id,
                    article=article,
                    score=round(score, 3),
                    reason=reason,
                )
            )
            if demand.id in earlier_ids:  # met now, even if this article also restates it
                demand.state = "met"
                touched.add(demand.id)
                change = self._change("demand_met", citem, m, score=score)
                change.party, change.to = m.party, demand.party
                change.answers, change.reason = demand.id, reason
                changes.append(change)
        return changes

    def _resolve(
        self,
        found: list[Mention],
        matched: dict[int, Item],
        earlier: list[Item],
        touched: set[str],
    ) -> list[Change]:
        """Earlier open issues that an agreed or implemented concession settles."""
        changes: list[Change] = []
        issues = [
            it
            for it in earlier
            if it.kind == "open_issue" and it.state == "open" and it.id not in touched
        ]
        settled = [
            i
            for i, m in enumerate(found)
            if m.kind == "concession" and m.status in ("agreed", "implemented")
        ]
        sims = self._sims([it.text for it in issues], [found[i].text for i in settled])
        for r, issue in enumerate(issues):
            if not settled or sims[r].max() < self.threshold:
                continue
            c = int(sims[r].argmax())
            m = found[settled[c]]
            issue.state = "resolved"
            touched.add(issue.id)
            change = self._change("issue_resolved", issue, m, score=float(sims[r, c]))
            change.text = issue.text  # the issue settled; the evidence is what settles it
            change.answers = issue.id
            change.reason = self._reason(
                float(sims[r, c]), f"{matched[settled[c]].id} settles {issue.id}"
            )
            changes.append(change)
        return changes

    # -- state ----------------------------------------------------------------------------
    def state(self) -> State:
        s = State()
        for it in self.items:
            if it.kind == "demand":
                {"open": s.open_demands, "met": s.met_demands}.get(
                    it.state, s.unmentioned_demands
                ).append(it.id)
            elif it.kind == "concession" and it.status is not None:
                s.concessions[it.id] = it.status
            elif it.kind == "open_issue":
                (s.resolved_issues if it.state == "resolved" else s.open_issues).append(it.id)
        return s

    def timeline(self, steps: Sequence[Step]) -> Timeline:
        """The whole series: parties, the given steps, every item and link."""
        return Timeline(
            parties=[p.model_copy(deep=True) for p in self.book.parties],
            steps=list(steps),
            items=[it.model_copy(deep=True) for it in self.items],
            links=list(self.links),
        )
