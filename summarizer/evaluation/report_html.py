"""report.html: one self-contained page (inline CSS, JavaScript and SVG; no external
resources) with the metrics, a bar chart, per-article tables, each article's text with
gold and predicted evidence highlighted, and matched / missed / spurious items."""

from __future__ import annotations

import math
from typing import Any

from ..io.html_view import CSS, esc, highlight
from ..schema import FIELDS, ITEM_FIELDS
from ..similarity.matching import Assignment
from .report_md import LABELS, fmt, fmt_ci, meta_rows
from .scoring import ArticleScore, Scores

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;
background:#f6f8fa}
main{max-width:1280px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
.sub{color:#59636e}.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px;
margin:12px 0}
.headline{font-size:40px;font-weight:700}.flex{display:flex;gap:24px;flex-wrap:wrap;
align-items:flex-start}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #d0d7de;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#eef1f4}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.sort{cursor:pointer}th.sort:after{content:" \\2195";color:#8c959f}
.sw{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;
margin:0 4px 0 12px}
.legend{margin:6px 0}.ok{color:#1a7f37}.bad{color:#cf222e}
tr.tp td{background:#eaf7ee}tr.opt td{background:#f3f4f6;color:#59636e}
tr.fn td{background:#fdecec}tr.fp td{background:#fff4e0}
details{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:10px 0;padding:8px 12px}
summary{cursor:pointer;font-weight:600}.items td{width:40%}.items td.n,.items td.o{width:10%}
.tag{font-size:12px;border-radius:10px;padding:1px 8px;background:#eef1f4;white-space:nowrap}
button{font:inherit;padding:4px 10px;margin-right:6px;cursor:pointer}
"""

_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.classList.add('sort');
    th.addEventListener('click',function(){
      var rows=Array.prototype.slice.call(t.tBodies[0].rows);
      var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
      rows.sort(function(a,b){
        var x=a.cells[i].textContent,y=b.cells[i].textContent;
        var nx=parseFloat(x),ny=parseFloat(y);
        var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
        return asc?c:-c;});
      rows.forEach(function(r){t.tBodies[0].appendChild(r);});
    });
  });
});
function setAll(open){document.querySelectorAll('details.art').forEach(function(d){d.open=open;});}
"""

_BAR_COLOURS = {"precision": "#8fb8f0", "recall": "#f2c14e", "f1": "#2f6fde"}


def bar_chart(scores: Scores) -> str:
    """Inline SVG: P, R and F1 per field (micro), with the F1 95% interval as a whisker."""
    width, height, left, top, bottom = 660, 270, 40, 16, 40
    plot_h = height - top - bottom
    group_w = (width - left - 10) / len(FIELDS)
    bar_w = group_w / 4.5
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="precision, recall and F1 per field">'
    ]
    for tick in range(0, 11, 2):
        y = top + plot_h * (1 - tick / 10)
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#59636e">{tick / 10:.1f}</text>'
        )
    for g, field in enumerate(FIELDS):
        x0 = left + g * group_w + bar_w * 0.6
        for k, metric in enumerate(("precision", "recall", "f1")):
            value = scores.metrics[f"{field}.{metric}"]
            h = plot_h * (0 if math.isnan(value) else value)
            x = x0 + k * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 3:.1f}" '
                f'height="{h:.1f}" fill="{_BAR_COLOURS[metric]}"><title>{esc(field)} '
                f"{metric}: {fmt(value)}</title></rect>"
            )
            if metric == "f1" and not math.isnan(scores.ci[f"{field}.f1"][0]):
                lo, hi = scores.ci[f"{field}.f1"]
                cx = x + (bar_w - 3) / 2
                y_lo, y_hi = top + plot_h * (1 - lo), top + plot_h * (1 - hi)
                parts.append(
                    f'<path d="M{cx:.1f} {y_lo:.1f}V{y_hi:.1f}M{cx - 4:.1f} {y_lo:.1f}'
                    f'h8M{cx - 4:.1f} {y_hi:.1f}h8" stroke="#1f2328" '
                    f'stroke-width="1.3" fill="none"/>'
                )
        parts.append(
            f'<text x="{x0 + 1.5 * bar_w:.1f}" y="{height - bottom + 18}" '
            f'font-size="12" text-anchor="middle">{esc(LABELS[field])}</text>'
        )
    legend_x = left + 4
    for k, metric in enumerate(("precision", "recall", "f1")):
        x = legend_x + k * 90
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
            f'fill="{_BAR_COLOURS[metric]}"/><text x="{x + 14}" y="{height - 5}" '
            f'font-size="11">{metric if metric != "f1" else "F1 (95% CI)"}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _item_rows(gold_texts: list[str], pred_texts: list[str], a: Assignment) -> str:
    rows: list[str] = []

    def row(cls: str, gold: str, pred: str, sim: str, outcome: str) -> None:
        rows.append(
            f'<tr class="{cls}"><td>{gold}</td><td>{pred}</td>'
            f'<td class="n">{sim}</td><td class="o">{outcome}</td></tr>'
        )

    for p in a.matched:
        row("tp", esc(gold_texts[p.gold]), esc(pred_texts[p.pred]), fmt(p.similarity, 2), "matched")
    for p in a.absorbed:
        row(
            "opt",
            esc(gold_texts[p.gold]) + ' <span class="tag">optional</span>',
            esc(pred_texts[p.pred]),
            fmt(p.similarity, 2),
            "optional",
        )
    for g in a.missed:
        row("fn", esc(gold_texts[g]), "", "", "missed")
    for q in a.spurious:
        row("fp", "", esc(pred_texts[q]), "", "spurious")
    if not rows:
        return "<p class='sub'>No items in gold or prediction.</p>"
    return (
        '<table class="items"><thead><tr><th>gold</th><th>predicted</th><th>sim.</th>'
        "<th>outcome</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _prf(m: dict[str, float], field: str) -> str:
    return (
        f"P {fmt(m[field + '.precision'])} · R {fmt(m[field + '.recall'])} · "
        f"F1 {fmt(m[field + '.f1'])}"
    )


def _labelled(party: str | None, text: str) -> str:
    return f"{party}: {text}" if party else text


def _article_section(a: ArticleScore) -> str:
    summary = a.prediction.summary
    gold_spans: list[tuple[int, int, str]] = []
    pred_spans: list[tuple[int, int, str]] = []
    for field in ITEM_FIELDS:
        for item in a.gold.items(field):
            if item.span is not None:
                gold_spans.append((*item.span, f"{field}[{item.index}]"))
        for i, pitem in enumerate(getattr(summary, field) if summary is not None else []):
            for ev in pitem.evidence:
                if a.gold.article[ev.start : ev.end] == ev.text:
                    pred_spans.append((ev.start, ev.end, f"{field}[{i}]"))
    m = a.metrics()
    status = ""
    if a.prediction.status != "ok":
        reason = f"{a.prediction.status}: {a.prediction.error or ''}"
        status = f' <span class="bad">({esc(reason)})</span>'
    parts = [
        f'<details class="art" id="a-{esc(a.id)}"><summary>{esc(a.id)} — mean F1 '
        f"{fmt(m['headline'])}{status}</summary>",
        '<div class="legend">Evidence:<span class="sw" style="background:#ffe08a"></span>gold'
        '<span class="sw" style="background:#cfe3ff;border-bottom:2px solid #2f6fde"></span>'
        'predicted<span class="sw" style="background:#b5e3c4;border-bottom:2px solid #1a7f37">'
        "</span>both</div>",
        f'<div class="article">{highlight(a.gold.article, gold_spans, pred_spans)}</div>',
    ]
    gold_party = [
        p.name + (f" ({', '.join(p.aliases)})" if p.aliases else "") for p in a.gold.parties
    ]
    pred_party = [
        p.name + (f" ({', '.join(p.aliases)})" if p.aliases else "")
        for p in (summary.parties if summary is not None else [])
    ]
    parts.append(f"<h3>parties — {_prf(m, 'parties')}</h3>")
    parts.append(_item_rows(gold_party, pred_party, a.fields["parties"].assignment))
    for field in ITEM_FIELDS:
        golds = [_labelled(g.party, g.text) for g in a.gold.items(field)]
        preds = [
            _labelled(getattr(p, "party", None), p.text)
            for p in (getattr(summary, field) if summary is not None else [])
        ]
        parts.append(f"<h3>{esc(LABELS[field])} — {_prf(m, field)}</h3>")
        parts.append(_item_rows(golds, preds, a.fields[field].assignment))
    parts.append("</details>")
    return "\n".join(parts)


def render_html(scores: Scores, meta: dict[str, Any]) -> str:
    """The whole report page."""
    m, ci = scores.metrics, scores.ci
    seconds: dict[str, float] = meta.get("seconds_per_article") or {}
    field_rows = "".join(
        f"<tr><td>{esc(LABELS[f])}</td><td class='n'>{fmt(m[f + '.precision'])}</td>"
        f"<td class='n'>{fmt(m[f + '.recall'])}</td><td class='n'><b>{fmt(m[f + '.f1'])}</b></td>"
        f"<td class='n'>{fmt_ci(ci[f + '.f1'])}</td></tr>"
        for f in FIELDS
    )
    article_rows = "".join(
        f"<tr><td><a href='#a-{esc(a.id)}'>{esc(a.id)}</a></td><td>{esc(a.prediction.status)}</td>"
        + "".join(
            f"<td class='n' title='{_prf(a.metrics(), f)}'>{fmt(a.metrics()[f + '.f1'])}</td>"
            for f in FIELDS
        )
        + f"<td class='n'>{fmt(a.metrics()['headline'])}</td>"
        f"<td class='n'>{a.grounded}/{a.spans}</td>"
        f"<td class='n'>{fmt(seconds.get(a.id), 1)}</td></tr>"
        for a in scores.articles
    )
    failures = (
        "".join(
            f"<li><b>{esc(a.id)}</b> ({esc(a.prediction.status)}): "
            f"{esc(a.prediction.error or '')}</li>"
            for a in scores.failures
        )
        or "<li>None.</li>"
    )
    meta_html = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in meta_rows(meta))
    body = f"""
<main>
<h1>Evaluation report</h1>
<div class="sub">model {esc(meta.get("model", "n/a"))} · {len(scores.articles)} articles ·
embedder {esc(scores.embedder)}, threshold {scores.threshold:g} · {scores.resamples}
bootstrap resamples</div>
<h2>Metrics</h2>
<div class="flex"><div class="card"><div class="sub">Headline: mean F1 of the four fields
(micro)</div><div class="headline">{fmt(m["headline"])}</div><div class="sub">95% CI
{fmt_ci(ci["headline"])}</div><p>Grounding rate <b>{fmt(m["grounding_rate"])}</b>
({fmt_ci(ci["grounding_rate"])})<br>Faithfulness rate <b>{fmt(m["faithfulness_rate"])}</b>
({fmt_ci(ci["faithfulness_rate"])})<br>Evidence hit rate <b>{fmt(m["evidence_hit_rate"])}</b>
({fmt_ci(ci["evidence_hit_rate"])})</p></div>
<div class="card">{bar_chart(scores)}</div></div>
<table><thead><tr><th>field</th><th>precision</th><th>recall</th><th>F1</th>
<th>F1 95% CI</th></tr></thead><tbody>{field_rows}</tbody></table>
<h2>Per article</h2>
<table class="sortable"><thead><tr><th>article</th><th>status</th>
{"".join(f"<th>{esc(LABELS[f])}</th>" for f in FIELDS)}<th>mean F1</th><th>grounded</th>
<th>seconds</th></tr></thead><tbody>{article_rows}</tbody></table>
<h2>Failures</h2><ul>{failures}</ul>
<h2>Articles</h2>
<p><button type="button" onclick="setAll(true)">expand all</button><button type="button"
onclick="setAll(false)">collapse all</button></p>
{"".join(_article_section(a) for a in scores.articles)}
<h2>Run metadata</h2>
<table><tbody>{meta_html}</tbody></table>
</main>"""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Evaluation report</title><style>{_CSS}{CSS}</style></head><body>{body}"
        f"<script>{_JS}</script></body></html>\n"
    )
