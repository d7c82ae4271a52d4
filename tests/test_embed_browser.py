"""The embeddable glossary script (/embed.js) in a real browser (Debian's headless Chromium): keyboard,
pointer, unknown terms, and a page of another origin with a strict CSP and hostile styles."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ARTIFACTS

WAIT = 20


def _open(browser, url: str) -> None:
    """Load ``url`` and wait until embed.js has looked up every term on it (the log is emptied first)."""
    browser.get_log("browser")
    browser.get(url)
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const wait = () => window.MappaGlossary ? MappaGlossary.refresh().then(() => done(true))"
        "  : setTimeout(wait, 50);"
        "wait();"
    )


def _term(browser, text: str):
    from selenium.webdriver.common.by import By

    return next(e for e in browser.find_elements(By.CSS_SELECTOR, "[data-mappa]") if e.text == text)


def _popover(browser, term):
    """The tooltip that ``term``'s aria-describedby names: the host element whose shadow root holds it."""
    from selenium.webdriver.common.by import By

    ids = (term.get_attribute("aria-describedby") or "").split()
    assert ids, f"{term.text} has no aria-describedby"
    return browser.find_element(By.ID, ids[-1])


def _card_text(popover) -> str:
    from selenium.webdriver.common.by import By

    return popover.shadow_root.find_element(By.CSS_SELECTOR, ".card").text


def _wait_until(browser, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT).until(lambda _: condition(), message)


def _severe(browser) -> list[dict]:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _description(browser, selector: str) -> str:
    """The accessible description Chromium computes for the element (what a screen reader announces)."""
    document = browser.execute_cdp_cmd("DOM.getDocument", {"depth": 0})
    node = browser.execute_cdp_cmd(
        "DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": selector}
    )
    tree = browser.execute_cdp_cmd(
        "Accessibility.getPartialAXTree", {"nodeId": node["nodeId"], "fetchRelatives": False}
    )
    return tree["nodes"][0].get("description", {}).get("value", "")


def test_keyboard_focus_opens_an_accessible_popover_and_escape_closes_it(browser, live_server: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _open(browser, f"{live_server}/embed/demo")
    sopo = _term(browser, "SOPO")
    assert sopo.get_attribute("tabindex") == "0"
    popover = _popover(browser, sopo)
    assert popover.get_attribute("role") == "tooltip"
    assert browser.execute_script("return !!arguments[0].shadowRoot", popover)
    assert not popover.is_displayed()
    # The description is there before the popover opens: aria-describedby cannot reach into a shadow
    # root, so the tooltip role is on its host, whose shadow content makes the description.
    description = _description(browser, f"[aria-describedby~='{popover.get_attribute('id')}']")
    assert description.startswith("Sexual Offences Prevention Order (SOPO) A court order"), description

    for _ in range(40):
        if browser.switch_to.active_element == sopo:
            break
        ActionChains(browser).send_keys(Keys.TAB).perform()
    else:
        pytest.fail("Tab never reached the SOPO term")
    _wait_until(browser, popover.is_displayed, "focus did not open the popover")
    text = _card_text(popover)
    assert "Sexual Offences Prevention Order" in text
    assert "(SOPO)" in text
    assert "More about Sexual Offences Prevention Order" in text
    link = popover.shadow_root.find_element("css selector", "a")
    assert link.get_attribute("href") == f"{live_server}/glossary/sopo"
    # Below the term, inside the viewport.
    term_box, box = sopo.rect, popover.rect
    width, height = browser.execute_script("return [innerWidth, innerHeight]")
    assert 0 < box["y"] - (term_box["y"] + term_box["height"]) <= 16, (term_box, box)
    assert 0 <= box["x"] <= term_box["x"] + 1 and box["x"] + box["width"] <= width, (term_box, box)
    assert box["y"] + box["height"] <= height, (box, height)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "embed-popover.png"))

    # Tab reaches the "More" link, Shift+Tab goes back to the term; Escape (here from the link) closes.
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.execute_script("return arguments[0].shadowRoot.activeElement", popover) == link
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert browser.switch_to.active_element == sopo
    assert popover.is_displayed()
    ActionChains(browser).send_keys(Keys.TAB).send_keys(Keys.ESCAPE).perform()
    _wait_until(browser, lambda: not popover.is_displayed(), "Escape did not close the popover")
    assert browser.switch_to.active_element == sopo
    browser.execute_async_script("setTimeout(arguments[0], 300)")
    assert not popover.is_displayed()
    # Closed, the term is an ordinary tab stop: Tab goes on to the next term.
    lay = _term(browser, "lay advisers")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element == lay
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert browser.switch_to.active_element == sopo
    _wait_until(browser, popover.is_displayed, "focus did not reopen the popover")
    # Open, Tab visits its link and then goes on to what follows the term.
    ActionChains(browser).send_keys(Keys.TAB).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element == lay
    _wait_until(browser, lambda: not popover.is_displayed(), "leaving the link did not close the popover")
    assert _popover(browser, lay).is_displayed()
    assert _severe(browser) == []


