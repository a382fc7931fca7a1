"""The tutorial's screenshots, taken from the real pages (`make screenshots`).

A copy of the site in a temporary folder gets the tutorial's essay (docs/tutorial/); `reflections
serve` runs on it; Chromium (Debian's, through Playwright) sends a reflection through the essay's
form as a reader, logs in to the moderation pages and approves it as the author, then photographs
the essay on a desktop and a phone, light and dark, into docs/_static/screenshots/."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "docs" / "_static" / "screenshots"
ESSAY = REPO / "docs" / "tutorial" / "the-morning-walk.md"
REFLECTIONS = str(Path(sys.executable).with_name("reflections"))
PASSWORD = "a long tutorial password"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WORDS = (
    "I walk to the river and back, most mornings since the spring. Reading this, I understood why "
    "I never wanted to change the route."
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_built(base: str, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit("reflections serve stopped; see its log above")
        try:
            with urllib.request.urlopen(f"{base}/reflections/health", timeout=2) as answer:
                if json.load(answer).get("site") == "built":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the site was not built within two minutes")


def site_copy(folder: Path) -> Path:
    for name in ("content", "theme"):
        shutil.copytree(REPO / name, folder / name)
    for name in ("pelicanconf.py", "publishconf.py"):
        shutil.copy(REPO / name, folder / name)
    shutil.copy(ESSAY, folder / "content" / "essays" / ESSAY.name)
    return folder


def take(browser, url: str, name: str, viewport: dict, scheme: str, anchor: str = "") -> None:
    context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1)
    page = context.new_page()
    page.goto(url)
    if anchor:
        page.locator(anchor).first.scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -80)")
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    context.close()


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="withness-screenshots-") as temporary:
        root = site_copy(Path(temporary) / "site")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        environment = {**os.environ, "REFLECTIONS_SITE": str(root), "REFLECTIONS_TOKEN_MIN_SECONDS": "1"}
        subprocess.run(
            [REFLECTIONS, "set-password", "--password-stdin"],
            input=PASSWORD + "\n",
            text=True,
            cwd=root,
            env=environment,
            check=True,
            capture_output=True,
        )
        server = subprocess.Popen([REFLECTIONS, "serve", "--port", str(port)], cwd=root, env=environment)
        try:
            wait_until_built(base, server)
            essay = f"{base}/essays/the-morning-walk/"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
                )
                reader = browser.new_context(viewport=PHONE, color_scheme="light").new_page()
                reader.goto(essay)
                reader.fill("#reflect-body", WORDS)
                reader.fill("#reflect-name", "Ines")
                time.sleep(1.2)  # a person takes longer than the form token's minimum age
                reader.locator("#reflect button[type=submit]").first.click()
                reader.wait_for_url("**/reflections/received/**")
                reader.screenshot(path=str(SHOTS / "received-phone-light.png"))

                author = browser.new_context(viewport=DESKTOP, color_scheme="light").new_page()
                author.goto(f"{base}/reflections/moderate")
                author.fill("#password", PASSWORD)
                author.click("text=Log in")
                author.screenshot(path=str(SHOTS / "moderate-desktop-light.png"))
                author.locator("button[value=approve]").first.click()
                for _ in range(100):  # the publisher writes the page within a moment
                    if "Ines" in urllib.request.urlopen(essay).read().decode("utf-8"):
                        break
                    time.sleep(0.1)
                else:
                    raise SystemExit("the approved reflection did not reach the essay's page")
                for scheme in ("light", "dark"):
                    take(browser, essay, f"essay-desktop-{scheme}", DESKTOP, scheme, ".reflection")
                    take(browser, essay, f"essay-phone-{scheme}", PHONE, scheme, ".reflection")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    for shot in sorted(SHOTS.glob("*.png")):
        print(f"{shot.relative_to(REPO)}: {shot.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
