"""HTML pages to PNG in the distribution's headless Chromium (`apt-get install chromium
chromium-driver`), driven by Selenium through chromedriver, for `make pictures`.

Each page is drawn at a fixed width and exactly as tall as its content; Selenium never
downloads a browser or a driver (SE_OFFLINE), and the pages fetch nothing (no script, no
remote image).
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# No sandbox (root in a container), no network, no extras: the pages are ours and static.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--force-color-profile=srgb")  # fmt: skip
# 256 colours keep text and emoji sharp and the PNGs a third of their size.
COLOURS = 256


def unavailable() -> str | None:
    """Why pictures cannot be taken here, or None when Chromium, chromedriver and selenium are
    all present."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"no {path} (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def chromium(width: int) -> Iterator[WebDriver]:
    """One headless Chromium with a profile of its own, `width` pixels wide."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="leadbot-chromium-") as folder:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={folder}/profile", f"--window-size={width},800"):
            options.add_argument(flag)
        service = Service(executable_path=str(CHROMEDRIVER), log_output=f"{folder}/driver.log")
        previous = os.environ.get("SE_OFFLINE")
        os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never reach the network
        try:
            driver = webdriver.Chrome(service=service, options=options)
        finally:
            if previous is None:
                os.environ.pop("SE_OFFLINE", None)
            else:
                os.environ["SE_OFFLINE"] = previous
        try:
            yield driver
        finally:
            driver.quit()


def _capture(driver: WebDriver, page: Path, width: int) -> bytes:
    driver.get(page.as_uri())
    driver.execute_async_script("document.fonts.ready.then(arguments[arguments.length - 1]);")
    # The page's own height: the document's is never less than the window's.
    script = "return Math.ceil(document.body.firstElementChild.getBoundingClientRect().bottom);"
    height = int(driver.execute_script(script))
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    return base64.b64decode(shot["data"])


def _small(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        fewer = image.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
        out = io.BytesIO()
        fewer.save(out, "PNG", optimize=True)
        return out.getvalue()


def screenshots(pages: Mapping[str, str], folder: Path, width: int) -> list[Path]:
    """Each HTML page of `pages` (file name → HTML) as a PNG of that name in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="leadbot-pages-") as tmp, chromium(width) as driver:
        for name, html in pages.items():
            page = Path(tmp) / f"{Path(name).stem}.html"
            page.write_text(html, encoding="utf-8")
            path = folder / name
            path.write_bytes(_small(_capture(driver, page, width)))
            written.append(path)
    return written
