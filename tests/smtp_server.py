"""A real SMTP server on loopback for windowwatch's delivery tests (aiosmtpd).

It exists so the tests talk to a real SMTP implementation over a real socket (plain, STARTTLS or
implicit TLS, with AUTH), not to a mock of lettre. Started by tests/cli/deliver.rs with the Python
that `scripts/test` installs (WINDOWWATCH_TEST_PYTHON).

    python smtp_server.py --mode plain|starttls|tls --dir OUT [--cert C --key K]
                          [--user U --password P] [--rules RULES.json]

It binds 127.0.0.1 on a free port and prints `READY <port>` once it accepts connections.

Every accepted message is saved as OUT/NNNNNN.eml (the raw bytes as received) plus
OUT/NNNNNN.json (envelope: mail_from, rcpt_tos, the AUTH login, whether TLS was on); the .json is
written last, atomically, so a reader that sees it sees the whole message.

RULES.json is re-read at every RCPT and DATA, so a test can change it between runs. It maps a
recipient address to a rule:

    {"bad@x.cn":   {"reply": "550 5.1.1 <bad@x.cn>: user unknown"},
     "flaky@x.cn": {"reply": "451 4.3.0 try again later", "times": 2},
     "slow@x.cn":  {"delay": 30},
     "late@x.cn":  {"reply": "451 4.3.0 queue full", "at": "data"}}

`reply` is answered to RCPT (or to DATA with "at": "data") for the first `times` attempts for that
address (every attempt when `times` is absent); `delay` makes the server sit on RCPT for that many
seconds (and writes OUT/delaying-<addr> first, so a test knows the client is waiting there).
OUT/attempts.jsonl logs every RCPT with the answer given.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["plain", "starttls", "tls"], default="plain")
    p.add_argument("--dir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--rules")
    return p.parse_args()


class Handler:
    def __init__(self, args):
        self.args = args
        self.out = args.dir
        self.seq = 0
        self.attempts = {}

    def rules(self):
        if not self.args.rules or not os.path.exists(self.args.rules):
            return {}
        with open(self.args.rules, encoding="utf-8") as f:
            return json.load(f)

    def log(self, entry):
        with open(os.path.join(self.out, "attempts.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        n = self.attempts.get(key, 0) + 1
        self.attempts[key] = n
        rule = self.rules().get(key)
        answer = "250 OK"
        if rule:
            if "delay" in rule:
                open(os.path.join(self.out, "delaying-" + key), "w").close()
                await asyncio.sleep(float(rule["delay"]))
            if rule.get("at", "rcpt") == "rcpt" and "reply" in rule:
                times = rule.get("times")
                if times is None or n <= int(times):
                    answer = rule["reply"]
        self.log({"rcpt": key, "attempt": n, "answer": answer})
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server, session, envelope):
        for addr in envelope.rcpt_tos:
            rule = self.rules().get(addr.lower())
            if rule and rule.get("at") == "data" and "reply" in rule:
                key = "data:" + addr.lower()
                n = self.attempts.get(key, 0) + 1
                self.attempts[key] = n
                times = rule.get("times")
                if times is None or n <= int(times):
                    self.log({"data": addr.lower(), "attempt": n, "answer": rule["reply"]})
                    return rule["reply"]
        self.seq += 1
        base = os.path.join(self.out, "%06d" % self.seq)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(base + ".eml.tmp", base + ".eml")
        auth = session.auth_data
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
            "tls": session.ssl is not None or self.args.mode == "tls",
        }
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(meta, f, ensure_ascii=False)
        os.replace(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Ok: queued as WW%06d" % self.seq


def authenticator(args):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and args.user is not None
            and auth_data.login.decode() == args.user
            and auth_data.password.decode() == (args.password or "")
        )
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return check


async def main():
    args = parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args)
    ctx = None
    if args.mode in ("starttls", "tls"):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
    kwargs = dict(hostname="mail.test.local", ident="windowwatch-test-smtp")
    if args.user:
        kwargs["authenticator"] = authenticator(args)
        kwargs["auth_required"] = True
        # Implicit TLS is TLS from the first byte (aiosmtpd cannot tell); plain is loopback only.
        kwargs["auth_require_tls"] = args.mode == "starttls"
    if args.mode == "starttls":
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = True
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, loop=loop, **kwargs),
        host="127.0.0.1",
        port=0,
        ssl=ctx if args.mode == "tls" else None,
    )
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    # Exit when the test closes our stdin (or dies), so no server outlives its test.
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
