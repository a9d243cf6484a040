"""`GET /dashboard` in a real browser: the distribution's headless Chromium, driven by Selenium
through its chromedriver, loads the page from the running bot (real HTTP server, real SQLite,
leads posted through intake and claimed through the service) and checks what a sales floor sees:
the numbers, the waiting leads oldest first, a breach in red, a hostile name as text, the chart's
bars as wide as their shares, TV mode's larger type; then that a new lead appears in place, and
that a stopped bot is shown as such rather than as live. Screenshots go to LEADBOT_TEST_ARTIFACTS
(default .artifacts/).

LEADBOT_TEST_BROWSER: auto (skip when Chromium, chromedriver or selenium is missing), required
(fail instead: CI, which installs Chromium from the distribution's packages), off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from bot.review.report import RESPONSE_BUCKETS
from bot.tools.screenshot import CHROMEDRIVER, CHROMIUM, unavailable
from tests.conftest import make_config, start_bot
from tests.fakes.harness import PATIENCE, Harness

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.browser

BROWSER_MODE = os.environ.get("LEADBOT_TEST_BROWSER", "auto")  # auto | required | off
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LEADBOT_TEST_ARTIFACTS") or ROOT / ".artifacts")
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
TOKEN = "floor-screen-token"
HOSTILE = "<img src=x onerror=window.pwned=1>"
WINDOW, TV_WINDOW = (1280, 900), (1920, 1080)
# Only the page's own script may run: no sandbox (root in a container), no network, no extras.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")  # fmt: skip


def _browser_unavailable() -> str | None:
    if BROWSER_MODE == "off":
        return "LEADBOT_TEST_BROWSER=off"
    return unavailable()  # the README pictures' check: Chromium, chromedriver, selenium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the module's tests, with a profile of its own (pytest-xdist
    workers never share one; chromedriver and Chromium each pick a free port)."""
    reason = _browser_unavailable()
    if reason:
        if BROWSER_MODE == "required":
            pytest.fail(f"LEADBOT_TEST_BROWSER=required but {reason}")
        pytest.skip(f"browser test skipped: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    folder = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={folder / 'profile'}",
                 f"--window-size={WINDOW[0]},{WINDOW[1]}"):  # fmt: skip
        options.add_argument(flag)
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(folder / "driver.log"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never reach the network
        driver = webdriver.Chrome(service=service, options=options)
    yield driver
    driver.quit()


@pytest.fixture
def chromium(browser: WebDriver) -> WebDriver:
    """The module's Chromium at the usual window size (the TV test makes it bigger)."""
    browser.set_window_size(*WINDOW)
    return browser


@pytest.fixture
def floor(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    """The bot on a virtual clock at NOW, updating the screen every 2 s, with five leads: one
    from Monday claimed after 2 h (late), and today Dana waiting 3 h (breached), Eli claimed
    after 3 min, Fay after 20 min, and a hostile name waiting 30 min."""
    clock = FixedClock(NOW - timedelta(days=2))
    settings = {"dashboard_token": TOKEN, "dashboard_refresh": 2}
    bot = start_bot(fake_slack, sqlite_url, make_config(), clock=clock, settings_overrides=settings)
    plan: list[tuple[timedelta, str, Any]] = [
        (timedelta(days=2), "post", "Gus"),
        (timedelta(days=2) - timedelta(hours=2), "claim", (1, "U0CHEN")),
        (timedelta(hours=3), "post", "Dana"),
        (timedelta(hours=2, minutes=50), "post", "Eli"),
        (timedelta(hours=2, minutes=47), "claim", (3, "U0BO")),
        (timedelta(hours=2), "post", "Fay"),
        (timedelta(hours=1, minutes=40), "claim", (4, "U0ALICE")),
        (timedelta(minutes=30), "post", HOSTILE),
    ]
    for before, verb, what in plan:
        clock.set(NOW - before)
        if verb == "post":
            assert bot.post_lead({"external_id": f"f-{what}", "name": what})[0] == 201
        else:
            assert bot.app.services.leads.claim(*what).ok
    clock.set(NOW)
    yield bot
    bot.app.stop()


def _texts(driver: WebDriver, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, css)]


def _bars(driver: WebDriver) -> list[list[Any]]:
    """[bucket, drawn width / track width, the share as text] of every bar, bucket by bucket,
    today's then the week's."""
    script = """return [...document.querySelectorAll('table.bars tr[class^=b]')].flatMap(tr =>
        [...tr.querySelectorAll('td.track')].map(td => [tr.cells[0].textContent,
          td.querySelector('rect').getBoundingClientRect().width
            / td.querySelector('svg').getBoundingClientRect().width,
          td.nextElementSibling.textContent]));"""
    return driver.execute_script(script)  # type: ignore[no-any-return]


def _style(driver: WebDriver, css: str, prop: str) -> str:
    script = "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]];"
    return str(driver.execute_script(script, css, prop))


def _screenshot(driver: WebDriver, name: str) -> None:
    """The viewport as a PNG in ARTIFACTS, checked to be a drawn page of the viewport's size."""
    size = tuple(driver.execute_script("return [innerWidth, innerHeight];"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    assert driver.save_screenshot(str(path))
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == size
        low, high = image.convert("L").getextrema()
        assert high - low > 100  # drawn, not a blank page
    assert path.stat().st_size > 20_000


def test_the_floor_reads_the_numbers_in_chromium(chromium: WebDriver, floor: Harness) -> None:
    chromium.get(f"{floor.base}/dashboard?token={TOKEN}")
    assert _texts(chromium, ".tile b") == ["3m", "20m", "2"]  # medians today and this week
    tiles = _texts(chromium, ".tile")
    assert "4 leads · 1 SLA breach" in tiles[0] and "5 leads · 2 SLA breaches" in tiles[1]
    rows = _texts(chromium, "table.waiting tr")[1:]
    assert [row.split(" #")[0] for row in rows] == ["Dana", HOSTILE]  # oldest first, as text
    assert chromium.execute_script("return typeof window.pwned") == "undefined"
    assert _style(chromium, "td.late", "color") == "rgb(224, 30, 90)"
    assert "breached 2h ago" in rows[0] and "due in 30m" in rows[1]
    assert _style(chromium, "table.waiting tr:last-child td:last-child", "color") != (
        "rgb(224, 30, 90)"
    )
    assert _texts(chromium, "table.bars th.period") == ["Today · 4 leads", "Last 7 days · 5 leads"]
    today, week = (0.25, 0.25, 0.0, 0.0, 0.5), (0.2, 0.2, 0.2, 0.0, 0.4)
    bars = _bars(chromium)
    assert [bar[0] for bar in bars[::2]] == [*RESPONSE_BUCKETS[:-1], "not claimed yet"]
    shares = [share for pair in zip(today, week, strict=True) for share in pair]
    for (bucket, drawn, text), share in zip(bars, shares, strict=True):
        assert drawn == pytest.approx(share, abs=0.01), bucket
        assert text == f"{share:.0%}"
    _screenshot(chromium, "dashboard.png")


def test_tv_mode_draws_the_same_page_in_large_type(chromium: WebDriver, floor: Harness) -> None:
    chromium.get(f"{floor.base}/dashboard?token={TOKEN}")
    normal = {css: float(_style(chromium, css, "fontSize")[:-2]) for css in ("body", ".tile b")}
    chromium.set_window_size(*TV_WINDOW)
    chromium.get(f"{floor.base}/dashboard?token={TOKEN}&tv=1")
    for css, size in normal.items():
        assert float(_style(chromium, css, "fontSize")[:-2]) >= 1.5 * size, css
    assert _texts(chromium, ".tile b") == ["3m", "20m", "2"]
    _screenshot(chromium, "dashboard-tv.png")


def test_a_new_lead_appears_in_place_and_a_dead_bot_is_not_shown_as_live(
    chromium: WebDriver, floor: Harness
) -> None:
    from selenium.webdriver.support.wait import WebDriverWait

    chromium.get(f"{floor.base}/dashboard?token={TOKEN}")
    chromium.execute_script("window.marker = 1;")  # gone if the page were reloaded
    assert floor.post_lead({"external_id": "f-Hana", "name": "Hana"})[0] == 201
    wait = WebDriverWait(chromium, PATIENCE)
    wait.until(lambda d: any(row.startswith("Hana #6") for row in _texts(d, "table.waiting tr")))
    assert chromium.execute_script("return window.marker") == 1
    assert _texts(chromium, ".tile b")[2] == "3"
    assert not chromium.find_element("id", "stale").is_displayed()
    floor.app.stop()
    wait.until(lambda d: d.find_element("id", "stale").is_displayed())
    assert chromium.find_element("id", "stale").text == (
        "Not updated since 10:00:00 — leadbot cannot be reached"
    )
    assert "is-stale" in str(chromium.find_element("tag name", "body").get_attribute("class"))
    assert chromium.execute_script("return window.marker") == 1
    _screenshot(chromium, "dashboard-stale.png")


def test_a_screen_whose_script_stopped_says_so_by_itself(
    chromium: WebDriver, floor: Harness
) -> None:
    """Without its script's updates (here: every fetch hangs), the page's own CSS shows that it
    is old after three intervals, whatever became of the script."""
    from selenium.webdriver.support.wait import WebDriverWait

    chromium.get(f"{floor.base}/dashboard?token={TOKEN}")
    aging = chromium.find_element("css selector", "main .aging")
    assert not aging.is_displayed()
    chromium.execute_script("window.fetch = () => new Promise(() => {});")
    WebDriverWait(chromium, PATIENCE).until(lambda _: aging.is_displayed())
    assert aging.text == "Not updated since 10:00:00 — this screen has stopped updating"
    assert not chromium.find_element("id", "stale").is_displayed()
