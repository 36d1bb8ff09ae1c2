"""The published site in a real browser: opened from ``file://``, searched, and read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser import chrome

from protocolrunner.core.export.site import NEWEST, publish, search_script
from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.browse import query_terms, searchable_texts
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.folder import Record, session_toml

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

# One worker runs them all, so the site and the browser are made once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

RARE = "Quokkaphilia"


def _page_size() -> int:
    found = re.search(r"var PAGE = (\d+);", search_script())
    assert found is not None
    return int(found.group(1))


PAGE = _page_size()
"""Result rows drawn at a time, as ``search.js`` says."""
SESSIONS = 120
"""More than the index lists (``NEWEST``) and than a page of results."""
NOTE = f"<b>{RARE}</b> & [bold]not markup[/] *as typed*\n# not a heading"


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Record:
    root = tmp_path_factory.mktemp("site")
    record = write_demo(root / "record", load_library(default_sources()), sessions=SESSIONS)
    path, chosen = record.load_sessions().sessions[7]
    step = next(s for s in chosen.steps if s.notes)
    note = step.notes[0].model_copy(update={"text": NOTE})
    steps = [
        s.model_copy(update={"notes": [note, *s.notes[1:]]}) if s is step else s
        for s in chosen.steps
    ]
    path.write_text(session_toml(chosen.model_copy(update={"steps": steps})), "utf-8")
    return record


@pytest.fixture(scope="module")
def site(record: Record) -> Path:
    out = record.root.parent / "out"
    publish(record, out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """One browser for the module (starting one takes a second or two): every test opens its
    page afresh, and the pages keep nothing between loads."""
    with chrome() as session:
        yield session


def test_search_a_rare_word_from_file_and_read_the_note_as_typed(
    site: Path, browser: WebDriver
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get((site / "index.html").as_uri())
    assert browser.find_element(By.ID, "find").is_displayed()  # the script ran from file://
    assert len(browser.find_elements(By.CSS_SELECTOR, "#all tbody tr")) == NEWEST
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


def test_filters_combine_with_search(site: Path, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

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

    with chrome() as browser:  # its own: scripts stay off in a browser once turned off
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        browser.get((site / "index.html").as_uri())
        assert not browser.find_element(By.ID, "find").is_displayed()
        rows = browser.find_elements(By.CSS_SELECTOR, "#all tbody tr")
        assert len(rows) == NEWEST
        rows[0].find_element(By.TAG_NAME, "a").click()
        assert browser.find_element(By.TAG_NAME, "h1").text
        # Every session is a click away, through its year's list.
        browser.back()
        years = browser.find_elements(By.CSS_SELECTOR, "ul.years a")
        assert len(years) >= 2
        listed = 0
        for n in range(len(years)):
            browser.find_elements(By.CSS_SELECTOR, "ul.years a")[n].click()
            listed += len(browser.find_elements(By.CSS_SELECTOR, "main tbody tr"))
            browser.back()
        assert listed == SESSIONS


ALL_HITS = """
document.getElementById("q").value = arguments[0];
window.PROTOCOLRUNNER_SEARCH();
const more = document.getElementById("more");
const pages = [document.querySelectorAll("#result-rows tr").length];
while (!more.hidden) {
  more.click();
  pages.push(document.querySelectorAll("#result-rows tr").length);
}
const names = [...document.querySelectorAll("#result-rows a")].map(
    a => decodeURIComponent(a.getAttribute("href")).slice("sessions/".length, -".html".length));
return [names, pages, document.getElementById("count").textContent];
"""


@pytest.mark.parametrize(
    "query",
    ["students", "stud", "s", "quiet students", "STUDENTS quiet", "the stud", "zzz", "a zzz", RARE],
)
def test_search_in_the_page_finds_what_protocolrunner_finds(
    site: Path, record: Record, query: str, browser: WebDriver
) -> None:
    """The page's search over its posting lists answers as the index's rule says: every word
    whole but the last, which may start one; newest first; a page of rows at a time."""
    loaded = record.load_sessions().sessions  # newest first
    terms = query_terms(query)
    *whole, start = terms
    expected = []
    for path, session_record in loaded:
        words = {t for text in searchable_texts(session_record) for t in query_terms(text)}
        if set(whole) <= words and any(word.startswith(start) for word in words):
            expected.append(path.stem)
    browser.get((site / "index.html").as_uri())
    names, pages, count = browser.execute_script(ALL_HITS, query)
    assert names == expected
    assert pages == [min(len(expected), PAGE * (n + 1)) for n in range(len(pages))]
    if len(expected) > 1:
        assert count == f"{len(expected)} sessions match, newest first."


def test_a_page_of_results_at_a_time_saying_how_many_are_left(
    site: Path, browser: WebDriver
) -> None:
    from selenium.webdriver.common.by import By

    browser.get((site / "index.html").as_uri())
    browser.find_element(By.ID, "q").send_keys("students")
    count = int(browser.find_element(By.ID, "count").text.split()[0])
    assert count > 2 * PAGE
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result-rows tr")) == PAGE
    more = browser.find_element(By.ID, "more")
    assert more.text == f"Show {PAGE} more ({count - PAGE} not shown yet)"
    more.click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result-rows tr")) == 2 * PAGE
    more.click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result-rows tr")) == count
    assert not more.is_displayed()
