"""A Markdown timeline: per article, what changed (with its evidence), the links
found, and the state after it."""

from __future__ import annotations

from .model import CHANGE_KINDS, Change, Step, Timeline

LABELS = {
    "new_demand": "New demand",
    "demand_met": "Demand met",
    "demand_not_mentioned": "Demand not mentioned",
    "new_concession": "New concession",
    "concession_advanced": "Concession advanced",
    "issue_opened": "Issue opened",
    "issue_resolved": "Issue resolved",
    "restated": "Restated",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _sides(c: Change) -> str:
    if c.party and c.to:
        return f"{c.party} → {c.to}: "
    return f"{c.party}: " if c.party else ""


def change_line(c: Change) -> str:
    """One change as a Markdown list item, its evidence quoted below it."""
    head = f"- **{LABELS[c.kind]}** `{c.item}` {_sides(c)}{_one_line(c.text)}"
    if c.kind == "concession_advanced":
        head += f" ({c.from_status} → {c.to_status})"
    if c.answers:
        head += f" — answers `{c.answers}`"
    if c.reason:
        head += f" ({c.reason})"
    if c.evidence is None:
        return head + "\n  > not mentioned in this article"
    ev = c.evidence
    return head + f"\n  > {_one_line(ev.text)} <sub>{ev.article} {ev.start}–{ev.end}</sub>"


def step_markdown(step: Step, timeline: Timeline) -> str:
    a = step.article
    title = a.title or a.id
    lines = [f"## {a.index + 1}. {title}", ""]
    lines.append(f"`{a.id}`" + (f" · {a.date}" if a.date else ""))
    if a.error:
        return "\n".join([*lines, "", f"**Not summarized:** {a.error}", ""])
    lines += ["", f"*{_one_line(a.summary)}*", ""]
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    real = sorted((c for c in step.changes if c.kind != "restated"), key=lambda c: order[c.kind])
    again = [c for c in step.changes if c.kind == "restated"]
    lines += [change_line(c) for c in real] or ["- no changes"]
    if again:
        lines += ["", f"<details><summary>Restated ({len(again)})</summary>", ""]
        lines += [change_line(c) for c in again]
        lines += ["", "</details>"]
    if step.links:
        lines += ["", "**Links**", ""]
        lines += [
            f"- `{link.concession}` answers `{link.demand}` ({link.score:.2f}): {link.reason}"
            for link in step.links
        ]
    s = step.state
    lines += ["", "**State after this article**", ""]
    for label, ids in (
        ("open demands", s.open_demands),
        ("met demands", s.met_demands),
        ("demands not mentioned since", s.unmentioned_demands),
        ("open issues", s.open_issues),
        ("resolved issues", s.resolved_issues),
    ):
        lines.append(f"- {label}: " + (", ".join(f"`{i}`" for i in ids) or "none"))
    concessions = ", ".join(f"`{i}` {status}" for i, status in s.concessions.items())
    lines.append("- concessions: " + (concessions or "none"))
    return "\n".join(lines) + "\n"


def to_markdown(timeline: Timeline) -> str:
    """The whole timeline: parties, each article in order, and the items by id."""
    out = ["# Negotiation timeline", ""]
    out += ["**Parties:** "]
    out[-1] += "; ".join(
        p.name + (f" ({', '.join(p.aliases)})" if p.aliases else "") for p in timeline.parties
    )
    out.append("")
    out += [step_markdown(step, timeline) for step in timeline.steps]
    out += [
        "## Items",
        "",
        "| id | kind | party | text | state | seen |",
        "|---|---|---|---|---|---|",
    ]
    for it in timeline.items:
        sides = (
            f"{it.party} → {it.to}" if it.party and it.to else (it.party or ", ".join(it.parties))
        )
        state = it.status if it.kind == "concession" else it.state
        text = _one_line(it.text).replace("|", "\\|")
        seen = (
            it.first_seen if it.first_seen == it.last_seen else f"{it.first_seen} … {it.last_seen}"
        )
        out.append(f"| `{it.id}` | {it.kind} | {sides} | {text} | {state} | {seen} |")
    return "\n".join(out) + "\n"
