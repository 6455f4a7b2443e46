#!/usr/bin/env python3
"""A bounded load test of the browser workspace (`windowwatch serve-web`), stdlib only: N sessions
(default 50) sign in, then each views pages in a loop — the overview, the findings list, the red
findings, a finding's detail, the register — for D seconds (default 60) on loopback. Prints the
page times (median, 95th percentile, max per page), the pages per second, and every error; exits
non-zero on any error (a status other than 200, a refused connection, a timeout).

  benches/web_load.py --url http://127.0.0.1:8080 --user NAME --password PW
                      [--sessions 50] [--seconds 60] [--json]

A benchmark, not a test: run it against a server on a warehouse of the size to measure (README:
`windowwatch bench --scale medium`, then `serve-web` on its data folder).
"""

import argparse
import http.cookiejar
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request


def opener():
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def sign_in(url, user, password):
    o = opener()
    page = o.open(url + "/login", timeout=60).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf": csrf, "name": user, "password": password}).encode()
    try:
        o.open(url + "/login", data=body, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code != 303:
            raise RuntimeError(f"sign-in: {e.code}") from None
    return o


def pages(url, o):
    """The pages a session views: a finding's detail found on the red list."""
    red = o.open(url + "/findings?severity=red", timeout=60).read().decode()
    m = re.search(r'href="(/finding\?[^"]+)"', red)
    detail = m.group(1).replace("&amp;", "&") if m else "/findings"
    return [("overview", "/"), ("findings", "/findings"), ("red", "/findings?severity=red"), ("detail", detail), ("register", "/register")]


def worker(url, o, plan, until, times, errors, lock):
    i = 0
    while time.monotonic() < until:
        name, path = plan[i % len(plan)]
        i += 1
        t = time.monotonic()
        try:
            with o.open(url + path, timeout=120) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception as e:  # a refused connection, a timeout
            status = repr(e)
        dt = time.monotonic() - t
        with lock:
            if status == 200:
                times.setdefault(name, []).append(dt)
            else:
                errors.append((name, path, status))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    sessions = [sign_in(a.url, a.user, a.password) for _ in range(a.sessions)]
    plan = pages(a.url, sessions[0])
    times, errors, lock = {}, [], threading.Lock()
    start = time.monotonic()
    until = start + a.seconds
    threads = []
    for k, o in enumerate(sessions):
        rotated = plan[k % len(plan):] + plan[:k % len(plan)]
        t = threading.Thread(target=worker, args=(a.url, o, rotated, until, times, errors, lock))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    out = {"sessions": a.sessions, "seconds": round(elapsed, 1), "pages": sum(len(v) for v in times.values()), "errors": len(errors), "per_page": {}}
    out["pages_per_second"] = round(out["pages"] / elapsed, 1)
    for name, v in sorted(times.items()):
        v.sort()
        out["per_page"][name] = {"n": len(v), "median_ms": round(statistics.median(v) * 1000), "p95_ms": round(v[int(0.95 * (len(v) - 1))] * 1000), "max_ms": round(v[-1] * 1000)}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{out['sessions']} sessions, {out['seconds']} s: {out['pages']} pages ({out['pages_per_second']}/s), {out['errors']} errors")
        print(f"{'page':<10}{'n':>7}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
        for name, p in out["per_page"].items():
            print(f"{name:<10}{p['n']:>7}{p['median_ms']:>11}{p['p95_ms']:>9}{p['max_ms']:>9}")
    for e in errors[:20]:
        print("error:", *e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
