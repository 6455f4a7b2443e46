#!/usr/bin/env python3
"""windowwatch against DuckDB, rule by rule: the figures of `windowwatch bench` and
`benches/duckdb_suite.py` side by side, like with like.

Usage:
    compare.py WINDOWWATCH.json DUCKDB.json [--markdown]

Both files carry {"rules": {rule_id: {"rows": n, "seconds": [...], "median": x}}, ...}.
windowwatch's result has two sets of rule times: "rules", each rule alone with the shared as-of
views inlined, and "rules_cached", each rule after the suite has computed its shared views once
("cached_views", taking "materialize_seconds"). The per-rule lines pair them with the DuckDB
run of the same kind:

    DuckDB --mode views   windowwatch "rules"         both inline every view into every rule
    DuckDB --mode cache   windowwatch "rules_cached"  both read the same views, materialized with
                                                      the same columns (--cache-like)
    DuckDB --mode tables  windowwatch "rules_cached"  the nearest: DuckDB materialized every
                                                      view, all columns (not quite the same work)

Each line gives the rows (a difference between the engines is marked loudly), each engine's
median seconds and the ratio windowwatch / DuckDB (below 1: windowwatch is faster). Below the
rules come the sum of those medians, in cache and tables modes the materialization of the views,
and the suite as each engine runs it: windowwatch's materialize_seconds + its rules_cached, against
DuckDB's sum of medians (views mode) or materialize_seconds + its rules (tables, cache). Both
ratios are printed once more in words. --markdown prints the same as a GitHub table.

A windowwatch result from before the view cache (no "rules_cached") is compared on its "rules"
in every mode, its suite being its suite_seconds.

Exit status: 0 when every rule returned the same number of rows on both engines; 1 when any
rule's rows differ, a rule is missing on one side or failed; 2 when a file cannot be read.
Standard library only.
"""

import argparse
import json
import sys


def load(path):
    def fail(msg):
        print(f"compare.py: {path}: {msg}", file=sys.stderr)
        sys.exit(2)

    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except OSError as e:
        fail(e.strerror)
    except json.JSONDecodeError as e:
        fail(f"not JSON ({e})")
    if not isinstance(d, dict) or not isinstance(d.get("rules"), dict):
        fail("no 'rules' object")
    if "rules_cached" in d and not isinstance(d["rules_cached"], dict):
        fail("'rules_cached' is not an object")
    return d


def num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def secs(v):
    return "-" if num(v) is None else f"{v:.4f}"


def ratio(a, b):
    a, b = num(a), num(b)
    if a is None or b is None:
        return "-"
    if b == 0:
        return "inf" if a > 0 else "-"
    return f"{a / b:.2f}"


def add(*xs):
    return None if any(num(x) is None for x in xs) else sum(xs)


def describe(d, name):
    bits = [d.get("engine", name)]
    if d.get("version"):
        bits.append(str(d["version"]))
    for key in ("threads", "target_partitions"):
        if key in d and d[key] is not None:
            bits.append(f"{key} {d[key]}")
    if d.get("mode"):
        bits.append(f"mode {d['mode']}")
    if d.get("fetch"):
        bits.append(f"fetch {d['fetch']}")
    if d.get("memory_limit"):
        bits.append(f"memory_limit {d['memory_limit']}")
    if d.get("scale"):
        bits.append(f"scale {d['scale']}")
    return ", ".join(bits)