def test_hovering_a_term_shows_its_definition(browser, live_server: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open(browser, f"{live_server}/embed/demo")
    lay = _term(browser, "lay advisers")
    popover = _popover(browser, lay)
    assert not popover.is_displayed()
    ActionChains(browser).move_to_element(lay).perform()
    _wait_until(browser, popover.is_displayed, "hovering did not open the popover")
    assert "Lay Adviser" in _card_text(popover)
    # The pointer can cross into the popover (to reach its link) without it closing...
    ActionChains(browser).move_to_element(popover.shadow_root.find_element(By.CSS_SELECTOR, "a")).perform()
    browser.execute_async_script("setTimeout(arguments[0], 600)")
    assert popover.is_displayed()
    # ...and leaving both closes it.
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()
    _wait_until(browser, lambda: not popover.is_displayed(), "leaving did not close the popover")
    # A term near the bottom of the viewport gets its popover above it.
    size = browser.get_window_size()
    browser.set_window_size(1280, 600)
    try:
        browser.execute_script(
            "scrollBy(0, arguments[0].getBoundingClientRect().bottom - innerHeight + 30)", lay
        )
        ActionChains(browser).move_to_element(lay).perform()
        _wait_until(browser, popover.is_displayed, "hovering did not open the popover")
        term, box = (
            browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", e)
            for e in (lay, popover)
        )
        assert term["bottom"] > browser.execute_script("return innerHeight") - box["height"]
        assert box["top"] >= 0 and box["bottom"] < term["top"], (term, box)
    finally:
        browser.set_window_size(size["width"], size["height"])
    assert _severe(browser) == []


def test_a_tap_toggles_the_popover(browser, live_server: str) -> None:
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput
    from selenium.webdriver.common.by import By

    def tap(element) -> None:
        actions = ActionBuilder(browser, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"))
        actions.pointer_action.move_to(element).pointer_down().pointer_up()
        actions.perform()

    _open(browser, f"{live_server}/embed/demo")
    visor = _term(browser, "ViSOR")
    popover = _popover(browser, visor)
    tap(visor)
    _wait_until(browser, popover.is_displayed, "a tap did not open the popover")
    assert "national database" in _card_text(popover)
    tap(visor)
    _wait_until(browser, lambda: not popover.is_displayed(), "a second tap did not close the popover")
    tap(visor)
    _wait_until(browser, popover.is_displayed, "a third tap did not open the popover")
    tap(browser.find_element(By.TAG_NAME, "h1"))
    _wait_until(browser, lambda: not popover.is_displayed(), "a tap elsewhere did not close the popover")
    assert _severe(browser) == []


def test_an_unknown_term_is_left_alone_without_errors(browser, live_server: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open(browser, f"{live_server}/embed/demo")
    unknown = _term(browser, "XYZZY")
    assert unknown.get_attribute("tabindex") is None
    assert unknown.get_attribute("aria-describedby") is None
    assert unknown.get_attribute("class") in (None, "")
    assert unknown.get_attribute("style") in (None, "")
    # The four known terms got a popover each; the unknown one none.
    hosts = browser.find_elements(By.CSS_SELECTOR, "[role=tooltip]")
    assert len(hosts) == 4
    ActionChains(browser).move_to_element(unknown).perform()
    browser.execute_async_script("setTimeout(arguments[0], 300)")
    assert not any(h.is_displayed() for h in hosts)
    # Each term was asked for once; content added later is found by refresh(), from the cache.
    searches = "return performance.getEntriesByType('resource').filter(e => e.name.includes('/glossary/search')).length"
    assert browser.execute_script(searches) == 5
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const added = document.createElement('abbr');"
        "added.id = 'added'; added.dataset.mappa = ''; added.textContent = 'visor';"
        "document.querySelector('main').append(added);"
        "MappaGlossary.refresh().then(done);"
    )
    assert _popover(browser, browser.find_element(By.ID, "added")).get_attribute("role") == "tooltip"
    assert browser.execute_script(searches) == 5
    errors = _severe(browser)
    assert errors == [], errors


@pytest.fixture
def other_origin(tmp_path: Path, live_server: str) -> Iterator[str]:
    """A second web site on loopback (another port, so another origin) that embeds the glossary, under
    a strict CSP and with styles that would spoil the popover if they reached it."""
    (tmp_path / "page.css").write_text(
        "* { color: rgb(255, 0, 0) !important; font-size: 40px; }\n"
        "div, p, a, strong { display: inline !important; background: lime !important; }\n"
        "abbr { border-bottom: 1px dotted; }\n"
    )
    policy = f"default-src 'self'; script-src 'self' {live_server}; connect-src {live_server}; style-src 'self'; img-src data:"
    (tmp_path / "index.html").write_text(
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>Another site</title>\n"
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        "<link rel='icon' href='data:,'><link rel='stylesheet' href='page.css'>\n"
        f"<script src='{live_server}/embed.js'></script></head>\n"
        "<body><h1>Another site</h1><p>A <abbr data-mappa>SOPO</abbr> was made.</p></body></html>\n"
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_another_origin_gets_popovers_from_the_scripts_own_origin(
    browser, live_server: str, other_origin: str
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    assert other_origin != live_server
    # Loaded without defer in <head>: it waits for the document, and finds its origin from its own src.
    _open(browser, f"{other_origin}/index.html")
    sopo = _term(browser, "SOPO")
    popover = _popover(browser, sopo)
    ActionChains(browser).move_to_element(sopo).perform()
    _wait_until(browser, popover.is_displayed, "the popover did not open on another origin")
    assert "Sexual Offences Prevention Order" in _card_text(popover)
    link = popover.shadow_root.find_element(By.CSS_SELECTOR, "a")
    assert link.get_attribute("href") == f"{live_server}/glossary/sopo"
    # The host page's styles do not reach inside the popover.
    summary = popover.shadow_root.find_element(By.CSS_SELECTOR, ".summary")
    assert summary.value_of_css_property("color") == "rgba(27, 27, 27, 1)"
    assert summary.value_of_css_property("display") == "block"
    assert summary.value_of_css_property("font-size") == "15px"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "embed-other-origin.png"))
    errors = _severe(browser)
    assert errors == [], errors
