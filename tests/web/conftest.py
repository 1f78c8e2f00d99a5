"""Fixtures for the report page tests: the page template built from web/
(by web/embed.py, no C build needed), synthetic data (gen_data.py), pages
made from them (make_page.py) and a headless Chromium driven by Playwright.

Set RG_WEB_SHOTS=DIR to keep screenshots of what the tests looked at.
Set RG_CHROMIUM=PATH to use another Chromium than /usr/bin/chromium.
"""

import json
import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_page  # noqa: E402

CHROMIUM = os.environ.get("RG_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="session")
def template():
    return make_page.build_template()


NOT_TESTED = []    # why the page could not be tested, said once at the end


def no_browser(why):
    NOT_TESTED.append(why)
    pytest.fail(why, pytrace=False)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    if NOT_TESTED:
        terminalreporter.write_line(f"THE PAGE WAS NOT TESTED: {NOT_TESTED[0]}", red=True, bold=True)


@pytest.fixture(scope="session")
def browser():
    # A page test that cannot run fails: skipping it would report the page
    # as tested when it was not (make setup installs both).
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("the page tests need Playwright, which is not installed: "
                   "make setup (or pip install -r requirements-dev.txt)")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        no_browser(f"the page tests need Chromium, and there is none at {CHROMIUM}: make setup "
                   "(or apt-get install chromium, or set RG_CHROMIUM to one)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """An opened report page and everything it complained about."""

    def __init__(self, page, path):
        self.page = page
        self.path = path
        self.errors = []      # console errors and uncaught exceptions
        self.dialogs = []     # alert/confirm/prompt messages
        page.on("console", lambda m: m.type in ("error", "assert") and self.errors.append(
            f"console.{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, d):
        self.dialogs.append(d.message)
        d.dismiss()

    def open(self):
        self.page.goto("file://" + self.path)
        self.page.wait_for_function("() => window.RG && RG.ready === true", timeout=30000)
        return self

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)

    def shot(self, name, full_page=False):
        d = os.environ.get("RG_WEB_SHOTS")
        if d:
            os.makedirs(d, exist_ok=True)
            self.page.screenshot(path=os.path.join(d, name + ".png"), full_page=full_page)


@pytest.fixture
def open_page(browser, template, tmp_path):
    """open_page(data) -> Page: writes the page for DATA and loads it."""
    opened = []

    def _open(data, name="page", title=None, scale=1, viewport=None):
        (tmp_path / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
        path = tmp_path / f"{name}.html"
        path.write_text(make_page.render(template, data, title), encoding="utf-8")
        ctx = browser.new_context(viewport=viewport or VIEWPORT, device_scale_factor=scale)
        p = Page(ctx.new_page(), str(path))
        opened.append(ctx)
        return p.open()

    yield _open
    for ctx in opened:
        ctx.close()


@pytest.fixture
def open_file(browser):
    """open_file(path, viewport) -> Page: loads an existing page (a report's
    index.html)."""
    opened = []

    def _open(path, viewport=None):
        ctx = browser.new_context(viewport=viewport or VIEWPORT)
        opened.append(ctx)
        return Page(ctx.new_page(), str(path)).open()

    yield _open
    for ctx in opened:
        ctx.close()
