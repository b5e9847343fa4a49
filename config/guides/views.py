"""/docs/ and /docs/<slug>/: the guides, filled with this deployment's and the reader's values."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from config.guides import library, placeholders
from proxy.pages import CLIENT_PROTOCOLS


def _common_context(request: HttpRequest) -> dict:
    values = placeholders.values_for(request)
    return {
        "sections": library.sections(),
        "values": values,
        "protocols": {protocol.name: protocol for protocol in CLIENT_PROTOCOLS},
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "docs/index.html", _common_context(request))


@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    guide = library.find_guide(slug)
    if guide is None:
        raise Http404("No such guide.")
    context = _common_context(request)
    rendered = library.render(guide)
    html = placeholders.fill(rendered.html, context["values"].replacements(), escape=True)
    context.update(
        guide=guide,
        toc=rendered.toc,
        # docs/ holds the project's own Markdown, not user input; filled values are escaped.
        html=mark_safe(html),  # noqa: S308
    )
    return render(request, "docs/page.html", context)
