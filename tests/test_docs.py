"""Reference pages are generated from metadata and committed up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from fintrak.docs import PAGES, render_tables_page
from fintrak.schema import TABLES

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("page", list(PAGES))
def test_committed_generated_pages_are_current(page):
    committed = (DOCS / page).read_text(encoding="utf-8")
    assert committed == PAGES[page](), (
        f"docs/{page} is stale: run "
        "python -c \"from fintrak.docs import write_reference_docs; write_reference_docs('docs')\""
    )


@pytest.mark.parametrize("table", list(TABLES), ids=str)
def test_every_column_is_documented(table):
    page = render_tables_page()
    for name in TABLES[table].names:
        assert f"| `{name}` |" in page
