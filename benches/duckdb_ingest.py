#!/usr/bin/env python3
"""The ingest against DuckDB, in the same run: DuckDB's CSV -> Parquet (zstd) of each UTF-8 export
windowwatch ingested, and windowwatch's ingest MB/s as a fraction of it.

Usage:
    duckdb_ingest.py --exports DIR --windowwatch WINDOWWATCH.json [--threads N]
                     [--memory-limit 2GB] [--repeat N] [--json OUT.json]

For every CSV export of DIR/manifest.json in UTF-8 (with or without a BOM), DuckDB runs

    COPY (SELECT * FROM read_csv('FILE')) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)

`--repeat` times on `--threads` threads, the median counting, as windowwatch's bench counts its
median round. read_csv detects the dialect and types itself; a file whose planted bad rows stop
it is read again with ignore_errors=true (DuckDB then skips those rows: a little less work than
windowwatch's, which quarantines them), and the file says so ("ignore_errors").

It prints per file windowwatch's MB/s (its median round, from WINDOWWATCH.json), DuckDB's and the
fraction windowwatch / DuckDB (1.0: as fast); for each GB18030 file windowwatch's MB/s as a
fraction of its own UTF-8 rate (all its UTF-8 CSV bytes over their seconds). The figures go into
WINDOWWATCH.json under ingest.vs_duckdb, and to OUT.json when given.

Exit status: 0 ok (the fractions are figures, not a verdict); 2 bad arguments or inputs.
Needs duckdb (the venv benches/run.sh makes) and the standard library.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

try:
    import duckdb
except ImportError:  # pragma: no cover
    sys.exit("duckdb_ingest.py: the duckdb package is not installed (pip install duckdb)")

UTF8 = {None, "utf-8", "utf-8-bom"}


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def copy_seconds(con, src, dst, ignore_errors):
    opts = ", ignore_errors = true" if ignore_errors else ""
    t = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_csv({sql_str(src)}{opts})) TO {sql_str(dst)} (FORMAT parquet, COMPRESSION zstd)")
    return time.perf_counter() - t


def time_file(con, src, out_dir, repeat):
    """The seconds of each run and whether bad rows had to be skipped."""
    dst = os.path.join(out_dir, "x.parquet")
    ignore = False
    times = []
    for _ in range(max(1, repeat)):
        try:
            times.append(copy_seconds(con, src, dst, ignore))
        except duckdb.Error:
            if ignore:
                raise
            ignore = True
            times.append(copy_seconds(con, src, dst, ignore))
        os.remove(dst)
    return times, ignore


def mbps(b, s):
    return b / 1e6 / s if s and s > 0 else None


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exports", required=True, help="the generated set (manifest.json inside)")
    ap.add_argument("--windowwatch", required=True, metavar="WINDOWWATCH.json")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", metavar="OUT.json")
    a = ap.parse_args(argv)
    try:
        with open(os.path.join(a.exports, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        with open(a.windowwatch, encoding="utf-8") as f:
            ww = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"duckdb_ingest.py: {e}", file=sys.stderr)
        return 2
    ww_files = {f["file"]: f for f in (ww.get("ingest") or {}).get("files") or []}
    if not ww_files:
        print("duckdb_ingest.py: windowwatch ingested nothing in this run (--reuse-warehouse?): nothing to compare")
        return 0
    utf8_rate = (((ww["ingest"].get("by_encoding") or {}).get("utf-8")) or {}).get("mb_per_s")

    con = duckdb.connect()
    con.execute(f"SET threads = {int(a.threads)}")
    if a.memory_limit:
        con.execute(f"SET memory_limit = {sql_str(a.memory_limit)}")
    out_dir = tempfile.mkdtemp(prefix="duckdb-ingest-", dir=os.path.dirname(os.path.abspath(a.windowwatch)))
    files, gb = [], []
    try:
        for f in manifest["files"]:
            w = ww_files.get(f["path"])
            if f.get("format") != "csv" or w is None:
                continue
            if f.get("encoding") not in UTF8:
                frac = None if not utf8_rate or w.get("mb_per_s") is None else w["mb_per_s"] / utf8_rate
                gb.append({"file": f["path"], "encoding": f.get("encoding"), "bytes": w["bytes"], "windowwatch_mb_per_s": w.get("mb_per_s"), "fraction_of_utf8": frac})
                continue
            src = os.path.join(a.exports, f["path"])
            times, ignored = time_file(con, src, out_dir, a.repeat)
            secs = statistics.median(times)
            d_rate, w_rate = mbps(w["bytes"], secs), w.get("mb_per_s")
            files.append({
                "file": f["path"], "table": f["table"], "bytes": w["bytes"], "seconds": secs, "all_seconds": times,
                "duckdb_mb_per_s": d_rate, "windowwatch_mb_per_s": w_rate,
                "fraction": None if not d_rate or w_rate is None else w_rate / d_rate, "ignore_errors": ignored,
            })
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)

    d_bytes, d_secs = sum(x["bytes"] for x in files), sum(x["seconds"] for x in files)
    w_secs = sum(ww_files[x["file"]]["seconds"] for x in files)
    fracs = [x["fraction"] for x in files if x["fraction"] is not None]
    gfracs = [x["fraction_of_utf8"] for x in gb if x["fraction_of_utf8"] is not None]
    result = {
        "engine": "duckdb", "version": duckdb.__version__, "threads": a.threads, "memory_limit": a.memory_limit, "repeat": a.repeat,
        "statement": "COPY (SELECT * FROM read_csv(FILE)) TO X (FORMAT parquet, COMPRESSION zstd)",
        "files": files,
        "utf8_bytes": d_bytes, "duckdb_mb_per_s": mbps(d_bytes, d_secs), "windowwatch_mb_per_s": mbps(d_bytes, w_secs),
        "fraction": (d_secs / w_secs) if w_secs else None, "min_fraction": min(fracs) if fracs else None,
        "windowwatch_utf8_mb_per_s": utf8_rate, "gb18030": gb, "gb18030_min_fraction_of_utf8": min(gfracs) if gfracs else None,
    }

    print(f"ingest, windowwatch against DuckDB {duckdb.__version__} CSV -> Parquet (zstd), {a.threads} threads, median of {a.repeat}")
    width = max([len("file")] + [len(x["file"]) for x in files + gb])
    print(f"{'file'.ljust(width)}  {'MB':>8}  {'windowwatch MB/s':>16}  {'DuckDB MB/s':>11}  {'fraction':>8}")
    for x in files:
        note = "  (DuckDB skipped bad rows)" if x["ignore_errors"] else ""
        print(f"{x['file'].ljust(width)}  {x['bytes'] / 1e6:8.2f}  {fmt(x['windowwatch_mb_per_s']):>16}  {fmt(x['duckdb_mb_per_s']):>11}  {fmt(x['fraction'], '.2f'):>8}{note}")
    print(f"{'all UTF-8 CSV'.ljust(width)}  {d_bytes / 1e6:8.2f}  {fmt(result['windowwatch_mb_per_s']):>16}  {fmt(result['duckdb_mb_per_s']):>11}  {fmt(result['fraction'], '.2f'):>8}")
    print(f"lowest fraction of DuckDB: {fmt(result['min_fraction'], '.2f')}")
    if gb:
        print(f"GB18030 files against windowwatch's own UTF-8 rate ({fmt(utf8_rate)} MB/s):")
        for x in gb:
            print(f"{x['file'].ljust(width)}  {x['bytes'] / 1e6:8.2f}  {fmt(x['windowwatch_mb_per_s']):>16}  {'':>11}  {fmt(x['fraction_of_utf8'], '.2f'):>8}")
        print(f"lowest GB18030 fraction of UTF-8: {fmt(result['gb18030_min_fraction_of_utf8'], '.2f')}")

    ww["ingest"]["vs_duckdb"] = result
    with open(a.windowwatch, "w", encoding="utf-8") as f:
        json.dump(ww, f, indent=2, ensure_ascii=False)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
