#!/usr/bin/env python3
"""The DuckDB side of the windowwatch benchmark: the same rules, as the same SQL, on the same Parquet.

windowwatch renders its as-of views and rules as plain SQL (`windowwatch rules --render DIR
--as-of T`, or `windowwatch bench`, which writes DIR/sql). This script runs exactly those files
on DuckDB over the warehouse snapshot windowwatch reads, rule by rule, timed the way
`windowwatch bench` times them (each rule `--repeat` times, result fully materialized, the
rule's time the median, the suite the sum of the medians), and writes the figures as JSON for
`benches/compare.py`.

Usage:
    duckdb_suite.py --warehouse SNAPSHOT_DIR --sql RENDERED_DIR [--threads N]
                    [--memory-limit 2GB] [--repeat N] [--mode views|tables|cache]
                    [--cache-like WINDOWWATCH.json]
                    [--fetch table|python|arrow] [--check-findings FILE.jsonl] --json OUT.json

SNAPSHOT_DIR holds tickets/ cases/ ratings/ denials/ (*.parquet each); a warehouse folder with
a current/ snapshot inside is accepted too. RENDERED_DIR holds manifest.json, views/, rules/
and calendar_days.parquet.

--mode views (default): the manifest's views stay views, so DuckDB inlines them into every rule
    (as windowwatch's DataFusion session does today).
--mode tables: each manifest view is materialized once (CREATE TEMP TABLE ... AS) before the
    rules are timed; that time is reported as materialize_seconds and included in suite_seconds
    (rules_seconds is the sum of the rule medians alone).
--mode cache --cache-like WINDOWWATCH.json: what windowwatch's check suite does. Its bench result
    lists in "cached_views" the shared views it computes once per run and the columns it keeps
    (those its rules name); DuckDB materializes exactly those views with exactly those columns
    (CREATE TEMP TABLE ... AS SELECT <columns> FROM <view>), the other views staying views, and
    then times the rules. DuckDB re-binds a view by name at every query, so all listed views are
    first materialized from the original views (as windowwatch computes each from the original
    definitions), and only then are the views dropped (in reverse order) and the tables renamed
    to their names, for the rules to read. That whole step is materialize_seconds, included in
    suite_seconds as in tables mode.
--fetch: how a rule's result is materialized inside the timed region.
    table  (default) CREATE TEMP TABLE ... AS <rule>: every column of every row computed and
           stored in DuckDB's columnar memory, no conversion to Python objects: the nearest
           analogue of DataFusion's collect() into Arrow batches, with the least overhead and no
           dependency beyond duckdb.
    python con.execute(<rule>).fetchall(): rows as Python tuples (adds per-value object cost).
    arrow  con.sql(<rule>).to_arrow_table(): needs pyarrow, which duckdb does not install.
--floor WINDOWWATCH.json: the floor. windowwatch's bench lists under "floor" the columns of each
    warehouse table its rules read (the scans of their optimized plans); DuckDB reads exactly those
    once (CREATE TEMP TABLE ... AS SELECT <columns> FROM <table>, as a rule's result is fetched),
    `--repeat` times, the median counting, and the suite is given as a multiple of that scan.
--check-findings FILE.jsonl: windowwatch's findings for the same warehouse and instant (`check
    --format jsonl --no-record`, or bench's findings.jsonl). Per rule, the multiset of
    (entity_id, month, due_at, hall_id, window_id, staff_id) DuckDB returns must equal
    windowwatch's; the first mismatches are printed and the exit status is 1 if any rule differs.
    `detail` is compared too and reported, but a detail difference alone does not fail.

Exit status: 0 ok; 1 a rule failed or differs from the findings; 2 bad arguments or inputs.

Tested with duckdb 2.0.1 (PyPI) on CPython 3.11; needs nothing but duckdb and the standard
library (pyarrow only for --fetch arrow):
    python3 -m venv /tmp/duckvenv && /tmp/duckvenv/bin/pip install duckdb==2.0.1
duckdb 1.4.2 and 1.5.6 return the same findings, but plan case_deadlines' LEFT JOINs (ON
w.is_workday AND <a condition on the left side only> AND w.workday_seq = <left expression>) as
a BLOCKWISE_NL_JOIN instead of a hash join: some 35-50 s for 250k cases, against 0.2 s on 2.0.1.
So use 2.x; a 1.x run prints a warning.
"""

