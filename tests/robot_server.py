"""A group-chat robot on loopback for windowwatch's robot tests (Python standard library only).

It exists so the tests post over a real socket to something that checks what WeCom (企业微信)
and DingTalk (钉钉) check, not to a mock of the HTTP client. Started by tests/cli/robots.rs.

    python robot_server.py --dir OUT [--secret SECRET] [--rules RULES.json]

It binds 127.0.0.1 on a free port and prints `READY <port>` once it accepts connections.

- POST /cgi-bin/webhook/send?key=K   is a WeCom robot: the body must be
  {"msgtype": "markdown", "markdown": {"content": <str of at most 4096 UTF-8 bytes>}}.
- POST /robot/send?access_token=T    is a DingTalk robot: the body must be
  {"msgtype": "markdown", "markdown": {"title": <str>, "text": <str>}}; with --secret, the query
  must carry `timestamp` (ms, within an hour of now) and `sign` =
  base64(HmacSHA256(key=secret, msg=timestamp + "\n" + secret)), as DingTalk documents.

Every POST is saved as OUT/NNNNNN.json: the path, the query, the parsed body (or the raw text),
the problems found and the answer given. A payload with a problem is answered as the vendors do,
HTTP 200 with a non-zero errcode.

RULES.json is re-read at every POST, so a test can change it between runs. It maps a robot's key
(the WeCom `key` or the DingTalk `access_token`) to the answer to give:

    {"K1": {"errcode": 93000, "errmsg": "invalid webhook url"},
     "K2": {"status": 502}}
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--secret")
    p.add_argument("--rules")
    return p.parse_args()


ARGS = parse_args()
LOCK = threading.Lock()
SEQ = [0]


def rules():
    if not ARGS.rules or not os.path.exists(ARGS.rules):
        return {}
    with open(ARGS.rules, encoding="utf-8") as f:
        return json.load(f)


def check_wecom(body):
    problems = []
    md = body.get("markdown") if isinstance(body, dict) else None
    if not isinstance(body, dict) or body.get("msgtype") != "markdown" or not isinstance(md, dict):
        return ["not a markdown message"]
    if set(md) != {"content"}:
        problems.append(f"markdown keys {sorted(md)} (WeCom takes content only)")
    content = md.get("content")
    if not isinstance(content, str) or not content.strip():
        problems.append("markdown.content is not a non-empty string")
    elif len(content.encode("utf-8")) > 4096:
        problems.append("markdown.content is longer than 4096 bytes")
    return problems


def check_dingtalk(body, query):
    problems = []
    md = body.get("markdown") if isinstance(body, dict) else None
    if not isinstance(body, dict) or body.get("msgtype") != "markdown" or not isinstance(md, dict):
        return ["not a markdown message"]
    for k in ("title", "text"):
        if not isinstance(md.get(k), str) or not md[k].strip():
            problems.append(f"markdown.{k} is not a non-empty string")
    if ARGS.secret:
        ts, sign = query.get("timestamp"), query.get("sign")
        if not ts or not sign:
            problems.append("signed robot: timestamp and sign missing")
        else:
            if abs(int(ts) - time.time() * 1000) > 3600 * 1000:
                problems.append("timestamp more than an hour off")
            mac = hmac.new(ARGS.secret.encode(), f"{ts}\n{ARGS.secret}".encode(), hashlib.sha256).digest()
            if sign != base64.b64encode(mac).decode():
                problems.append("sign does not match")
    return problems


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        if url.path == "/cgi-bin/webhook/send":
            kind, key = "wecom", query.get("key")
            problems = check_wecom(body)
        elif url.path == "/robot/send":
            kind, key = "dingtalk", query.get("access_token")
            problems = check_dingtalk(body, query)
        else:
            kind, key, problems = "?", None, [f"no robot at {url.path}"]
        if "json" not in (self.headers.get("Content-Type") or ""):
            problems.append("Content-Type is not JSON")
        rule = rules().get(key or "", {})
        if problems:
            status, reply = 200, {"errcode": 40035, "errmsg": "; ".join(problems)}
        elif "status" in rule:
            status, reply = rule["status"], {"errcode": -1, "errmsg": "system busy"}
        elif rule:
            status, reply = 200, {"errcode": rule.get("errcode", 1), "errmsg": rule.get("errmsg", "refused")}
        else:
            status, reply = 200, {"errcode": 0, "errmsg": "ok"}
        with LOCK:
            SEQ[0] += 1
            seq = SEQ[0]
        record = {"kind": kind, "key": key, "path": url.path, "query": query, "body": body if body is not None else raw.decode("utf-8", "replace"),
                  "problems": problems, "status": status, "reply": reply}
        tmp = os.path.join(ARGS.dir, f".{seq:06d}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(tmp, os.path.join(ARGS.dir, f"{seq:06d}.json"))
        self.answer(status, reply)


def main():
    os.makedirs(ARGS.dir, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"READY {server.server_address[1]}", flush=True)
    # Stop when the test closes our stdin (or dies).
    threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
