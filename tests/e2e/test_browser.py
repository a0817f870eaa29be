"""The real app in a real browser: start `streamlit run app.py`, drive Debian's chromium with playwright
through Explore (filter, count, row selection, pair view) and Export, and check the file on disk.

Also takes the README's screenshot (the Explore page with a pair open): into the test's temporary folder,
or into docs/screenshot.png with UPDATE_SCREENSHOT=1, so a test run leaves the checkout as it was. Skipped when
/usr/bin/chromium is missing, unless CI=true, where a missing browser fails the test.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ui.conftest import write_fixture

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "screenshot.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def _require_browser() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {missing}.")
        pytest.skip(f"Real-browser test skipped: {missing}.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare_workspace(tmp_path: Path) -> tuple[Path, str, int]:
    """Load the sample data (else the test fixture), run the basic analyzer, pick the source to filter on.

    Returns (workspace folder, source, number of pairs of that source) - the count comes from the core
    library before the app starts, independently of the UI under test."""
    from workbench import query
    from workbench.cli import SAMPLE_DATA
    from workbench.jobs import analyze
    from workbench.filters import Filter, FilterSpec
    from workbench.workspace import WorkspaceStore

    data = SAMPLE_DATA if SAMPLE_DATA.exists() else write_fixture(tmp_path / "prefs.jsonl")
    folder = tmp_path / "workspace"
    store = WorkspaceStore(folder)
    try:
        store.load(str(data))
        analyze(store, "basic", {"tokenizer": "regex"})  # so the table and the pair view show score columns
        sources = [row[0] for row in store.sql_rows("SELECT DISTINCT source FROM pairs ORDER BY 1")]

        def first_pair_similarity(source: str) -> float:
            first = query.page(store, FilterSpec([Filter("source", "=", source)]),
                               columns=["basic.response_similarity"], limit=1)
            value = float(first["basic.response_similarity"].iloc[0])
            return value if value < 1 else -1.0

        # The test opens the first pair of the filtered table; pick the source whose first pair differs
        # in a few words only, so the screenshot shows the word-level highlighting at its most useful.
        source = max(sources, key=first_pair_similarity)
        expected = query.count(store, FilterSpec([Filter("source", "=", source)]))
    finally:
        store.close()
    return folder, source, expected


@pytest.fixture
def server(tmp_path):
    _require_browser()
    folder, source, expected = _prepare_workspace(tmp_path)
    port = _free_port()
    log = open(tmp_path / "streamlit.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
         "--server.runOnSave", "false", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
         "--", "--workspace", str(folder)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError("the app did not start: " + (tmp_path / "streamlit.log").read_text(errors="replace"))
            time.sleep(0.3)
        yield {"url": url, "workspace": folder, "source": source, "expected": expected, "tmp": tmp_path}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _metric_value(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def _wait_for_metric(page, label: str, value: str, timeout_s: float = 30) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if _metric_value(page, label) == value:
                return
        except Exception:  # the metric is being redrawn
            pass
        page.wait_for_timeout(250)
    raise AssertionError(f"metric {label!r} never showed {value!r} (last: {_metric_value(page, label)!r})")


def _wait_idle(page) -> None:
    """Wait until Streamlit finished the current script run."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=30000)


def _full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its main section, so grow the viewport to the content before the shot."""
    height = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return main ? main.scrollHeight : document.body.scrollHeight; }")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(max(int(height) + 40, 900), 6000)})
    page.wait_for_timeout(1500)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 1000})


def test_explore_filter_pair_view_and_export(server):
    from playwright.sync_api import expect, sync_playwright

    source, expected = server["source"], server["expected"]
    out = server["tmp"] / "exported" / "clean.jsonl"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(30000)
            page.goto(f"{server['url']}/explore")
            expect(page.get_by_role("heading", name="Explore")).to_be_visible()
            total = _metric_value(page, "Matching pairs")

            # Filter: source = <source>, picked from the value list.
            value_box = page.get_by_test_id("stSelectbox").filter(has_text="Value").first
            value_box.click()
            page.get_by_role("option", name=source, exact=True).click()
            page.get_by_role("button", name="Add filter").click()
            _wait_for_metric(page, "Matching pairs", f"{expected:,}")
            assert int(total.replace(",", "")) >= expected
            expect(page.get_by_role("button", name=f'source = "{source}"')).to_be_visible()
            _wait_idle(page)

            # Select the first row (the selection box at its left) to open the side-by-side view.
            grid = page.get_by_test_id("stDataFrame").first
            grid.scroll_into_view_if_needed()
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)
            expect(page.get_by_text("Tag this pair")).to_be_visible()
            expect(page.get_by_text("Chosen", exact=True)).to_be_visible()
            expect(page.get_by_text("Rejected", exact=True)).to_be_visible()
            expect(page.get_by_text(f"source: {source}", exact=True)).to_be_visible()
            _wait_idle(page)
            page.wait_for_timeout(1000)
            shot = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") == "1" else server["tmp"] / "screenshot.png"
            _full_page_screenshot(page, shot)
            assert shot.stat().st_size > 50_000  # a real rendering of the page, not a blank one

            # Export the filtered pairs as TRL rows to a path of our own.
            page.get_by_test_id("stSidebarNav").get_by_text("Export").click()
            expect(page.get_by_role("heading", name="Export")).to_be_visible()
            _wait_for_metric(page, "Kept", f"{expected:,}")
            page.get_by_test_id("stRadio").get_by_text("trl", exact=True).click()
            _wait_idle(page)
            path_input = page.get_by_role("textbox", name="Output file")
            path_input.fill(str(out))
            path_input.press("Enter")
            _wait_idle(page)
            page.get_by_role("button", name="Export", exact=True).click()
            expect(page.get_by_text(f"Wrote {expected:,} pairs")).to_be_visible()
            expect(page.get_by_test_id("stDownloadButton")).to_be_visible()
        finally:
            browser.close()

    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == expected
    assert {row["source"] for row in rows} == {source}
    manifest = json.loads(out.with_name(out.name + ".manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["kept"] == expected
    assert manifest["filters"]["filters"] == [{"column": "source", "op": "=", "value": source}]
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 20_000