def views_list(d):
    """[(name, [columns])] of a cached_views list, or None."""
    cv = d.get("cached_views")
    if not isinstance(cv, list):
        return None
    return [(v.get("name"), list(v.get("columns") or [])) for v in cv if isinstance(v, dict)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("windowwatch", metavar="WINDOWWATCH.json")
    ap.add_argument("duckdb", metavar="DUCKDB.json")
    ap.add_argument("--markdown", action="store_true", help="a GitHub markdown table")
    a = ap.parse_args(argv)
    ww, dk = load(a.windowwatch), load(a.duckdb)

    mode = dk.get("mode") or "views"
    has_cache = isinstance(ww.get("rules_cached"), dict)
    ww_inline = ww["rules"]
    ww_cached = ww["rules_cached"] if has_cache else None
    if mode == "views" or not has_cache:
        ww_rules, ww_label = ww_inline, "each rule alone, shared views inlined (\"rules\")"
    else:
        ww_rules, ww_label = ww_cached, "each rule after the shared views were computed once (\"rules_cached\")"
    dk_label = {
        "views": "views mode: every view inlined into every rule",
        "cache": "cache mode: the views windowwatch caches, with its columns, materialized first",
        "tables": "tables mode: every view materialized first, all columns",
    }.get(mode, f"mode {mode}")

    # Per rule: rows on both sides (and on both windowwatch runs, which must agree too).
    ids = list(ww_rules) + [r for r in dk["rules"] if r not in ww_rules]
    rows, bad = [], []
    both = []  # rules with a median on both sides, for the sum
    for rid in ids:
        w, d = ww_rules.get(rid), dk["rules"].get(rid)
        wr = None if w is None else w.get("rows")
        dr = None if d is None else d.get("rows")
        other = None
        if has_cache and w is not None:
            o = (ww_cached if ww_rules is ww_inline else ww_inline).get(rid)
            other = None if o is None else o.get("rows")
        if w is None or d is None:
            mark = "MISSING in " + ("windowwatch" if w is None else "DuckDB")
        elif num(wr) is None or num(dr) is None:
            mark = "FAILED on " + " and ".join(n for n, x in (("windowwatch", wr), ("DuckDB", dr)) if num(x) is None)
        elif wr != dr:
            mark = f"ROWS DIFFER (windowwatch {wr}, DuckDB {dr})"
        elif has_cache and other != wr:
            mark = f"ROWS DIFFER between windowwatch's inlined and cached runs ({wr} vs {other})"
        else:
            mark = ""
        if mark:
            bad.append(rid)
        wm = None if w is None else w.get("median")
        dm = None if d is None else d.get("median")
        if num(wm) is not None and num(dm) is not None:
            both.append((wm, dm))
        shown = str(wr) if wr == dr and wr is not None else f"{'-' if wr is None else wr} / {'-' if dr is None else dr}"
        rows.append((rid, shown, secs(wm), secs(dm), ratio(wm, dm), mark))

    # The sum of the medians, over the rules both engines ran.
    ws, ds = sum(x for x, _ in both), sum(y for _, y in both)
    n_both = len(both)
    summary = [("rules, sum of medians", "", secs(ws), secs(ds), ratio(ws, ds),
                f"{len(bad)} rule(s) differ" if bad else "")]
    if n_both < len(ids):
        summary[0] = summary[0][:5] + ((summary[0][5] + "; " if summary[0][5] else "") + f"over the {n_both} rules both ran",)

    # The suite as each engine runs it.
    ww_mat = num(ww.get("materialize_seconds")) if has_cache else None
    if has_cache:
        ww_rules_cached = sum(r["median"] for r in ww_cached.values() if num(r.get("median")) is not None)
        ww_suite = add(ww_mat, ww_rules_cached)
        ww_suite_desc = (f"{len(views_list(ww) or [])} shared views computed once ({secs(ww_mat)} s) "
                         f"+ the rules on them ({secs(ww_rules_cached)} s)")
    else:
        ww_suite = num(ww.get("suite_seconds"))
        ww_suite_desc = "the rules, views inlined (sum of medians; a result without a view cache)"
    dk_mat = num(dk.get("materialize_seconds"))
    if mode == "views" or dk_mat is None:
        dk_suite = add(*[r["median"] for r in dk["rules"].values() if num(r.get("median")) is not None]) if dk["rules"] else None
        dk_suite_desc = "every rule with its views inlined (sum of medians)"
    else:
        dk_rules_s = num(dk.get("rules_seconds"))
        dk_suite = add(dk_mat, dk_rules_s)
        what = "the same views, same columns" if mode == "cache" else "every view, all columns"
        dk_suite_desc = f"{what} materialized once ({secs(dk_mat)} s) + the rules on them ({secs(dk_rules_s)} s)"
    if mode != "views" and dk_mat is not None:
        summary.append(("shared views materialized", "", secs(ww_mat), secs(dk_mat), ratio(ww_mat, dk_mat), ""))
    summary.append(("suite as each runs it", "", secs(ww_suite), secs(dk_suite), ratio(ww_suite, dk_suite), ""))

    notes = [f"windowwatch: {describe(ww, 'windowwatch')}", f"DuckDB: {describe(dk, 'duckdb')}"]
    notes.append(f"per rule and their sum: windowwatch {ww_label} vs DuckDB {dk_label}"
                 + ("; like with like" if (mode == "views" or (mode == "cache" and has_cache)) else ""))
    if mode == "tables" and has_cache:
        cached = {n for n, _ in views_list(ww) or []}
        extra = [n for n in (dk.get("materialized") or {}) if n not in cached]
        notes.append("tables mode is not quite like with like per rule: DuckDB materialized every view with all its columns"
                     + (f", also those windowwatch leaves inlined ({', '.join(extra)})" if extra else "")
                     + "; --mode cache is the exact counterpart")
    if mode != "views" and not has_cache:
        notes.append(f"the windowwatch result has no rules_cached (no view cache): its inlined rules are set against "
                     f"DuckDB's {mode} mode")
    notes.append(f"suite as each runs it: windowwatch {ww_suite_desc}; DuckDB {dk_suite_desc}")
    # The floor: one scan of exactly the columns the rules read, on each engine.
    wf, df = ww.get("floor") or {}, dk.get("floor") or {}
    if num(wf.get("seconds")) is not None:
        line = (f"floor (one scan of the {wf.get('columns')} columns the rules read): windowwatch {secs(wf['seconds'])} s, "
                f"its suite {ratio(ww_suite, wf['seconds'])}x it")
        if num(df.get("seconds")) is not None:
            line += f"; DuckDB {secs(df['seconds'])} s, its suite ({mode}) {ratio(dk_suite, df['seconds'])}x it"
        notes.append(line)
    warn = None
    if mode == "cache":
        wv, dv = views_list(ww), views_list(dk)
        if wv is None or dv is None or wv != dv:
            warn = ("DuckDB's cached views are not windowwatch's (run duckdb_suite.py --mode cache --cache-like "
                    f"{a.windowwatch}): {[n for n, _ in dv or []]} vs {[n for n, _ in wv or []]}, or their columns differ")
            notes.append("WARNING: " + warn)
        else:
            notes.append(f"cached on both sides, same columns: {', '.join(n for n, _ in wv)}")
    pair = "views inlined on both sides" if mode == "views" else f"windowwatch rules_cached vs DuckDB {mode} mode" if has_cache else f"windowwatch inlined vs DuckDB {mode} mode"
    verdicts = [
        f"ratio, the rules alone, sum of medians ({pair}): {summary[0][4]} "
        f"(windowwatch {summary[0][2]} s / DuckDB {summary[0][3]} s)",
        f"ratio, the suite as each engine runs it: {summary[-1][4]} "
        f"(windowwatch {summary[-1][2]} s / DuckDB {summary[-1][3]} s)",
        "ratio = windowwatch s / DuckDB s: below 1, windowwatch is faster",
    ]

    head = ("rule", "rows", "windowwatch s", "DuckDB s", "ratio", "")
    if a.markdown:
        print("| " + " | ".join(head[:-1]) + " |")
        print("|" + "|".join([":---"] + ["---:"] * 4) + "|")
        for r in rows:
            flag = f" **⚠ {r[5]}**" if r[5] else ""
            print(f"| `{r[0]}`{flag} | " + " | ".join(r[1:5]) + " |")
        for s in summary:
            flag = f" ({s[5]})" if s[5] else ""
            print(f"| **{s[0]}**{flag} |  | **{s[2]}** | **{s[3]}** | **{s[4]}** |")
        print()
        for n in verdicts + notes:
            print(f"_{n}._  ")
    else:
        w0 = max(len(head[0]), *(len(r[0]) for r in rows + summary))
        widths = [w0] + [max(len(head[i]), *(len(r[i]) for r in rows + summary)) for i in range(1, 5)]

        def line(r):
            cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 5)]
            return ("  ".join(cells) + ("  <<< " + r[5] + " >>>" if r[5] else "")).rstrip()

        print(line(head))
        print("  ".join("-" * w for w in widths))
        for r in rows:
            print(line(r))
        print("  ".join("-" * w for w in widths))
        for s in summary:
            print(line(s))
        print()
        for n in verdicts + notes:
            print(n)
    if warn:
        print(f"compare.py: warning: {warn}", file=sys.stderr)
    if bad:
        print(f"compare.py: rows differ for {len(bad)} rule(s): {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
