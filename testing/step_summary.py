"""A job summary as GitHub shows it: rendered by cmark-gfm, GitHub's own Markdown engine, then read back.

Rendered with raw HTML allowed (GitHub would sanitise some of it afterwards; the tests want to see any
markup a file name or a branch name could smuggle in, before any sanitiser).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# What our summaries are made of; anything else came from the data.
OUR_TAGS = frozenset({"h2", "p", "strong", "code", "a", "table", "thead", "tbody", "tr", "th", "td", "ul", "li"})


@dataclass
class Rendered:
    html: str
    tags: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs + [" | ".join(row) for row in self.rows] + self.items)


class _Reader(HTMLParser):
    def __init__(self, rendered: Rendered) -> None:
        super().__init__(convert_charrefs=True)
        self.rendered = rendered
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.block: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rendered.tags.add(tag)
        if tag == "a":
            self.rendered.links.append(dict(attrs).get("href") or "")
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in ("p", "li", "h2"):
            self.block = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rendered.rows.append(self.row)
            self.row = None
        elif tag in ("p", "h2") and self.block is not None:
            self.rendered.paragraphs.append("".join(self.block))
            self.block = None
        elif tag == "li" and self.block is not None:
            self.rendered.items.append("".join(self.block))
            self.block = None

    def handle_data(self, data: str) -> None:
        for target in (self.cell, self.block):
            if target is not None:
                target.append(data)


def render(markdown: str) -> Rendered:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    rendered = Rendered(html)
    _Reader(rendered).feed(html)
    return rendered
