"""The query page in a real browser (Debian's headless Chromium): YASGUI loads from the service itself,
an example query runs against /sparql and its results are shown. A screenshot is saved as an artifact."""

from __future__ import annotations

from .conftest import ARTIFACTS


def test_query_page_runs_an_example_and_shows_results(browser, live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server}/sparql")
    wait = WebDriverWait(browser, 30)
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".yasqe .CodeMirror")))
    assert "Query the MAPPA knowledge base" in browser.title or "SPARQL" in browser.title
    button = browser.find_element(By.CSS_SELECTOR, "#examples button[data-example='0']")
    button.click()
    wait.until(lambda d: "593" in d.find_element(By.CSS_SELECTOR, ".yasr").text)
    results = browser.find_element(By.CSS_SELECTOR, ".yasr").text
    assert "County Durham and Darlington" in results
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "query-page.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
