"""A view of a summary written for a person (Markdown)."""

from __future__ import annotations

from ..schema import Evidence, NegotiationSummary


def _cite(evidence: list[Evidence], text: str = "") -> str:
    refs = ", ".join(f"[{e.sentence}]" if e.sentence else f"@{e.start}" for e in evidence)
    if text.strip() == evidence[0].text.strip():
        return f"(sentence {refs}, quoted)"  # the item is its sentence: no second copy
    quote = evidence[0].text
    if len(quote) > 160:
        quote = quote[:157].rstrip() + "..."
    if quote.lstrip().startswith(("\u201c", '"')):
        return f"{refs} _{quote}_"  # it opens with its own quotation mark: not a second
    return f"{refs} _\u201c{quote}\u201d_"


def _arrow(party: str, to: str | None) -> str:
    return f"**{party}** \u2192 {to}" if to else f"**{party}**"


def to_markdown(summary: NegotiationSummary, *, heading: str | None = None) -> str:
    """Render ``summary`` as Markdown: summary, parties, then the three item lists."""
    lines: list[str] = []
    title = heading or summary.source.title or "Negotiation summary"
    lines += [f"# {title}", "", summary.summary, ""]

    lines.append("## Parties")
    if not summary.parties:
        lines.append("_None identified._")
    for p in summary.parties:
        aka = f" (also: {', '.join(p.aliases)})" if p.aliases else ""
        lines.append(f"- **{p.name}** \u2014 {p.kind.replace('_', ' ')}{aka}")
    lines.append("")

    lines.append("## Demands")
    if not summary.demands:
        lines.append("_None reported._")
    for d in summary.demands:
        lines.append(f"- {_arrow(d.party, d.to)}: {d.text}  \n  {_cite(d.evidence, d.text)}")
    lines.append("")

    lines.append("## Concessions")
    if not summary.concessions:
        lines.append("_None reported._")
    for c in summary.concessions:
        lines.append(
            f"- {_arrow(c.party, c.to)}: {c.text} \u2014 *{c.status}*  \n  "
            f"{_cite(c.evidence, c.text)}"
        )
    lines.append("")

    lines.append("## Open issues")
    if not summary.open_issues:
        lines.append("_None reported._")
    for o in summary.open_issues:
        who = f" ({', '.join(o.parties)})" if o.parties else ""
        lines.append(f"- {o.text}{who}  \n  {_cite(o.evidence, o.text)}")
    lines.append("")

    run = summary.run
    lines.append(
        f"<sub>model `{run.model}` \u00b7 prompt {run.prompt.name} v{run.prompt.version} "
        f"({run.prompt.sha256[:12]}) \u00b7 {run.usage.prompt_tokens}+{run.usage.completion_tokens}"
        f" tokens in {run.usage.calls} call(s) \u00b7 {run.wall_seconds:.1f}s"
        f"{' · cached' if run.cached else ''}</sub>"
    )
    return "\n".join(lines) + "\n"