import argparse
import collections
import datetime
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time

try:
    import duckdb
except ImportError:  # pragma: no cover
    sys.exit("duckdb_suite.py: the duckdb package is not installed (pip install duckdb)")

# The warehouse tables the as-of views read. Other warehouse tables (findings, rates,
# check_runs, ingests, ...) are windowwatch's own logs; no rule reads them, so the views over
# them (latest_findings, latest_rates) are skipped when their tables are missing.
BASE_TABLES = ["tickets", "cases", "ratings", "denials", "halls", "windows", "staff", "inspections", "complaints", "attendance"]

# The reference tables (supervision.md) the roster rules read. windowwatch registers a table
# without files as an empty table of its schema; so does this script, for these three, so the
# roster rules run (and agree) on a warehouse that never ingested them.
EMPTY_SCHEMAS = {
    "halls": "hall_id VARCHAR, hall_name VARCHAR, district VARCHAR, leader_name VARCHAR, leader_email VARCHAR",
    "windows": "hall_id VARCHAR, window_id VARCHAR, window_name VARCHAR, a_staff_id VARCHAR, b_staff_id VARCHAR",
    "staff": "staff_id VARCHAR, staff_name VARCHAR, hall_id VARCHAR, employment VARCHAR",
    # The supervisors' records (supervision.md), for the record rules, with the lineage columns
    # the as-of views read.
    "inspections": "inspection_id VARCHAR, hall_id VARCHAR, window_id VARCHAR, staff_id VARCHAR, inspected_at TIMESTAMP, kind VARCHAR, "
    "inspector VARCHAR, violation BOOLEAN, item VARCHAR, description VARCHAR, rectify_by DATE, rectified_at TIMESTAMP, "
    "_ingest_id BIGINT, _source VARCHAR, _line BIGINT",
    "complaints": "complaint_id VARCHAR, hall_id VARCHAR, window_id VARCHAR, staff_id VARCHAR, received_at TIMESTAMP, channel VARCHAR, "
    "level VARCHAR, substantiated BOOLEAN, replied_at TIMESTAMP, result_notified_at TIMESTAMP, _ingest_id BIGINT, _source VARCHAR, _line BIGINT",
    "attendance": "staff_id VARCHAR, month VARCHAR, late_early BIGINT, personal_leave_days DOUBLE, sick_leave_days DOUBLE, "
    "_ingest_id BIGINT, _source VARCHAR, _line BIGINT",
}

# ---------------------------------------------------------------------------------------------
# DataFusion SQL -> DuckDB SQL. This table is the whole translation: what "the same SQL" means.
# Each entry is (DataFusion pattern, DuckDB replacement, why). Rewrites apply to code only, never
# inside string literals or comments; the table is written into the result JSON as well.
TRANSLATIONS = [
    # to_char(ts|date, '<chrono format>') -> strftime(ts|date, '<format>'). DuckDB's to_char does
    # not exist; its strftime takes DATE and TIMESTAMP and the same %Y %m %d %H %M %S (checked
    # by FORMAT_OK below: any other specifier is refused rather than trusted).
    (r"\bto_char\s*\(", "strftime(", "to_char(x, fmt) is strftime(x, fmt) in DuckDB"),
]
# Constructs the rendered files use that DuckDB already reads the same way, checked on the
# rendered rules and against windowwatch's findings (--check-findings), so left as they are:
#   TIMESTAMP '2026-11-01 00:00:00' literals (timestamp without time zone, as the Parquet is)
#   INTERVAL '86399 seconds' / '24 hours' / '30 minutes' / '15 days' / '1 month'
#   CAST(ts AS DATE); CAST(date AS TIMESTAMP) + INTERVAL; CAST(date + INTERVAL '15 days' AS
#     TIMESTAMP) (DuckDB's date + interval is a TIMESTAMP, DataFusion's a DATE: same instant
#     once cast)
#   date_trunc('month', ts) (a TIMESTAMP in both); CAST(date_part('year'|'month', ts) AS BIGINT)
#   concat(...) (NULL arguments skipped in both); CAST(n AS VARCHAR) (SUM is HUGEINT in DuckDB,
#     Int64 in DataFusion: same digits)
#   COALESCE(<boolean expr>, false); x IN (...) / NOT IN; NOT EXISTS (correlated)
#   RANK() / COUNT(*) / MAX() OVER (PARTITION BY ... ORDER BY ...)
#   CAST(a AS DOUBLE) / CAST(b AS DOUBLE) (the files have no integer '/': DataFusion's is integer
#     division, DuckDB's float division, so one would need '//' here)
#   a CTE named like the table alias inside it (WITH c AS (SELECT c.* FROM cases_at c))
FORMAT_OK = re.compile(r"^(?:[^%]|%[YmdHMS%])*$")
STRFTIME_ARG = re.compile(r"\bstrftime\s*\((?:[^()']|\([^()]*\))*?,\s*'((?:[^']|'')*)'\s*\)")


