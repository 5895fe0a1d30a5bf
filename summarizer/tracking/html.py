"""timeline.html: one self-contained page (inline CSS, no script, no external resource)
showing a tracked negotiation with one column per article, in reading order. Each
column lists the article's changes highlighted by kind (evidence on expand), the
demand-concession links read in it and the state after it."""

from __future__ import annotations

import html

from .model import CHANGE_KINDS, Change, Link, Step, Timeline

#: Each change kind's label, background and border colour (also used by the legend).
KIND_STYLES: dict[str, tuple[str, str, str]] = {
    "new_demand": ("new demand", "#fff1d6", "#d97706"),
    "demand_met": ("demand met", "#dcf5e3", "#1a7f37"),
    "demand_not_mentioned": ("demand not mentioned", "#eceff3", "#8c959f"),
    "new_concession": ("new concession", "#dde9ff", "#2f6fde"),
    "concession_advanced": ("concession advanced", "#ece2ff", "#8250df"),
    "issue_opened": ("issue opened", "#ffe1e1", "#cf222e"),
    "issue_resolved": ("issue resolved", "#d5f3f1", "#0e8a82"),
    "restated": ("restated", "#f7f7f8", "#d0d7de"),
}

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
color:#1f2328;background:#f6f8fa}
.top{padding:16px 24px 4px}h1{font-size:22px;margin:0 0 4px}.sub{color:#59636e;margin:0}
.legend,.parties{display:flex;flex-wrap:wrap;gap:6px 14px;margin:10px 0;padding:0;
list-style:none;align-items:center}
.sw{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;
margin-right:4px;border:2px solid}
.parties li{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:3px 8px}
.aka{color:#59636e}.pk{font-size:11px;color:#59636e;text-transform:uppercase}
.timeline{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(300px,360px);gap:14px;
overflow-x:auto;padding:8px 24px 24px;align-items:start}
.article{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px}
.article h2{font-size:15px;margin:0}.n{display:inline-block;min-width:22px;text-align:center;
background:#1f2328;color:#fff;border-radius:11px;font-size:12px;margin-right:6px}
.date{color:#59636e;font-size:12px}.summary{margin:6px 0 10px;font-style:italic;color:#424a53}
.error{color:#cf222e}
.change{border-left:5px solid;border-radius:6px;padding:6px 8px;margin:8px 0}
.change p{margin:3px 0}.kind{font-weight:600;font-size:12px;text-transform:uppercase}
.id{font:600 12px ui-monospace,monospace;background:#fff;border-radius:4px;padding:0 4px;
margin:0 4px}.who,.why,.cite{color:#59636e;font-size:12.5px}
.change--restated{opacity:.55;font-size:12.5px}
details.evidence summary{cursor:pointer;font-size:12px;color:#59636e}
blockquote{margin:4px 0;padding:2px 8px;border-left:3px solid #d0d7de;background:#fffc}
.missing{font-size:12px;color:#59636e;font-style:italic}
.link{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:4px 8px;
margin:6px 0;font-size:13px}
.state{border-top:1px solid #d0d7de;margin-top:10px;padding-top:6px;font-size:12.5px}
.state h3{font-size:13px;margin:0 0 4px}.state dt{font-weight:600;margin-top:4px}
.state dd{margin:0 0 0 10px}
"""
_CSS += "".join(
    f".change--{kind},.sw--{kind}{{background:{bg};border-color:{border}}}\n"
    for kind, (_, bg, border) in KIND_STYLES.items()
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _item_text(timeline: Timeline, item_id: str) -> str:
    try:
        return timeline.item(item_id).text
    except KeyError:
        return ""


def _change(change: Change) -> str:
    label = KIND_STYLES.get(change.kind, (change.kind, "", ""))[0]
    who = " → ".join(p for p in (change.party, change.to) if p)
    out = [
        f'<div class="change change--{_e(change.kind)}" data-item="{_e(change.item)}">',
        f'<p><span class="kind">{_e(label)}</span><span class="id">{_e(change.item)}</span>'
        + (f'<span class="who">{_e(who)}</span>' if who else "")
        + "</p>",
        f'<p class="text">{_e(change.text)}</p>',
    ]
    if change.kind == "concession_advanced" or change.to_status:
        status = " → ".join(s for s in (change.from_status, change.to_status) if s)
        out.append(f'<p class="status">{_e(status)}</p>')
    if change.answers:
        out.append(f'<p class="answers">answers <span class="id">{_e(change.answers)}</span></p>')
    why = [f"score {change.score:.2f}"] if change.score is not None else []
    why += [change.reason] if change.reason else []
    if why:
        out.append(f'<p class="why">{_e(" · ".join(why))}</p>')
    span = change.evidence
    if span is None:
        out.append('<p class="missing">not mentioned in this article</p>')
    else:
        out.append(
            '<details class="evidence"><summary>evidence</summary>'
            f"<blockquote>{_e(span.text)}</blockquote>"
            f'<p class="cite">article {_e(span.article)}, chars {span.start}–{span.end}</p>'
            "</details>"
        )
    return "\n".join(out) + "</div>"


def _link(link: Link) -> str:
    return (
        f'<div class="link" data-concession="{_e(link.concession)}" '
        f'data-demand="{_e(link.demand)}">{_e(link.concession)} answers {_e(link.demand)} '
        f"(score {link.score:.2f}): {_e(link.reason)}</div>"
    )


def _state(timeline: Timeline, step: Step) -> str:
    state = step.state
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("open demands", [(i, "") for i in state.open_demands]),
        ("met demands", [(i, "") for i in state.met_demands]),
        ("demands not mentioned", [(i, "") for i in state.unmentioned_demands]),
        ("concessions", list(state.concessions.items())),
        ("open issues", [(i, "") for i in state.open_issues]),
        ("resolved issues", [(i, "") for i in state.resolved_issues]),
    ]
    out = ['<div class="state"><h3>State after this article</h3><dl>']
    for name, ids in groups:
        if not ids and name == "demands not mentioned":
            continue
        out.append(f"<dt>{_e(name)} ({len(ids)})</dt>")
        for item_id, status in ids:
            extra = f" <em>[{_e(status)}]</em>" if status else ""
            text = _e(_item_text(timeline, item_id))
            out.append(f'<dd><span class="id">{_e(item_id)}</span> {text}{extra}</dd>')
    return "\n".join(out) + "</dl></div>"


def _column(timeline: Timeline, step: Step) -> str:
    art = step.article
    order = {kind: n for n, kind in enumerate(CHANGE_KINDS)}
    changes = sorted(step.changes, key=lambda c: order.get(c.kind, len(order)))
    seen: set[tuple[str, str]] = set()
    links: list[Link] = []
    for link in [*step.links, *timeline.links]:
        key = (link.concession, link.demand)
        if link.article == art.id and key not in seen:
            seen.add(key)
            links.append(link)
    out = [
        f'<section class="article" data-article="{_e(art.id)}">',
        f'<h2><span class="n">{art.index + 1}</span>{_e(art.title or art.id)}</h2>',
    ]
    if art.date:
        out.append(f'<div class="date">{_e(art.date)}</div>')
    out.append(f'<p class="summary">{_e(art.summary)}</p>')
    if art.error:
        out.append(f'<p class="error">{_e(art.error)}</p>')
    out += [_change(c) for c in changes] or ['<p class="missing">no change</p>']
    out += [_link(link) for link in links]
    out.append(_state(timeline, step))
    return "\n".join(out) + "\n</section>"


def render_html(timeline: Timeline, *, title: str | None = None) -> str:
    """The whole timeline as one self-contained HTML5 document (all text escaped)."""
    title = title or "Negotiation timeline"
    steps = sorted(timeline.steps, key=lambda s: s.article.index)
    legend = "".join(
        f'<li><span class="sw sw--{kind}"></span>{_e(label)}</li>'
        for kind, (label, _, _) in KIND_STYLES.items()
    )
    parties = "".join(
        f'<li><b>{_e(p.name)}</b> <span class="pk">{_e(p.kind)}</span>'
        + (f' <span class="aka">also {_e(", ".join(p.aliases))}</span>' if p.aliases else "")
        + "</li>"
        for p in timeline.parties
    )
    counts = [(len(steps), "article"), (len(timeline.items), "item"), (len(timeline.links), "link")]
    sub = " · ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)
    sub += f" · schema {timeline.schema_version}"
    columns = "\n".join(_column(timeline, step) for step in steps)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style></head>\n<body>\n"
        f'<header class="top"><h1>{_e(title)}</h1><p class="sub">{_e(sub)}</p>\n'
        f'<ul class="legend">{legend}</ul>\n<ul class="parties">{parties}</ul></header>\n'
        f'<main class="timeline">\n{columns}\n</main>\n</body></html>\n'
    )
