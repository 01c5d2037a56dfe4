"""Generated and hand-written docs stay true to the code."""

from __future__ import annotations

from pathlib import Path

from unigate.coverage import render_coverage

ROOT = Path(__file__).resolve().parent.parent


def test_committed_coverage_is_current():
    """docs/coverage.md is generated from the integration files; regenerate it with `make coverage-doc`."""
    committed = (ROOT / "docs" / "coverage.md").read_text()
    assert committed == render_coverage(), "docs/coverage.md is stale: run `make coverage-doc` and commit it"


def test_delete_is_supported_everywhere():
    coverage = render_coverage()
    delete_row = next(line for line in coverage.splitlines() if line.startswith("| delete |"))
    assert "| 10 supported |" in delete_row, delete_row


def test_readme_starts_with_the_run_and_test_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