class SuiteError(Exception):
    """An input or a statement that cannot be run; the message names the file."""


def split_code(sql):
    """(kind, text) pieces of `sql`, kind "code", "str" (a '...' literal) or "comment" (-- ...)."""
    out, i = [], 0
    for m in re.finditer(r"'(?:[^']|'')*'|--[^\n]*", sql):
        if m.start() > i:
            out.append(("code", sql[i:m.start()]))
        out.append(("str" if m.group(0).startswith("'") else "comment", m.group(0)))
        i = m.end()
    if i < len(sql):
        out.append(("code", sql[i:]))
    return out


def without_comments(sql, literals=True):
    """`sql` less its comments (and its string literals' contents unless `literals`)."""
    return "".join(t if k == "code" or (k == "str" and literals) else ("''" if k == "str" else " ")
                   for k, t in split_code(sql))


def translate(sql, where):
    """DataFusion SQL of the rendered file `where` -> DuckDB SQL (see TRANSLATIONS)."""
    pieces = []
    for kind, text in split_code(sql):
        if kind == "code":
            for pat, rep, _why in TRANSLATIONS:
                text = re.sub(pat, rep, text, flags=re.I)
        pieces.append(text)
    out = "".join(pieces).strip()
    while out.endswith(";"):
        out = out[:-1].rstrip()
    code = without_comments(out)
    formats = STRFTIME_ARG.findall(code)
    if len(formats) != len(re.findall(r"\bstrftime\s*\(", code, re.I)):
        raise SuiteError(f"{where}: a to_char/strftime whose format is not a plain literal second argument: "
                         "its specifiers cannot be checked")
    for fmt in formats:
        if not FORMAT_OK.match(fmt):
            raise SuiteError(f"{where}: format '{fmt}' has a specifier other than %Y %m %d %H %M %S, "
                             "whose chrono and DuckDB meanings are not known to agree")
    return out


# ---------------------------------------------------------------------------------------------


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise SuiteError(f"cannot read {path}: {e.strerror}") from None


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def snapshot_dir(path):
    """The snapshot folder: `path` itself, or path/current for a warehouse folder."""
    if not os.path.isdir(path):
        raise SuiteError(f"--warehouse {path}: no such folder")
    if not any(os.path.isdir(os.path.join(path, t)) for t in BASE_TABLES) and os.path.isdir(os.path.join(path, "current")):
        return os.path.join(path, "current")
    return path


