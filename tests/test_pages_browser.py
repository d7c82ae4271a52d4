"""The pages people read, in a real browser (Debian's headless Chromium): the home page, a concept page,
a data set page with its chart drawn, and an area page. Screenshots are saved as test artifacts; the
browser's console must stay free of errors (a Content-Security-Policy violation is one)."""

from __future__ import annotations

import pytest

from .conftest import ARTIFACTS


def _open(driver, url: str, screenshot: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 20).until(ready.presence_of_element_located((By.CSS_SELECTOR, "footer.site")))
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / screenshot))
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_home_page_explains_mappa_and_searches(browser, live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, f"{live_server}/", "home-page.png")
    assert (
        "Multi-Agency Public Protection Arrangements" in browser.find_element(By.CSS_SELECTOR, ".lead").text
    )
    box = browser.find_element(By.ID, "home-search")
    box.send_keys("sopo", Keys.ENTER)
    # The form loads a new page: wait for it, rather than look at whatever page is there now.
    first = WebDriverWait(browser, 20).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, "ol.results li a"))
    )
    assert first.text == "Sexual Offences Prevention Order"


def test_concept_page_shows_definition_and_links(browser, live_server: str) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, f"{live_server}/id/glossary/sopo", "concept-page.png")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Sexual Offences Prevention Order")
    assert "court order" in browser.find_element(By.CSS_SELECTOR, ".definition").text
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "article a")]
    assert "Sexual Harm Prevention Order" in links


def test_data_set_page_draws_its_chart(browser, live_server: str) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, f"{live_server}/id/dataset/durham-2010-11", "dataset-page.png")
    chart = browser.find_element(By.CSS_SELECTOR, "figure.chart svg")
    assert chart.size["width"] > 300 and chart.size["height"] > 150  # drawn, not an empty box
    bars = browser.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.chart-bar")
    assert len(bars) >= 6
    tables = browser.find_elements(By.CSS_SELECTOR, "table.report")
    assert any("593" in t.text for t in tables)


@pytest.mark.parametrize("path", ["/id/area/durham", "/areas", "/datasets", "/glossary"])
def test_other_pages_render_cleanly(browser, live_server: str, path: str) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, f"{live_server}{path}", f"page-{path.strip('/').replace('/', '-')}.png")
    assert browser.find_element(By.TAG_NAME, "h1").text
