"""The guides in docs/: finding them, reading their code blocks, and rendering them to HTML.

The Markdown files stay readable on their own (on GitHub, in an editor). A file's name gives its
place: `NN-slug.md`, where the tens digit of NN picks the section and the slug is the page's
address (`/docs/slug/`). `docs/README.md` explains the files to people reading them directly and
is not a page of the site.

Files without a number (`architecture.md`, `operations.md`, `benchmarks.md`, ...) are for the
people who run and develop Tollgate: they stay in the repository and are not pages of the site.

Fenced code blocks may carry options after the language, e.g. ```` ```python no-run ```` or
```` ```sh expect=401 ````. Those options are for the snippet tests (tests/docs/); the site drops
them before rendering, because Python-Markdown does not accept them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.urls import reverse

SECTIONS = {
    0: "Start here",
    1: "Set up your tool",
    2: "SDKs and libraries",
    3: "Help",
}
OTHER_SECTION = "More"

_NAME = re.compile(r"^(?P<number>\d+)-(?P<slug>[a-z0-9][a-z0-9-]*)$")
_FENCE = re.compile(
    r"^```(?P<language>[\w+-]*)(?P<options>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
# A relative link to another guide, as written in the Markdown: href="03-base-url.md#anchor".
_GUIDE_LINK = re.compile(r'href="(?P<file>[a-z0-9-]+\.md)(?P<anchor>#[\w-]*)?"')


@dataclass(frozen=True)
class Guide:
    slug: str
    path: Path
    number: int
    title: str

    @property
    def section(self) -> str:
        return SECTIONS.get(self.number // 10, OTHER_SECTION)


@dataclass(frozen=True)
class CodeBlock:
    language: str
    options: tuple[str, ...]
    code: str
    line: int  # where the opening fence is, 1-based

    def option(self, name: str) -> str | None:
        """The value of `name=value`, "" for a bare `name`, None when absent."""
        for option in self.options:
            key, _, value = option.partition("=")
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: tuple[tuple[str, str], ...]  # (anchor, heading text) of each second-level heading


def docs_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs"


def read_guide(path: Path) -> Guide | None:
    """The guide in `path`, or None for files that are not pages (README.md, operator and
    developer documents without a number, odd names)."""
    match = _NAME.match(path.stem)
    if match is None:
        return None
    return Guide(slug=match["slug"], path=path, number=int(match["number"]), title=read_title(path))


def list_guides() -> list[Guide]:
    """Every guide, by number."""
    guides = [read_guide(path) for path in docs_dir().glob("*.md")]
    found = [guide for guide in guides if guide is not None]
    return sorted(found, key=lambda g: (g.number, g.slug))


def sections() -> list[tuple[str, list[Guide]]]:
    """The guides grouped by section, in order; empty sections left out."""
    grouped: dict[str, list[Guide]] = {}
    for guide in list_guides():
        grouped.setdefault(guide.section, []).append(guide)
    order = [*SECTIONS.values(), OTHER_SECTION]
    return [(name, grouped[name]) for name in order if name in grouped]


def find_guide(slug: str) -> Guide | None:
    """The guide at /docs/<slug>/; its file name with the number (01-getting-started) works too."""
    for guide in list_guides():
        if slug in (guide.slug, guide.path.stem):
            return guide
    return None


def read_title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem.replace("-", " ").capitalize()


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced code block of a Markdown text, with the options of its opening fence."""
    blocks = []
    for match in _FENCE.finditer(text):
        blocks.append(
            CodeBlock(
                language=match["language"],
                options=tuple(match["options"].split()),
                code=match["code"],
                line=text.count("\n", 0, match.start()) + 1,
            )
        )
    return blocks


def _strip_fence_options(text: str) -> str:
    return _FENCE.sub(lambda m: f"```{m['language']}\n{m['code']}```", text)


def _link_to_page(match: re.Match) -> str:
    guide = read_guide(docs_dir() / match["file"])
    if guide is None or not guide.path.is_file():
        return match.group(0)  # left as written; the link test reports it
    return f'href="{reverse("docs-page", args=[guide.slug])}{match["anchor"] or ""}"'


@lru_cache(maxsize=64)
def _render(path: Path, mtime: float) -> Rendered:
    converter = markdown.Markdown(
        extensions=["fenced_code", "tables", "toc"],
        extension_configs={"toc": {"permalink": "#", "permalink_title": "Link to this section"}},
    )
    html = converter.convert(_strip_fence_options(path.read_text(encoding="utf-8")))
    html = _GUIDE_LINK.sub(_link_to_page, html)
    toc = []
    for top in converter.toc_tokens:
        entries = top["children"] if top["level"] == 1 else [top]
        toc.extend((entry["id"], entry["name"]) for entry in entries if entry["level"] == 2)
    return Rendered(html=html, toc=tuple(toc))


def render(guide: Guide) -> Rendered:
    """The guide as HTML with its table of contents; re-rendered when the file changes."""
    return _render(guide.path, guide.path.stat().st_mtime)