def load_manifest(sql_dir):
    p = os.path.join(sql_dir, "manifest.json")
    try:
        m = json.loads(read_text(p))
    except json.JSONDecodeError as e:
        raise SuiteError(f"{p}: not JSON ({e})") from None
    for key in ("views", "rules"):
        if not isinstance(m.get(key), list):
            raise SuiteError(f"{p}: no '{key}' list")
    return m


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def median(xs):
    """The median as windowwatch bench takes it: the middle of the sorted times (upper middle
    for an even count)."""
    s = sorted(xs)
    return s[len(s) // 2]


def fmt_ts(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        return s + (f".{v.microsecond:06d}" if v.microsecond else "")
    if isinstance(v, datetime.date):
        return v.strftime("%Y-%m-%d") + " 00:00:00"
    return str(v).replace("T", " ")


def norm_ww_ts(v):
    """windowwatch's "YYYY-MM-DD HH:MM:SS[.ffffff]" (or an ISO 'T' form) the way fmt_ts writes it;
    "" and null are both NULL."""
    if v is None or v == "":
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?$", str(v))
    if not m:
        return str(v)
    frac = (m.group(3) or "").ljust(6, "0")[:6]
    return f"{m.group(1)} {m.group(2)}" + (f".{frac}" if int(frac or "0") else "")


KEY_FIELDS = ("entity_id", "month", "due_at", "hall_id", "window_id", "staff_id")
RESULT_COLUMNS = ("hall_id", "window_id", "staff_id", "entity_id", "due_at", "month", "detail")


def opt_str(v):
    return None if v is None else str(v)


def load_findings(path):
    by_rule = collections.defaultdict(list)
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise SuiteError(f"--check-findings {path}: {e.strerror}") from None
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except json.JSONDecodeError as e:
                raise SuiteError(f"{path}:{n}: not JSON ({e})") from None
            if "rule" not in o:
                raise SuiteError(f"{path}:{n}: no 'rule' field")
            key = (opt_str(o.get("entity_id")), opt_str(o.get("month")), norm_ww_ts(o.get("due_at")),
                   opt_str(o.get("hall_id")), opt_str(o.get("window_id")), opt_str(o.get("staff_id")))
            by_rule[o["rule"]].append((key, o.get("detail")))
    return by_rule


def duck_rows(con, sql):
    """The rule's rows as (key, detail), key in KEY_FIELDS order, values normalised like the
    windowwatch side."""
    cols = ", ".join(RESULT_COLUMNS)
    rows = con.execute(f"SELECT {cols} FROM (\n{sql}\n) AS rule_result").fetchall()
    out = []
    for hall, window, staff, entity, due, month, detail in rows:
        key = (opt_str(entity), opt_str(month), fmt_ts(due), opt_str(hall), opt_str(window), opt_str(staff))
        out.append((key, detail))
    return out


def compare_rule(rule_id, duck, ww, show):
    """Mismatch lines for one rule (empty when equal), and the number of detail differences."""
    dk = collections.Counter(k for k, _ in duck)
    wk = collections.Counter(k for k, _ in ww)
    lines = []
    if dk != wk:
        only_d = dk - wk
        only_w = wk - dk
        lines.append(f"{rule_id}: DuckDB {len(duck)} rows, windowwatch {len(ww)}; "
                     f"{sum(only_d.values())} only in DuckDB, {sum(only_w.values())} only in windowwatch")
        fields = ", ".join(KEY_FIELDS)
        for k, n in list(only_d.items())[:show]:
            lines.append(f"  only DuckDB      ({fields}) = {k}" + (f" x{n}" if n > 1 else ""))
        for k, n in list(only_w.items())[:show]:
            lines.append(f"  only windowwatch ({fields}) = {k}" + (f" x{n}" if n > 1 else ""))
    dd = collections.Counter(duck)
    wd = collections.Counter(ww)
    detail_diff = sum((dd - wd).values()) if dk == wk else 0
    return lines, detail_diff


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", required=True, help="the snapshot folder (tickets/ cases/ ratings/ denials/), or a warehouse folder with current/")
    ap.add_argument("--sql", required=True, help="the rendered folder (manifest.json, views/, rules/, calendar_days.parquet)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="DuckDB threads (default: os.cpu_count())")
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 2GB (default: DuckDB's own, 80%% of RAM)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per rule; its time is the median (default 3)")
    ap.add_argument("--mode", choices=["views", "tables", "cache"], default="views")
    ap.add_argument("--cache-like", metavar="WINDOWWATCH.json",
                    help="with --mode cache: windowwatch's bench result, whose cached_views DuckDB materializes")
    ap.add_argument("--fetch", choices=["table", "python", "arrow"], default="table", help="how a result is materialized (see above)")
    ap.add_argument("--check-findings", metavar="FILE.jsonl", help="windowwatch's findings to prove the results equal")
    ap.add_argument("--floor", metavar="WINDOWWATCH.json",
                    help="also time one scan of exactly the columns windowwatch's rules read (its \"floor\" tables)")
    ap.add_argument("--show", type=int, default=5, help="mismatching rows printed per rule (default 5)")
    ap.add_argument("--json", required=True, metavar="OUT.json", help="where the results go")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    a = ap.parse_args(argv)
    if a.repeat < 1 or a.threads < 1:
        ap.error("--repeat and --threads must be at least 1")
    if (a.mode == "cache") != (a.cache_like is not None):
        ap.error("--mode cache needs --cache-like WINDOWWATCH.json, and --cache-like needs --mode cache")
    try:
        return run(a)
    except SuiteError as e:
        print(f"duckdb_suite.py: {e}", file=sys.stderr)
        return 2


def run(a):
    say = (lambda *m: None) if a.quiet else (lambda *m: print("duckdb:", *m, file=sys.stderr))
    snap = snapshot_dir(a.warehouse)
    manifest = load_manifest(a.sql)
    calendar = os.path.join(a.sql, "calendar_days.parquet")
    if not os.path.isfile(calendar):
        raise SuiteError(f"{calendar}: no such file")
    # Every file is read and translated before anything is timed, so a bad input fails early.
    views = []
    for v in manifest["views"]:
        path = os.path.join(a.sql, v["file"])
        views.append((v["name"], path, translate(read_text(path), path)))
    rules = []
    for r in manifest["rules"]:
        path = os.path.join(a.sql, r["file"])
        rules.append((r["id"], path, translate(read_text(path), path)))
    if a.fetch == "arrow":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise SuiteError("--fetch arrow needs pyarrow (pip install pyarrow), which duckdb does not bring") from None
    findings = load_findings(a.check_findings) if a.check_findings else None
    cache_spec = load_cache_like(a.cache_like, [v[0] for v in views]) if a.mode == "cache" else None

    if int(duckdb.__version__.split(".")[0]) < 2:
        print(f"duckdb_suite.py: warning: duckdb {duckdb.__version__}: 1.x plans case_deadlines' LEFT JOINs as nested "
              "loops (tens of seconds per time_limit rule); the figures are for 2.x (see the docstring)", file=sys.stderr)
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(a.threads)}")
    spill = None
    if a.memory_limit:
        try:
            con.execute(f"SET memory_limit = {sql_str(a.memory_limit)}")
        except duckdb.Error as e:
            raise SuiteError(f"--memory-limit {a.memory_limit}: {e}") from None
        spill = tempfile.mkdtemp(prefix="duckdb-suite-spill-")
        con.execute(f"SET temp_directory = {sql_str(spill)}")
    try:
        return suite(a, say, con, snap, calendar, views, rules, findings, manifest, cache_spec)
    finally:
        con.close()
        if spill:
            shutil.rmtree(spill, ignore_errors=True)


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def load_cache_like(path, view_names):
    """[(view, [columns])] from windowwatch's bench result: its "cached_views", in creation order."""
    try:
        d = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise SuiteError(f"--cache-like {path}: not JSON ({e})") from None
    cv = d.get("cached_views") if isinstance(d, dict) else None
    if not isinstance(cv, list):
        raise SuiteError(f"--cache-like {path}: no 'cached_views' list (a windowwatch bench result from before the view cache?)")
    out, seen = [], set()
    for i, v in enumerate(cv):
        name = v.get("name") if isinstance(v, dict) else None
        cols = v.get("columns") if isinstance(v, dict) else None
        if not isinstance(name, str) or not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
            raise SuiteError(f"--cache-like {path}: cached_views[{i}] has no name or no list of column names")
        if name not in view_names:
            raise SuiteError(f"--cache-like {path}: cached view {name} is not a view of the rendered manifest")
        if name in seen:
            raise SuiteError(f"--cache-like {path}: cached view {name} listed twice")
        seen.add(name)
        out.append((name, cols, v.get("bytes")))
    return out


def cache_views(con, say, views, skipped, cache_spec):
    """Materializes the cached views as windowwatch does; returns (seconds, per-view figures).

    Phase 1 creates every table from the original views (a later view may read an earlier one
    with columns the cache drops); phase 2 drops the views, last first, and renames each table to
    its view's name, so the rules (and any view left a view) read the tables."""
    cached = {name for name, _, _ in cache_spec}
    for name, _cols, _ in cache_spec:
        if name in skipped:
            raise SuiteError(f"cached view {name} could not be created: {skipped[name]['reason']}")
    # A view left a view that reads a cached one would, once the names are swapped, read the
    # narrowed table, where windowwatch (whose views hold their plans) reads the original.
    for vname, path, sql in views:
        if vname in cached or vname in skipped:
            continue
        reads = [c for c in cached if re.search(rf"\b{re.escape(c)}\b", without_comments(sql, literals=False), re.I)]
        if reads:
            # Left a view, it would read the narrowed table(s) once the names are swapped, where
            # windowwatch reads the original: it is dropped and marked skipped, so a rule that
            # needs it fails by name (no rule the cache was made for reads it).
            reason = (f"not cached but reads cached view(s) {', '.join(reads)}: DuckDB would re-bind it "
                      "to the narrowed table(s), windowwatch does not")
            say(f"warning: view {vname} ({path}) {reason}; dropped")
            con.execute(f"DROP VIEW IF EXISTS {quote_ident(vname)}")
            skipped[vname] = {"file": path, "reason": reason}
    figures = {}
    t0 = time.perf_counter()
    for name, cols, ww_bytes in cache_spec:
        tmp = f"__windowwatch_cache_{name}"
        stmt = f"CREATE TEMP TABLE {quote_ident(tmp)} AS SELECT {', '.join(quote_ident(c) for c in cols)} FROM {quote_ident(name)}"
        try:
            secs = timed(lambda: con.execute(stmt))
        except duckdb.Error as e:
            raise SuiteError(f"cached view {name}: {str(e).splitlines()[0]}") from None
        figures[name] = {"seconds": secs, "columns": cols, "windowwatch_bytes": ww_bytes}
    for name, _, _ in reversed(cache_spec):
        con.execute(f"DROP VIEW {quote_ident(name)}")
    for name, _, _ in cache_spec:
        con.execute(f"ALTER TABLE temp.main.{quote_ident('__windowwatch_cache_' + name)} RENAME TO {quote_ident(name)}")
    total = time.perf_counter() - t0
    for name in figures:
        figures[name]["rows"] = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()[0]
        # The table is what the name now resolves to, not the dropped view.
        kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
        if [k for (k,) in kind] != ["LOCAL TEMPORARY"]:
            raise SuiteError(f"cached view {name}: after the swap the name resolves to {kind}, not the temporary table")
        say(f"cached {name}: {figures[name]['rows']} rows x {len(figures[name]['columns'])} columns in {figures[name]['seconds']:.3f} s")
    return total, figures


def time_floor(a, say, con):
    """One read of exactly the columns windowwatch's rules read, per table, `repeat` times."""
    try:
        with open(a.floor, encoding="utf-8") as f:
            tables = (json.load(f).get("floor") or {}).get("tables") or {}
    except (OSError, json.JSONDecodeError) as e:
        raise SuiteError(f"--floor {a.floor}: {e}") from None
    times, rows = [], 0
    for _ in range(max(1, a.repeat)):
        secs, rows = 0.0, 0
        for table, cols in tables.items():
            stmt = f"CREATE TEMP TABLE __floor AS SELECT {', '.join(quote_ident(c) for c in cols)} FROM {quote_ident(table)}"
            secs += timed(lambda: con.execute(stmt))
            rows += con.execute("SELECT count(*) FROM __floor").fetchone()[0]
            con.execute("DROP TABLE __floor")
        times.append(secs)
    return {"tables": tables, "columns": sum(len(c) for c in tables.values()), "rows": rows, "seconds": median(times), "all_seconds": times}


def suite(a, say, con, snap, calendar, views, rules, findings, manifest, cache_spec=None):
    # 1. The warehouse tables as views over their Parquet (read at every query, as windowwatch's
    #    ListingTables are), the calendar in memory (windowwatch holds it in a MemTable).
    t_load = time.perf_counter()
    missing_tables = []
    for t in BASE_TABLES:
        d = os.path.join(snap, t)
        if not (os.path.isdir(d) and any(f.endswith(".parquet") for f in os.listdir(d))):
            if t in EMPTY_SCHEMAS:
                con.execute(f"CREATE TABLE {t} ({EMPTY_SCHEMAS[t]})")
                continue
            # No schema to give an empty view: skipped, so the views and rules over it fail by name.
            say(f"warning: {d}: no Parquet files; table {t} skipped")
            missing_tables.append(t)
            continue
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet({sql_str(os.path.join(d, '*.parquet'))})")
    con.execute(f"CREATE TABLE calendar_days AS SELECT * FROM read_parquet({sql_str(calendar)})")

    floor = time_floor(a, say, con) if a.floor else None

    # 2. The manifest's views, in order: views (inlined per rule), or tables materialized once;
    #    in cache mode views, of which windowwatch's cached ones are then materialized (below).
    skipped = {}
    materialized = {}
    for name, path, sql in views:
        if a.mode in ("views", "cache"):
            stmt = f"CREATE VIEW {name} AS\n{sql}\n"
        else:
            stmt = f"CREATE TEMP TABLE {name} AS\n{sql}\n"
        try:
            secs = timed(lambda: con.execute(stmt))
        except duckdb.Error as e:
            reason = str(e).splitlines()[0]
            skipped[name] = {"file": path, "reason": reason}
            say(f"view {name} ({path}) skipped: {reason}")
            continue
        if a.mode == "tables":
            materialized[name] = secs
    load_seconds = time.perf_counter() - t_load
    materialize_seconds = None
    if a.mode == "tables":
        materialize_seconds = sum(materialized.values())
        load_seconds -= materialize_seconds
        say(f"materialized {len(materialized)} views in {materialize_seconds:.3f} s")
    cached_views = None
    if a.mode == "cache":
        materialize_seconds, cached_views = cache_views(con, say, views, skipped, cache_spec)
        materialized = {n: f["seconds"] for n, f in cached_views.items()}
        say(f"materialized {len(cached_views)} views as windowwatch caches them ({a.cache_like}) in {materialize_seconds:.3f} s")

    # 3. The rules, each `repeat` times, the result fully materialized inside the timed region.
    out_rules = {}
    failed = []
    mismatched = []
    detail_diffs = {}
    for rule_id, path, sql in rules:
        needs = [v for v in skipped if re.search(rf"\b{re.escape(v)}\b", without_comments(sql, literals=False), re.I)]
        if needs:
            msg = "; ".join(f"needs view {v} ({skipped[v]['file']}), which could not be created: {skipped[v]['reason']}" for v in needs)
            print(f"duckdb_suite.py: rule {rule_id} ({path}): {msg}", file=sys.stderr)
            out_rules[rule_id] = {"rows": None, "seconds": [], "median": None, "error": msg}
            failed.append(rule_id)
            continue
        times, rows = [], None
        try:
            for _ in range(a.repeat):
                if a.fetch == "table":
                    t = time.perf_counter()
                    con.execute(f"CREATE TEMP TABLE rule_result AS\n{sql}\n")
                    times.append(time.perf_counter() - t)
                    rows = con.execute("SELECT count(*) FROM rule_result").fetchone()[0]
                    con.execute("DROP TABLE rule_result")
                elif a.fetch == "python":
                    t = time.perf_counter()
                    res = con.execute(sql).fetchall()
                    times.append(time.perf_counter() - t)
                    rows = len(res)
                    del res
                else:
                    t = time.perf_counter()
                    res = con.sql(sql).to_arrow_table()
                    times.append(time.perf_counter() - t)
                    rows = res.num_rows
                    del res
        except duckdb.Error as e:
            msg = str(e)
            print(f"duckdb_suite.py: rule {rule_id} ({path}): DuckDB cannot run it: {msg}", file=sys.stderr)
            out_rules[rule_id] = {"rows": None, "seconds": times, "median": None, "error": msg}
            failed.append(rule_id)
            continue
        out_rules[rule_id] = {"rows": rows, "seconds": times, "median": median(times)}
        say(f"{rule_id}: {rows} rows, median {median(times):.4f} s of {', '.join(f'{x:.4f}' for x in times)}")

        if findings is not None:
            try:
                duck = duck_rows(con, sql)
            except duckdb.Error as e:
                raise SuiteError(f"rule {rule_id} ({path}): its result lacks the finding columns {RESULT_COLUMNS}: {e}") from None
            lines, dd = compare_rule(rule_id, duck, findings.get(rule_id, []), a.show)
            if len(duck) != rows:
                lines.insert(0, f"{rule_id}: {rows} rows timed but {len(duck)} when checked")
            if lines:
                mismatched.append(rule_id)
                print("\n".join(lines), file=sys.stderr)
            if dd:
                detail_diffs[rule_id] = dd

    rules_seconds = sum(r["median"] for r in out_rules.values() if r["median"] is not None)
    result = {
        "engine": "duckdb",
        "version": duckdb.__version__,
        "threads": a.threads,
        "mode": a.mode,
        "fetch": a.fetch,
        "memory_limit": a.memory_limit,
        "repeat": a.repeat,
        "as_of": manifest.get("as_of"),
        "warehouse": os.path.abspath(snap),
        "sql": os.path.abspath(a.sql),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "os": platform.system()},
        "load_seconds": load_seconds,
        "materialize_seconds": materialize_seconds,
        "materialized": materialized if a.mode in ("tables", "cache") else None,
        "cache_like": os.path.abspath(a.cache_like) if a.cache_like else None,
        "cached_views": [{"name": n, **f} for n, f in cached_views.items()] if cached_views is not None else None,
        "skipped_views": skipped,
        "translations": [{"datafusion": p, "duckdb": r, "why": w} for p, r, w in TRANSLATIONS],
        "missing_tables": missing_tables,
        "rules": out_rules,
        "rules_seconds": rules_seconds,
        "suite_seconds": rules_seconds + (materialize_seconds or 0.0),
    }
    if floor is not None:
        floor["suite_multiple"] = result["suite_seconds"] / floor["seconds"] if floor["seconds"] > 0 else None
        result["floor"] = floor
        say(f"floor: one scan of the {floor['columns']} columns the rules read in {floor['seconds']:.3f} s; "
            f"the suite ({a.mode}) is {floor['suite_multiple'] or 0:.1f}x it")
    if findings is not None:
        # Rules over this run's findings (response.late, assessment.bottom) are no SQL another
        # engine runs alone: the manifest names them, and their findings are not compared.
        over = set(manifest.get("over_findings", []))
        extra = sorted(set(findings) - {r[0] for r in rules} - over)
        for rid in extra:
            print(f"{rid}: {len(findings[rid])} windowwatch findings, but no such rule in the manifest", file=sys.stderr)
        mismatched += extra
        result["check"] = {"findings": a.check_findings, "rules_checked": len(rules) - len(failed),
                           "mismatched": mismatched, "detail_differences": detail_diffs}
        if detail_diffs:
            print("duckdb_suite.py: warning: same findings, different detail text in: " +
                  ", ".join(f"{k} ({v} rows)" for k, v in detail_diffs.items()), file=sys.stderr)
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    extra_s = f" + {materialize_seconds:.3f} s materializing views" if materialize_seconds is not None else ""
    say(f"suite ({a.mode}, {a.threads} threads): {rules_seconds:.3f} s rules{extra_s}; load {load_seconds:.3f} s; wrote {a.json}")
    if findings is not None:
        if mismatched:
            print(f"duckdb_suite.py: {len(mismatched)} rule(s) differ from {a.check_findings}: {', '.join(mismatched)}", file=sys.stderr)
        else:
            say(f"check: all {len(rules) - len(failed)} rules return windowwatch's findings exactly ({a.check_findings})")
    return 1 if failed or mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
