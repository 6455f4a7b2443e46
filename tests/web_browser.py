#!/usr/bin/env python3
"""Drives a real headless Chromium through chromedriver's W3C WebDriver HTTP API (stdlib only):
a supervisor signs in, filters the findings, opens a finding's detail page and reads the working
days counted; the hall's login answers that finding with an appeal; the supervisor accepts it
and reads the overview again; the bureau's login downloads the month's denial register.
Screenshots of the overview and the detail page go to --shots, the register to --downloads.
Prints one JSON object of what it saw; exits non-zero on any failure.

  web_browser.py --chromedriver PATH --chromium PATH --url http://127.0.0.1:PORT
                 --user NAME --password PW --hall H01 --rule RULE --id ENTITY --shots DIR
                 --hall-user NAME --hall-password PW --bureau-user NAME --bureau-password PW
                 --month 2026-10 --downloads DIR
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self, base):
        self.base = base
        self.sid = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.sid}{path}", body)

    def find(self, css):
        v = self.s("POST", "/element", {"using": "css selector", "value": css})
        if not isinstance(v, dict) or ELEMENT not in v:
            raise RuntimeError(f"no element {css!r}: {v!r}")
        return v[ELEMENT]

    def text(self, css):
        return self.s("GET", f"/element/{self.find(css)}/text")

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        self.s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def shot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))


def sign_in(d, url, user, password):
    d.go(url + "/login")
    d.type("#name", user)
    d.type("#password", password)
    d.click("#submit")


def switch_user(d, user, password):
    """Signs out, then in as another login on the login page the sign-out leads to (not a second
    login page: its form's token would not match the cookie the first one left)."""
    d.click("#logout")
    wait_url(d, lambda u: "/login" in u)
    d.type("#name", user)
    d.type("#password", password)
    d.click("#submit")
    wait_url(d, lambda u: "/login" not in u)


def wait_text(d, css, needle):
    """The element's text once it holds `needle` (the page after a form's redirect)."""
    text = ""
    for _ in range(100):
        try:
            text = d.text(css)
        except RuntimeError:
            text = ""
        if needle in text:
            return text
        time.sleep(0.1)
    raise RuntimeError(f"{css} never showed {needle!r}: {text!r}")


def wait_url(d, ok):
    for _ in range(100):
        url = d.s("GET", "/url")
        if ok(url):
            return url
        time.sleep(0.1)
    raise RuntimeError(f"stuck at {url}: {d.text('main')!r}")


def red_row(headline):
    """The numbers of the 红牌 row of the overview's headline table."""
    for line in headline.splitlines():
        if line.startswith("红牌"):
            return line.split()[1:]
    raise RuntimeError(f"no 红牌 row in {headline!r}")


def answer_accept_download(d, a, out):
    """The hall answers and appeals the finding, the supervisor accepts, the bureau downloads."""
    detail = out["detail_url"]
    switch_user(d, a.hall_user, a.hall_password)
    d.go(detail)
    d.type("#explanation", "系统升级导致超期，已补办完毕")
    d.click("#appeal")
    d.click("#respond-submit")
    out["answered"] = wait_text(d, "#answers", "系统升级导致超期")
    switch_user(d, a.user, a.password)
    d.go(detail)
    d.click("#accept")
    wait_text(d, "#finding", "已申诉认可")
    out["decided"] = d.text("#answers")
    out["decided_finding"] = d.text("table")
    d.shot(os.path.join(a.shots, "web-finding.png"))
    d.go(a.url + "/")
    out["red_after"] = red_row(d.text("#headline"))
    d.shot(os.path.join(a.shots, "web-overview.png"))
    switch_user(d, a.bureau_user, a.bureau_password)
    d.go(f"{a.url}/register?month={a.month}")
    out["register_count"] = d.text("#register-count")
    d.click("#register-xlsx")
    out["register_file"] = wait_for_download(a.downloads, ".xlsx")


def wait_for_download(folder, ext):
    for _ in range(300):
        done = [f for f in os.listdir(folder) if f.endswith(ext)]
        if done:
            return os.path.join(folder, done[0])
        time.sleep(0.1)
    raise RuntimeError(f"no {ext} downloaded into {folder}: {os.listdir(folder)}")


def main():
    ap = argparse.ArgumentParser()
    for a in ["chromedriver", "chromium", "url", "user", "password", "hall", "rule", "id", "shots", "hall-user", "hall-password", "bureau-user", "bureau-password", "month", "downloads"]:
        ap.add_argument("--" + a, required=True)
    a = ap.parse_args()
    port = free_port()
    profile = tempfile.mkdtemp(prefix="ww-chromium-")
    cd = subprocess.Popen([a.chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = Driver(f"http://127.0.0.1:{port}")
    try:
        for _ in range(100):
            try:
                if d.call("GET", "/status").get("ready"):
                    break
            except Exception:
                pass
            time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1100", "--lang=zh-CN"]
        os.makedirs(a.downloads, exist_ok=True)
        prefs = {"download.default_directory": os.path.abspath(a.downloads), "download.prompt_for_download": False}
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": a.chromium, "args": args, "prefs": prefs}}}}
        d.sid = d.call("POST", "/session", caps)["sessionId"]
        out = {}
        sign_in(d, a.url, a.user, a.password)
        out["overview_headline"] = d.text("#headline")
        out["data_as_of"] = d.text("#data-as-of")
        os.makedirs(a.shots, exist_ok=True)
        out["red_before"] = red_row(d.text("#headline"))
        d.go(a.url + "/findings")
        d.click(f'#f-hall option[value="{a.hall}"]')
        d.click(f'#f-rule option[value="{a.rule}"]')
        d.click("#f-submit")
        out["findings_url"] = d.s("GET", "/url")
        out["count"] = d.text("#count")
        out["table"] = d.text("table")
        d.click(f'a[href*="id={a.id}"]')
        out["detail_url"] = d.s("GET", "/url")
        out["workdays"] = d.text("#workdays")
        out["arithmetic"] = d.text("#arithmetic")
        out["rule"] = d.text("#rule")
        answer_accept_download(d, a, out)
        print(json.dumps(out, ensure_ascii=False))
    finally:
        if d.sid:
            try:
                d.call("DELETE", f"/session/{d.sid}")
            except Exception:
                pass
        cd.terminate()
        try:
            cd.wait(10)
        except subprocess.TimeoutExpired:
            cd.kill()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        print(f"web_browser.py: {e}", file=sys.stderr)
        sys.exit(1)
