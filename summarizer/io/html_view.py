"""HTML for a person: an article with spans highlighted, and one summary as a fragment
(items, each with its evidence marked in the article). Shared by the eval report and
the service's page, so both show evidence the same way."""

from __future__ import annotations

import html
from typing import Any

from ..schema import ITEM_FIELDS, NegotiationSummary

LABELS = {"demands": "Demands", "concessions": "Concessions", "open_issues": "Open issues"}

#: Styles of the marks ``highlight`` and ``summary_fragment`` write.
CSS = """
mark{padding:0 1px;border-radius:2px;color:inherit}
mark.g{background:#ffe08a}mark.p{background:#cfe3ff;border-bottom:2px solid #2f6fde}
mark.gp{background:#b5e3c4;border-bottom:2px solid #1a7f37}
.article{white-space:pre-wrap;background:#fff;border:1px solid #d0d7de;border-radius:6px;
padding:12px;max-height:420px;overflow:auto;font-size:13.5px}
.items li{margin:4px 0}.items .who{color:#59636e;font-size:12.5px}
.items .status{font-size:12px;border-radius:10px;padding:1px 8px;background:#eef1f4}
"""


def esc(value: Any) -> str:
    """HTML-escaped text (quotes too)."""
    return html.escape(str(value), quote=True)


def highlight(
    article: str, gold: list[tuple[int, int, str]], pred: list[tuple[int, int, str]]
) -> str:
    """The article with gold spans, predicted spans and their overlap marked."""
    bounds = {0, len(article)}
    for start, end, _ in (*gold, *pred):
        bounds.update((start, end))
    cuts = sorted(b for b in bounds if 0 <= b <= len(article))
    out: list[str] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        text = esc(article[start:end])
        in_g = [lab for s, e, lab in gold if s <= start and end <= e]
        in_p = [lab for s, e, lab in pred if s <= start and end <= e]
        if not in_g and not in_p:
            out.append(text)
            continue
        cls = "gp" if in_g and in_p else ("g" if in_g else "p")
        title = "; ".join([*(f"gold {x}" for x in in_g), *(f"predicted {x}" for x in in_p)])
        out.append(f'<mark class="{cls}" title="{esc(title)}">{text}</mark>')
    return "".join(out)


def summary_fragment(article: str, summary: NegotiationSummary) -> str:
    """The summary's parties and items, each item numbered and its evidence marked in
    the article below (``mark.p`` with the item's number in its title)."""
    parts = [f'<p class="lede">{esc(summary.summary)}</p>']
    parties = ", ".join(
        esc(p.name)
        + (f" <span class='who'>({esc(', '.join(p.aliases))})</span>" if p.aliases else "")
        for p in summary.parties
    )
    parts.append(f"<p><b>Parties:</b> {parties or 'none'}</p>")
    spans: list[tuple[int, int, str]] = []
    for field in ITEM_FIELDS:
        items: list[Any] = getattr(summary, field)
        parts.append(f"<h3>{LABELS[field]} ({len(items)})</h3>")
        if not items:
            parts.append("<p class='who'>none</p>")
            continue
        rows = []
        for n, item in enumerate(items, start=1):
            label = f"{LABELS[field][0]}{n}"
            who = ""
            if field != "open_issues":
                who = esc(item.party) + (f" → {esc(item.to)}" if item.to else "")
            elif item.parties:
                who = esc(", ".join(item.parties))
            status = (
                f" <span class='status'>{esc(item.status)}</span>" if field == "concessions" else ""
            )
            rows.append(
                f"<li data-item='{label}'><b>{label}</b> <span class='who'>{who}</span> "
                f"{esc(item.text)}{status}</li>"
            )
            spans += [(ev.start, ev.end, label) for ev in item.evidence]
        parts.append(f"<ol class='items'>{''.join(rows)}</ol>")
    parts.append("<h3>Article, with the evidence of each item marked</h3>")
    parts.append(f"<div class='article'>{highlight(article, [], spans)}</div>")
    return "\n".join(parts)
