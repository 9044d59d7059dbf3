"""Headless Chromium for tests, driven by Playwright's sync API, kept off the network.

conftest.py imports the fixtures, so that every test module shares one browser per session (a second
session-scoped copy imported by another module would start a second Playwright inside the first's loop):

  - `browser` (session): Debian's Chromium (/usr/bin/chromium), launched once by Playwright with the flags below,
    and closed at the end of the session.
  - `page` (function): a new page in a new browser context (its own cookies and localStorage, so nothing one test
    stores is seen by the next). Every request it makes to a host other than loopback (127.0.0.0/8, ::1,
    localhost) is aborted before it leaves the browser and its URL appended to `page.external_requests`, so a
    test can assert that nothing external was even attempted. Uncaught page errors and console errors are kept
    in `page.errors`.
  - `screenshot(page, directory, name)` saves a full-page PNG and returns its path.
  - `use_axe(page)` puts axe-core (the npm package pinned in tools/npm/, read from its node_modules, never from a
    CDN) into every document the page opens; `axe_violations(page)` then runs it on the page as it is and returns
    the serious and critical violations.

If Chromium or the Playwright package is missing the tests that use them are skipped, naming what to install;
with the environment variable CI=true they fail instead (as in tests/servers.py).

  - Chromium: `apt-get install chromium` (Debian).
  - Playwright: `pip install playwright`. Do not run `playwright install`: it downloads a browser build of its own;
    these tests use Debian's Chromium through `executable_path`.
  - axe-core: `npm ci --ignore-scripts` in tools/npm/ (what .ci/run does).
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright adds --headless and a fresh temporary --user-data-dir (removed when the browser closes) by itself.
# Without the networking flags Chromium keeps trying to reach Google's services (component updates, sync,
# safe browsing, variations, DNS prefetch, QUIC probes), which on a closed network is a stream of refused
# connections.
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is small in some containers; use /tmp instead
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--dns-prefetch-disable",
    "--metrics-recording-only",
]
NPM_MODULES = Path(__file__).resolve().parents[1] / "tools" / "npm" / "node_modules"  # tools/npm: `npm ci`
AXE_SCRIPT = NPM_MODULES / "axe-core" / "axe.min.js"
AXE_IMPACTS = ("serious", "critical")  # what the page checks fail on; minor and moderate ones are not listed
LAUNCH_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1280, "height": 900}

# Seconds it took the session's browser to start (for reports; None until it has).
launch_seconds: float | None = None


def _missing(what: str, install: str) -> None:
    message = f"{what} is not installed; to run these tests: {install}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def is_loopback_url(url: str) -> bool:
    """True for URLs that stay on this machine: loopback hosts, and data:, blob:, about: URLs."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, started by Playwright."""
    global launch_seconds
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("The Playwright package (Python)", "pip install playwright  (not `playwright install`)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium ({CHROMIUM})", "apt-get install chromium")
    with sync_playwright() as playwright:
        start = time.monotonic()
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                              timeout=LAUNCH_TIMEOUT_MS)
        launch_seconds = time.monotonic() - start
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A page in a fresh context; requests to non-loopback hosts are aborted and listed in page.external_requests,
    page errors and console errors in page.errors."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    external: list[str] = []
    errors: list[str] = []

    def guard(route, request) -> None:
        if is_loopback_url(request.url):
            route.continue_()
        else:
            external.append(request.url)
            route.abort("blockedbyclient")

    context.route(re.compile(r".*"), guard)
    new_page = context.new_page()
    new_page.external_requests = external
    new_page.errors = errors
    new_page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    new_page.on("console", lambda message: errors.append(f"console {message.type}: {message.text}")
                if message.type == "error" else None)
    try:
        yield new_page
    finally:
        context.close()


def screenshot(page, directory: str | os.PathLike, name: str) -> Path:
    """Save a full-page screenshot of page as DIRECTORY/NAME.png (NAME may end in .png already); its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (name if name.endswith(".png") else f"{name}.png")
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass(frozen=True)
class Violation:
    """One element that breaks one axe-core rule."""

    rule: str
    impact: str
    target: str  # the CSS selector axe gives for the element
    summary: str  # the rule, in axe's words

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}) at {self.target}: {self.summary}"


def use_axe(page) -> None:
    """Have axe-core (tools/npm/node_modules, never a CDN) in every document the page opens from now on. It comes
    as an init script, which runs before the page's own scripts and whatever Content-Security-Policy it has."""
    if not AXE_SCRIPT.is_file():
        _missing(f"axe-core ({AXE_SCRIPT})", "cd tools/npm && npm ci --ignore-scripts")
    page.add_init_script(path=str(AXE_SCRIPT))


def axe_violations(page) -> list[Violation]:
    """axe-core's serious and critical violations on the page as it is now (after use_axe), one per rule and
    element."""
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [Violation(rule["id"], rule["impact"], " ".join(map(str, node["target"])), rule["help"])
            for rule in results["violations"] if rule["impact"] in AXE_IMPACTS for node in rule["nodes"]]
