"""The real browser of the browser tests: Debian's Chromium, driven by Playwright.

scripts/system-deps.sh installs ``chromium``; Playwright is told its path (it never downloads a
browser of its own). The flags are those of a headless Chromium run as root on a machine with no
network beyond the loopback: no sandbox, no GPU, no background traffic.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def require_chromium() -> Any:
    """Playwright's sync API, once Chromium is known to be there: a missing browser fails in
    CI (it is an install step that went wrong) and skips the module elsewhere."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} not installed (scripts/system-deps.sh)", pytrace=False)
        pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)
    return sync_api


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """A headless Chromium for one test module (or one test)."""
    sync_api = require_chromium()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
