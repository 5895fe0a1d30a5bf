"""The tracking timeline's HTML view: structure (standard-library parser), escaping, and
how headless Chromium renders it (DOM, side-by-side columns, screenshot colours)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import dump_dom, hex_rgb, read_png, require_chromium, screenshot

from summarizer.tracking.html import KIND_STYLES, render_html
from summarizer.tracking.model import (
    CHANGE_KINDS,
    ArticleInfo,
    Change,
    Item,
    Link,
    SeriesParty,
    Span,
    State,
    Step,
    Timeline,
)

EVIL = 'China demanded that the US drop "negative initiatives" <script>alert(1)</script> & more'
ARTICLES = {
    "geneva": (
        "GENEVA, May 12 - The United States demanded that China lift its export restrictions "
        "on rare earths. China demanded that Washington cut the tariffs on Chinese goods. "
        "China offered to review export licences for rare-earth magnets. How rare-earth "
        "supplies will resume remains unresolved."
    ),
    "london": (
        "LONDON, June 10 - Rare-earth supplies remain unresolved, negotiators said. The United "
        "States agreed to hold more trade talks with China. China agreed to hold more trade "
        "talks with the United States. China agreed to approve export licences for rare-earth "
        "magnets, which Washington welcomed."
    ),
    "call": (
        f"WASHINGTON, July 1 - Trump and Xi spoke by phone. {EVIL}. China has approved the "
        "first export licences for rare-earth magnets, easing the shortage."
    ),
}
US, CN = "United States", "China"


def span(article: str, quote: str) -> Span:
    start = ARTICLES[article].index(quote)
    return Span(article=article, start=start, end=start + len(quote), text=quote)


def change(article: str, kind: str, item: str, quote: str | None, **kw: object) -> Change:
    item_kind = {"D": "demand", "C": "concession", "I": "open_issue"}[item[0]]
    ev = span(article, quote) if quote else None
    return Change.model_validate(
        dict(article=article, kind=kind, item=item, item_kind=item_kind, evidence=ev, **kw)
        | {"text": kw.get("text", quote or ITEM_TEXT[item])}
    )


ITEM_TEXT = {
    "D1": "The United States demanded that China lift its export restrictions on rare earths",
    "D2": "China demanded that Washington cut the tariffs on Chinese goods",
    "D3": EVIL,
    "C1": "China offered to review export licences for rare-earth magnets",
    "C2": "The United States agreed to hold more trade talks with China",
    "C3": "China agreed to hold more trade talks with the United States",
    "I1": "How rare-earth supplies will resume remains unresolved",
}
LINK = Link(
    concession="C1",
    demand="D1",
    article="london",
    score=0.71,
    reason="licences for rare-earth magnets ease the export restrictions",
)


def info(article: str, index: int, title: str, date: str, summary: str) -> ArticleInfo:
    return ArticleInfo(
        id=article, index=index, title=title, date=date, sha256="0" * 64, summary=summary
    )


def make_timeline() -> Timeline:
    t = ITEM_TEXT
    advanced = "China agreed to approve export licences for rare-earth magnets"
    resolved = "China has approved the first export licences for rare-earth magnets"
    steps = [
        Step(
            article=info(
                "geneva",
                0,
                "US and China open talks in Geneva",
                "2025-05-12",
                "The US and China set out their demands on rare earths and tariffs.",
            ),
            changes=[
                change("geneva", "new_demand", "D1", t["D1"], party=US, to=CN),
                change("geneva", "new_demand", "D2", t["D2"], party=CN, to=US),
                change("geneva", "new_concession", "C1", t["C1"], party=CN, to=US),
                change("geneva", "issue_opened", "I1", t["I1"]),
            ],
            state=State(
                open_demands=["D1", "D2"], concessions={"C1": "offered"}, open_issues=["I1"]
            ),
        ),
        Step(
            article=info(
                "london",
                1,
                "Trade talks resume in London",
                "2025-06-10",
                "Both sides agree to more talks; China moves on magnet licences.",
            ),
            changes=[
                change(
                    "london", "restated", "I1", "Rare-earth supplies remain unresolved", score=0.83
                ),
                change("london", "new_concession", "C2", t["C2"], party=US, to=CN),
                change("london", "new_concession", "C3", t["C3"], party=CN, to=US),
                change(
                    "london",
                    "concession_advanced",
                    "C1",
                    advanced,
                    party=CN,
                    to=US,
                    from_status="offered",
                    to_status="agreed",
                    score=0.9,
                ),
                change("london", "demand_not_mentioned", "D2", None, party=CN, to=US),
                change(
                    "london",
                    "demand_met",
                    "C1",
                    advanced,
                    party=CN,
                    to=US,
                    answers="D1",
                    score=LINK.score,
                    reason=LINK.reason,
                ),
            ],
            links=[LINK],
            state=State(
                met_demands=["D1"],
                unmentioned_demands=["D2"],
                concessions={"C1": "agreed", "C2": "agreed", "C3": "agreed"},
                open_issues=["I1"],
            ),
        ),
        Step(
            article=info(
                "call",
                2,
                "Trump & Xi speak by phone",
                "2025-07-01",
                "China adds a demand; magnet licences settle the rare-earth issue.",
            ),
            changes=[
                change("call", "new_demand", "D3", EVIL, party=CN, to=US),
                change(
                    "call",
                    "issue_resolved",
                    "I1",
                    resolved,
                    answers="I1",
                    score=0.64,
                    reason="C1 settles I1",
                ),
                change("call", "demand_not_mentioned", "D2", None, party=CN, to=US),
            ],
            state=State(
                open_demands=["D3"],
                met_demands=["D1"],
                unmentioned_demands=["D2"],
                concessions={"C1": "agreed", "C2": "agreed", "C3": "agreed"},
                resolved_issues=["I1"],
            ),
        ),
    ]
    first = {"D1": "geneva", "D2": "geneva", "C1": "geneva", "I1": "geneva", "D3": "call"}
    items = [
        Item(
            id=i,
            kind={"D": "demand", "C": "concession", "I": "open_issue"}[i[0]],  # type: ignore[arg-type]
            text=t[i],
            first_seen=first.get(i, "london"),
            last_seen="call",
            evidence=[span(first.get(i, "london"), t[i])],
        )
        for i in ("D1", "D2", "D3", "C1", "C2", "C3", "I1")
    ]
    parties = [
        SeriesParty(name=US, kind="state", aliases=["US", "Washington"], first_seen="geneva"),
        SeriesParty(name=CN, kind="state", aliases=["Beijing"], first_seen="geneva"),
    ]
    return Timeline(parties=parties, steps=steps, items=items, links=[LINK])


# -- a tiny DOM on html.parser ----------------------------------------------------------
VOID = {"meta", "link", "br", "hr", "img", "input", "col", "wbr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        out: list[Node] = []
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and (cls is None or cls in c.classes):
                    out.append(c)
                out += c.all(tag, cls)
        return out


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(doc: str) -> Node:
    builder = _Builder()
    builder.feed(doc)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def columns(root: Node) -> list[Node]:
    return root.all("section", "article")


# -- structure ---------------------------------------------------------------------------
def test_fixture_spans_are_consistent() -> None:
    tl = make_timeline()
    spans = [c.evidence for s in tl.steps for c in s.changes if c.evidence]
    spans += [sp for it in tl.items for sp in it.evidence]
    for sp in spans:
        assert ARTICLES[sp.article][sp.start : sp.end] == sp.text


def test_document_is_self_contained_html5() -> None:
    doc = render_html(make_timeline())
    assert doc.startswith("<!DOCTYPE html>")
    lowered = doc.lower()
    for needle in ("http://", "https://", "src=", "<link", "@import", "url(", "<script"):
        assert needle not in lowered
    root = parse(doc)
    assert [n.tag for n in root.all("style")] == ["style"]
    assert root.all("title")[0].text() == "Negotiation timeline"


def test_one_column_per_article_in_reading_order() -> None:
    tl = make_timeline()
    tl.steps.reverse()  # the view orders by reading position, not list order
    cols = columns(parse(render_html(tl)))
    assert [c.attrs["data-article"] for c in cols] == ["geneva", "london", "call"]
    first = cols[0]
    assert first.all("h2")[0].text() == "1US and China open talks in Geneva"
    assert first.all(cls="date")[0].text() == "2025-05-12"
    assert "demands on rare earths" in first.all(cls="summary")[0].text()


def test_every_change_rendered_with_kind_item_and_evidence() -> None:
    tl = make_timeline()
    cols = columns(parse(render_html(tl)))
    for step, col in zip(tl.steps, cols, strict=True):
        nodes = col.all(cls="change")
        got = Counter((n.attrs["data-item"], n.classes[1]) for n in nodes)
        assert got == Counter((c.item, f"change--{c.kind}") for c in step.changes)
        for ch in step.changes:
            (node,) = [
                n
                for n in nodes
                if n.attrs["data-item"] == ch.item and f"change--{ch.kind}" in n.classes
            ]
            assert node.all(cls="id")[0].text() == ch.item
            assert node.all(cls="kind")[0].text() == KIND_STYLES[ch.kind][0]
            assert node.all(cls="text")[0].text() == ch.text
            details = node.all("details", "evidence")
            if ch.evidence is None:
                assert not details
                assert "not mentioned in this article" in node.text()
                continue
            (det,) = details
            assert det.all("summary")[0].text() == "evidence"
            assert det.all("blockquote")[0].text() == ch.evidence.text
            sp = ch.evidence
            assert (
                det.all(cls="cite")[0].text() == f"article {sp.article}, chars {sp.start}–{sp.end}"
            )


def test_change_details_status_answers_score_and_parties() -> None:
    london = columns(parse(render_html(make_timeline())))[1]
    by_kind = {n.classes[1]: n for n in london.all(cls="change")}
    advanced = by_kind["change--concession_advanced"]
    assert advanced.all(cls="status")[0].text() == "offered → agreed"
    assert advanced.all(cls="who")[0].text() == "China → United States"
    met = by_kind["change--demand_met"]
    assert met.all(cls="answers")[0].text() == "answers D1"
    assert met.all(cls="why")[0].text() == f"score 0.71 · {LINK.reason}"
    assert ".change--restated{opacity:" in render_html(make_timeline())  # muted


def test_links_shown_in_the_concessions_article() -> None:
    cols = columns(parse(render_html(make_timeline())))
    assert [len(c.all(cls="link")) for c in cols] == [0, 1, 0]  # step + series link, deduped
    (link,) = cols[1].all(cls="link")
    assert link.text() == f"C1 answers D1 (score 0.71): {LINK.reason}"


def test_state_after_each_article_names_items() -> None:
    cols = columns(parse(render_html(make_timeline())))
    state = cols[1].all(cls="state")[0]
    labels = [dt.text() for dt in state.all("dt")]
    assert labels == [
        "open demands (0)",
        "met demands (1)",
        "demands not mentioned (1)",
        "concessions (3)",
        "open issues (1)",
        "resolved issues (0)",
    ]
    entries = [dd.text() for dd in state.all("dd")]
    assert f"D1 {ITEM_TEXT['D1']}" in entries
    assert f"C1 {ITEM_TEXT['C1']} [agreed]" in entries
    assert f"I1 {ITEM_TEXT['I1']}" in entries
    assert "resolved issues (1)" in [dt.text() for dt in cols[2].all("dt")]


def test_legend_and_parties() -> None:
    root = parse(render_html(make_timeline()))
    legend = root.all("ul", "legend")[0]
    assert [li.text() for li in legend.all("li")] == [KIND_STYLES[k][0] for k in CHANGE_KINDS]
    parties = [li.text() for li in root.all("ul", "parties")[0].all("li")]
    assert parties == ["United States state also US, Washington", "China state also Beijing"]


def test_all_text_is_escaped() -> None:
    tl = make_timeline()
    hostile_title = '<b onmouseover="x()">Talks</b> & "more"'
    doc = render_html(tl, title=hostile_title)
    assert "<script>" not in doc and "<b onmouseover" not in doc
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    root = parse(doc)
    assert not root.all("script")
    assert not [n for n in root.all() if "onmouseover" in n.attrs]
    assert root.all("title")[0].text() == hostile_title
    d3 = [n for n in root.all(cls="change") if n.attrs["data-item"] == "D3"][0]
    assert d3.all(cls="text")[0].text() == EVIL  # round-trips exactly
    assert d3.all("blockquote")[0].text() == EVIL
    call = columns(root)[2]
    assert call.all("h2")[0].text() == "3Trump & Xi speak by phone"
    assert f"D3 {EVIL}" in [dd.text() for dd in call.all("dd")]


def test_escaped_attribute_values() -> None:
    tl = make_timeline()
    tl.steps[0].article.id = 'ge"neva<x>'
    root = parse(render_html(tl))
    assert columns(root)[0].attrs["data-article"] == 'ge"neva<x>'


def test_empty_timeline() -> None:
    root = parse(render_html(Timeline(), title="Nothing yet"))
    assert columns(root) == []
    assert root.all("h1")[0].text() == "Nothing yet"


# -- in headless Chromium -----------------------------------------------------------------
#: Appended to the page for the layout check: each column's box, written into the DOM.
_PROBE = (
    "<script>document.body.dataset.boxes=Array.from("
    "document.querySelectorAll('section.article'),function(s){var r=s.getBoundingClientRect();"
    "return [Math.round(r.left),Math.round(r.top),Math.round(r.width)].join(' ')}).join(',');"
    "</script>"
)


@pytest.fixture
def chromium() -> str:
    return require_chromium()


@pytest.fixture
def page(tmp_path: Path) -> Path:
    out = tmp_path / "timeline.html"
    out.write_text(render_html(make_timeline()), encoding="utf-8")
    return out


def test_chromium_renders_columns_and_changes(chromium: str, page: Path) -> None:
    probed = page.with_name("probed.html")
    probed.write_text(page.read_text("utf-8").replace("</body>", _PROBE + "</body>"), "utf-8")
    dom = dump_dom(probed, width=1400, height=900)
    root = parse(dom)
    cols = columns(root)
    assert [c.attrs["data-article"] for c in cols] == ["geneva", "london", "call"]
    kinds = Counter(n.classes[1] for n in root.all(cls="change"))
    expected = Counter(f"change--{c.kind}" for s in make_timeline().steps for c in s.changes)
    assert kinds == expected
    assert len(root.all("details", "evidence")) == sum(expected.values()) - 2
    assert "&lt;script&gt;alert(1)" in dom
    # the columns are side by side: same top, increasing left, no overlap
    body = root.all("body")[0]
    boxes = [tuple(map(int, b.split())) for b in body.attrs["data-boxes"].split(",")]
    assert len(boxes) == 3
    assert len({top for _, top, _ in boxes}) == 1
    for (left, _, width), (next_left, _, _) in zip(boxes, boxes[1:], strict=False):
        assert width >= 250 and next_left >= left + width


def test_chromium_screenshot_shows_highlights(chromium: str, page: Path, tmp_path: Path) -> None:
    png = screenshot(page, tmp_path / "timeline.png", width=1400, height=900)
    image = read_png(png)
    assert (image.width, image.height) == (1400, 900)
    colours = image.colours()
    assert len(colours) > 20  # not a blank page
    assert colours.most_common(1)[0][1] < 0.9 * image.width * image.height
    visible = [
        kind
        for kind, (_, bg, _) in KIND_STYLES.items()
        if kind != "restated" and colours[hex_rgb(bg)] > 200
    ]
    assert {"new_demand", "new_concession", "issue_opened"} <= set(visible), visible


def test_png_decoder_undoes_every_filter(tmp_path: Path) -> None:
    """Encode a small RGB picture with filter types 0-4 (one per row), then decode it."""
    import struct
    import zlib

    width, bpp = 5, 3
    pixels = [
        [((x * 53 + y * 17) % 256, (x * y * 29) % 256, 250 - x - y) for x in range(width)]
        for y in range(5)
    ]
    raw, prev = bytearray(), bytes(width * bpp)
    for ftype, row in enumerate(pixels):
        line = bytes(v for px in row for v in px)
        out = bytearray()
        for i, v in enumerate(line):
            a, b = (line[i - bpp] if i >= bpp else 0), prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            paeth = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
            pred = [0, a, b, (a + b) // 2, paeth][ftype]
            out.append((v - pred) & 0xFF)
        raw += bytes([ftype]) + out
        prev = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, len(pixels), 8, 2, 0, 0, 0)
    png = tmp_path / "tiny.png"
    png.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )
    image = read_png(png)
    assert (image.width, image.height) == (width, 5)
    assert image.rows == pixels
