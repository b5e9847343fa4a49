"""Every curl and Python snippet in docs/ runs against a live Tollgate with the demo models."""

from __future__ import annotations

import shutil

import pytest

from config.guides import placeholders
from config.guides.library import CodeBlock
from tests.docs import snippets

GUIDES = snippets.guides()


def executed(guide, *, extra_packages: bool) -> list[CodeBlock]:
    return [
        block
        for block in snippets.blocks_of(guide)
        if snippets.is_executed(block) and bool(block.option("needs")) is extra_packages
    ]


def run_blocks(guide, blocks, live) -> None:
    failures = []
    for block in blocks:
        problem = snippets.check(guide, block, live.replacements, live.key)
        if problem:
            failures.append(f"{snippets.describe(guide, block)}: {problem}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    "guide",
    [g for g in GUIDES if executed(g, extra_packages=False)],
    ids=lambda g: g.slug,
)
def test_snippets_of_the_guide_run(guide, live):
    run_blocks(guide, executed(guide, extra_packages=False), live)


@pytest.mark.parametrize(
    "guide",
    [g for g in GUIDES if executed(g, extra_packages=True)],
    ids=lambda g: g.slug,
)
def test_snippets_that_need_an_extra_package_run_where_it_is_installed(guide, live):
    blocks = executed(guide, extra_packages=True)
    missing = sorted({m for m in map(snippets.missing_package, blocks) if m})
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    run_blocks(guide, blocks, live)


def curl_block(path: str, body: str) -> CodeBlock:
    code = (
        f"curl https://tollgate.example.com{path} "
        '-H "Authorization: Bearer $TOLLGATE_API_KEY" '
        f"-H 'Content-Type: application/json' -d '{body}'\n"
    )
    return CodeBlock("sh", (), code, 1)


def test_a_wrong_path_or_field_fails(live):
    messages = '[{"role": "user", "content": "Hi"}]'
    wrong_path = curl_block(
        "/v1/chat/completion", f'{{"model": "MODEL_ID", "messages": {messages}}}'
    )
    wrong_field = curl_block(
        "/v1/chat/completions", f'{{"model": "MODEL_ID", "mesages": {messages}}}'
    )
    wrong_python = CodeBlock(
        "python",
        (),
        "from openai import OpenAI\n"
        'client = OpenAI(base_url="https://tollgate.example.com/v1", api_key="sk-tg-...")\n'
        'print(client.embeddings.create(model="EMBEDDING_MODEL_ID", input=None))\n',
        1,
    )
    guide = GUIDES[0]

    def check(block):
        return snippets.check(guide, block, live.replacements, live.key)

    assert "got 404, expected 2xx" in check(wrong_path)
    assert "got 400, expected 2xx" in check(wrong_field)
    assert "BadRequestError" in check(wrong_python)
    assert (
        check(
            curl_block(
                "/v1/chat/completions", '{"model": "MODEL_ID", "messages": ' + messages + "}"
            )
        )
        is None
    )


def test_every_block_has_a_known_language_and_options():
    problems = []
    for guide in GUIDES:
        for block in snippets.blocks_of(guide):
            where = snippets.describe(guide, block)
            if block.language not in snippets.LANGUAGES:
                problems.append(f"{where}: unknown language")
            if "curl " in block.code and block.language != "sh":
                problems.append(f"{where}: curl outside an sh block is never tested")
            problems += [
                f"{where}: unknown option {o}"
                for o in block.options
                if not snippets.OPTIONS.match(o)
            ]
    assert not problems, "\n".join(problems)


def test_no_run_is_only_for_apis_that_are_not_served_yet():
    from proxy.errors import ApiError
    from proxy.routes import resolve

    problems = []
    for guide in GUIDES:
        for block in snippets.blocks_of(guide):
            if block.option("no-run") is None:
                continue
            where = snippets.describe(guide, block)
            request = snippets.pending_api(block)
            if request is None:
                problems.append(f"{where}: no-run, but it calls no API that is still to come")
                continue
            try:
                resolve(*request)
            except ApiError:
                continue
            problems.append(f"{where}: {' '.join(request)} is served now; drop no-run")
    assert not problems, "\n".join(problems)


def test_the_guides_stay_runnable_by_the_tests():
    """The executed snippets reach every OpenAI-compatible endpoint, and use the stand-ins."""
    code = "".join(b.code for g in GUIDES for b in snippets.blocks_of(g) if snippets.is_executed(b))

    for path in ("/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
        assert f"{placeholders.BASE_URL}{path}" in code
    assert placeholders.MODEL in code and placeholders.EMBEDDING_MODEL in code


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_snippets_are_valid_modules():
    problems = []
    for guide in GUIDES:
        for block in snippets.blocks_of(guide):
            if block.language == "js":
                problem = snippets.check_js_syntax(block.code)
                if problem:
                    problems.append(f"{snippets.describe(guide, block)}: {problem}")
    assert not problems, "\n".join(problems)
