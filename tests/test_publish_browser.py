"""The published site in a real browser: opened from ``file://``, searched, and read."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chrome

from protocolrunner.core.demo import write_demo
from protocolrunner.core.library import default_sources, load_library
from protocolrunner.core.publish import publish
from protocolrunner.core.record import session_toml

pytestmark = pytest.mark.slow

RARE = "Quokkaphilia"
NOTE = f"<b>{RARE}</b> & [bold]not markup[/] *as typed*\n# not a heading"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    record = write_demo(root / "record", load_library(default_sources()), sessions=30)
    path, chosen = record.load_sessions().sessions[7]
    step = next(s for s in chosen.steps if s.notes)
    note = step.notes[0].model_copy(update={"text": NOTE})
    steps = [
        s.model_copy(update={"notes": [note, *s.notes[1:]]}) if s is step else s
        for s in chosen.steps
    ]
    path.write_text(session_toml(chosen.model_copy(update={"steps": steps})), "utf-8")
    publish(record, root / "out")
    return root / "out"


def test_search_a_rare_word_from_file_and_read_the_note_as_typed(site: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chrome() as browser:
        browser.get((site / "index.html").as_uri())
        assert browser.find_element(By.ID, "find").is_displayed()  # the script ran from file://
        assert len(browser.find_elements(By.CSS_SELECTOR, "#all tbody tr")) == 30
        browser.find_element(By.ID, "q").send_keys(RARE.lower()[:7])  # a prefix, any case
        wait = WebDriverWait(browser, 10)
        wait.until(lambda b: b.find_element(By.ID, "count").text == "1 session matches.")
        assert not browser.find_element(By.ID, "all").is_displayed()
        (hit,) = browser.find_elements(By.CSS_SELECTOR, "#result-rows a")
        hit.click()
        wait.until(lambda b: "/sessions/" in b.current_url)
        text = browser.find_element(By.TAG_NAME, "main").text
        assert f"<b>{RARE}</b> & [bold]not markup[/] *as typed*\n# not a heading" in text
        assert browser.find_elements(By.CSS_SELECTOR, "main b") == []
        assert browser.find_elements(By.TAG_NAME, "script") == []  # session pages need none


def test_filters_combine_with_search(site: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with chrome() as browser:
        browser.get((site / "index.html").as_uri())
        Select(browser.find_element(By.ID, "protocol")).select_by_value("consultancy")
        count = browser.find_element(By.ID, "count").text
        shown = browser.find_elements(By.CSS_SELECTOR, "#result-rows tr")
        assert count.endswith("match, newest first.") and shown
        assert all("Consultancy" in row.text for row in shown)
        browser.find_element(By.ID, "q").send_keys("zzznotthere")
        assert browser.find_element(By.ID, "count").text == "No sessions match."
        browser.find_element(By.ID, "clear").click()
        assert browser.find_element(By.ID, "all").is_displayed()


def test_pages_read_whole_without_javascript(site: Path) -> None:
    from selenium.webdriver.common.by import By

    with chrome() as browser:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        browser.get((site / "index.html").as_uri())
        assert not browser.find_element(By.ID, "find").is_displayed()
        rows = browser.find_elements(By.CSS_SELECTOR, "#all tbody tr")
        assert len(rows) == 30
        rows[0].find_element(By.TAG_NAME, "a").click()
        assert browser.find_element(By.TAG_NAME, "h1").text
