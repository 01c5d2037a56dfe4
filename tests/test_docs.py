"""Generated and hand-written docs stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import SPECS, mapping, registered_params, unified_schema

from unigate.coverage import render_coverage

ROOT = Path(__file__).resolve().parent.parent


def test_committed_coverage_is_current():
    """docs/coverage.md is generated from the integration files; regenerate it with `make coverage-doc`."""
    committed = (ROOT / "docs" / "coverage.md").read_text()
    assert committed == render_coverage(), "docs/coverage.md is stale: run `make coverage-doc` and commit it"


def test_delete_is_supported_everywhere():
    # Accounts only: every CRM deletes accounts; other resources have their own coverage (a CRM may not map them).
    coverage = render_coverage()
    delete_row = next(line for line in coverage.splitlines() if line.startswith("| delete |"))
    assert "| 10 supported |" in delete_row, delete_row


@pytest.mark.parametrize("name, resource", registered_params())
def test_coverage_lists_what_a_create_requires_and_the_formats_taken(name, resource):
    """docs/coverage.md's "Required on create, value formats, list filters and values" row of each CRM is its
    mapping's data (`supports.required`, `create.defaults`, `supports.formats`, `supports.filters`,
    `supports.values`), not prose."""
    from unigate.coverage import _FORMAT_WORDS

    coverage = render_coverage()
    section = coverage[coverage.index(f"## crm/{resource}"):]
    section = section[section.index("### Required on create"):]
    mapped = mapping(name, resource)
    row = next(line for line in section.splitlines() if line.startswith(f"| {SPECS[name].label} |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    create = mapped.methods.get("create")
    if create is None:
        assert cells[1:3] == ["(no create)", "-"]
    else:
        assert cells[1] == (", ".join(" or ".join(f"`{f}`" for f in entry) for entry in mapped.required) or "-")
        assert cells[2] == (", ".join(f"`{f}`" for f, _ in create.defaults) or "-")
    assert cells[3:6] == [_FORMAT_WORDS[k].get(mapped.formats.get(k, ""), "-") for k in ("country", "phone", "dates")]
    if "list" in mapped.methods:
        filters = ", ".join(f"`{f}`" + (f" ({', '.join(mapped.filter_operators[f])})" if f in mapped.filter_operators else "")
                            for f in mapped.filters)
        apart = "".join("; one of " + ", ".join(f"`{f}`" for f in group) + " at a time"
                        for group in mapped.exclusive_filters)
        sort = "; sort by " + ", ".join(f"`{f}`" for f in mapped.sort_by) if mapped.sort_by else ""
        assert cells[6] == ((filters + apart + sort) or "-")
    else:
        assert cells[6] == "(no list)"
    assert cells[7] == ("; ".join(f"`{f}`: " + ", ".join(v) for f, v in mapped.values.items()) or "-")
    assert cells[8] == ("; ".join(", ".join(f"`{f}`" for f in group) for group in mapped.exclusive) or "-")


def test_readme_starts_with_the_run_and_test_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("name, resource", registered_params())
def test_every_field_a_crm_cannot_hold_says_why(name, resource):
    """A unified field an integration does not read, or does not write, has a reason in `not_held`."""
    from unigate.models import READ_ONLY_FIELDS

    fields = unified_schema(resource).fields
    mapped = mapping(name, resource)
    explained = {key.split(" ")[0].split(".")[0] for key in mapped.not_held}
    for field in fields:
        if field not in mapped.fields:
            assert field in explained, f"{name}: why can't it hold {field}?"
        elif field not in mapped.writable and field not in READ_ONLY_FIELDS:
            assert field in explained, f"{name}: why can't it write {field}?"


@pytest.mark.parametrize("name, resource", registered_params())
def test_every_method_a_crm_lacks_says_why(name, resource):
    """A unified method an integration does not serve has a reason in `supports.not_supported` (coverage, 405)."""
    from unigate.engine.spec import UNIFIED_METHODS

    mapped = mapping(name, resource)
    for method in UNIFIED_METHODS:
        if method not in mapped.methods:
            assert mapped.not_supported.get(method), f"{name}: why can't it {method} {resource}?"


# Notes that live outside the repository: a citation of them leads a reader nowhere. Cite the vendor's URL.
_OUTSIDE_NOTES = re.compile(r"research[/:]|research(?:-\d)? \u00a7|/work/share[d]|(?:crm-apis|crm-resources)-[\w-]+\.md"
                            r"|(?:truto-semantics|clients-and-jsonata|proxy-floor|peers)\.md")
# A bare section sign is a note's section; RFC sections and the Capsule notes (a public URL) are fine.
_CITED_SECTION_SOURCES = ("RFC ", "NOTES")


def _repository_text_files():
    for top in ("src", "tests", "docs", "bench"):
        for path in sorted((ROOT / top).rglob("*")):
            if "node_modules" in path.parts:  # installed packages (tests/browser/), not the repository's own
                continue
            if path.suffix in (".py", ".md", ".yaml", ".yml", ".toml", ".json") and path.is_file():
                yield path
    yield from (ROOT / name for name in ("README.md", "Makefile", "pyproject.toml"))


def test_sources_and_docs_cite_nothing_outside_the_repository():
    found = []
    for path in _repository_text_files():
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            before = lines[number - 2] if number > 1 else ""
            bare_section = "\u00a7" in line and not any(s in line or s in before for s in _CITED_SECTION_SOURCES)
            if _OUTSIDE_NOTES.search(line) or bare_section:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "cite the vendor's URL instead:\n" + "\n".join(found)
