"""The report pages in a real browser: no console errors, sections present, typology filter works.

Drives Debian's headless Chromium through its matching chromedriver (no browser download). Pages
are opened from ``file://`` URLs; a full-page screenshot of each is saved to
``test-artifacts/report/`` at the repository root. Without Chromium the tests are skipped, except
in CI (environment variable ``CI`` set), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fintrak.report import write_report
from fintrak.report.pages import ALERT_SECTIONS, CASE_SECTIONS, INDEX_SECTIONS

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "report"
ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _need_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return
    message = f"browser test needs {', '.join(missing)}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI installs them)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from test_report_html import build_run

    run = build_run(tmp_path_factory.mktemp("browser-run") / "run")
    return write_report(run, tmp_path_factory.mktemp("browser-report") / "out")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(1280, 900)
    yield driver
    driver.quit()


def _open(browser, path: Path) -> None:
    browser.set_window_size(1280, 900)
    browser.get("about:blank")
    browser.get_log("browser")  # start each page with an empty console log
    browser.get(path.resolve().as_uri())


def _severe(browser) -> list[dict]:
    return [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]


def _screenshot(browser, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 40, 16000))
    target = ARTIFACTS / f"{name}.png"
    assert browser.save_screenshot(str(target))
    return target


def _check_sections(browser, ids) -> None:
    from selenium.webdriver.common.by import By

    for ident in ids:
        element = browser.find_element(By.ID, ident)
        assert element.tag_name == "section"
        assert element.find_element(By.TAG_NAME, "h2").text.strip()


def test_index_filters_by_typology(browser, report):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, report.index)
    assert _severe(browser) == []
    _check_sections(browser, INDEX_SECTIONS)
    rows = browser.find_elements(By.CSS_SELECTOR, "#alert-table tbody tr")
    assert len(rows) == report.n_alerts and all(r.is_displayed() for r in rows)
    pick = Select(browser.find_element(By.ID, "typology-filter"))
    assert browser.find_element(By.ID, "typology-filter").is_displayed()
    pick.select_by_value("funnel")
    shown = [r for r in rows if r.is_displayed()]
    assert len(shown) == 1
    assert all(r.get_attribute("data-typology") == "funnel" for r in shown)
    cases = browser.find_elements(By.CSS_SELECTOR, "#case-table tbody tr")
    assert [c.get_attribute("data-typology") for c in cases if c.is_displayed()] == ["funnel"]
    pick.select_by_value("sex_trafficking")
    assert sum(r.is_displayed() for r in rows) == 2
    pick.select_by_value("all")
    assert all(r.is_displayed() for r in rows)
    assert "3 alert(s) shown" in browser.find_element(By.ID, "shown-count").text
    assert _severe(browser) == []
    _screenshot(browser, "index")


def test_alert_page_renders(browser, report):
    from selenium.webdriver.common.by import By

    page = next(p for p in report.alert_pages if p.stem == "al0000000000000000a1")
    _open(browser, page)
    assert _severe(browser) == []
    _check_sections(browser, ALERT_SECTIONS)
    for ident in ("timeline", "shap", "where"):
        svg = browser.find_element(By.CSS_SELECTOR, f"#{ident} svg")
        assert svg.size["width"] > 300 and svg.size["height"] > 50
    assert "MOTEL 6" in browser.find_element(By.ID, "timeline").text
    _screenshot(browser, "alert")


def test_case_page_renders(browser, report):
    from selenium.webdriver.common.by import By

    page = next(p for p in report.case_pages if p.stem == "case-" + "a" * 20)
    _open(browser, page)
    assert _severe(browser) == []
    _check_sections(browser, CASE_SECTIONS)
    svg = browser.find_element(By.CSS_SELECTOR, "#network svg")
    assert svg.size["width"] > 300
    link = browser.find_element(By.CSS_SELECTOR, "#members a")
    link.click()
    assert browser.current_url.endswith(".html")
    _check_sections(browser, ALERT_SECTIONS)
    browser.back()
    _screenshot(browser, "case")
