"""Screenshot Airflow's UI (headless Chromium over the DevTools protocol) for the docs.

    python dev/airflow/screenshot.py <path> [ui-path]   # default: transactions_daily's grid

Logs in as the admin (password from the stack's OpenBao) by setting Airflow's JWT cookie, opens
the page, waits for it to render, and writes a PNG.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websocket

from dp_core.resources import Resources
from dp_core.settings import Settings, Target

PORT = 18222


def token(base: str, password: str) -> str:
    answer = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": password})
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def main() -> None:
    out = Path(sys.argv[1])
    page = sys.argv[2] if len(sys.argv) > 2 else "/dags/transactions_daily"
    settings = Settings(target=Target.STACK)
    base = settings.endpoints.url("airflow")
    password = Resources(settings).secrets.get("airflow")["admin_password"]
    jwt = token(base, password)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        browser = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--remote-debugging-port={PORT}", f"--user-data-dir={profile}",
             "--window-size=1600,1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            target = _first_page()
            ws = websocket.create_connection(target, timeout=30)
            ids = iter(range(1, 1000))

            def call(method: str, **params: object) -> dict:
                ws.send(json.dumps({"id": (n := next(ids)), "method": method, "params": params}))
                while True:
                    message = json.loads(ws.recv())
                    if message.get("id") == n:
                        return message.get("result", {})

            call("Network.enable")
            call("Network.setCookie", name="_token", value=jwt, url=base)
            call("Page.enable")
            call("Page.navigate", url=f"{base}{page}")
            time.sleep(8)  # the UI renders with its own API calls
            shot = call("Page.captureScreenshot", format="png")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(base64.b64decode(shot["data"]))
            print(f"wrote {out}")
        finally:
            browser.terminate()
            browser.wait(timeout=20)


def _first_page() -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            pages = httpx.get(f"http://127.0.0.1:{PORT}/json").json()
            return str(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
        except (httpx.HTTPError, StopIteration):
            time.sleep(0.5)
    raise SystemExit("chromium's DevTools endpoint did not come up")


if __name__ == "__main__":
    main()
