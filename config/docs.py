"""User guides: Markdown files in docs/, rendered by the site and readable on their own."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe


def docs_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs"


def list_guides() -> list[dict]:
    """Every guide as {slug, title}, in file-name order (files may start with a number)."""
    guides = []
    for path in sorted(docs_dir().glob("*.md")):
        guides.append({"slug": path.stem, "title": read_title(path)})
    return guides


def read_title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem.replace("-", " ").capitalize()


@lru_cache(maxsize=64)
def render_markdown(path: Path, mtime: float) -> str:
    text = path.read_text(encoding="utf-8")
    return markdown.markdown(text, extensions=["fenced_code", "tables", "toc"])


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "docs/index.html", {"guides": list_guides()})


def page(request: HttpRequest, slug: str) -> HttpResponse:
    path = docs_dir() / f"{slug}.md"
    if not path.is_file():
        raise Http404("No such guide")
    html = render_markdown(path, path.stat().st_mtime)
    context = {
        "guides": list_guides(),
        "slug": slug,
        "title": read_title(path),
        "html": mark_safe(html),  # noqa: S308  (docs/ holds our own Markdown, not user input)
    }
    return render(request, "docs/page.html", context)
