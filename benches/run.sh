#!/usr/bin/env bash
# The benchmark: windowwatch and DuckDB on the same Parquet, the same rules, the same machine, in
# one run.
#
#   benches/run.sh [--scale smoke|medium|province|province10|FACTOR] [--release]
#                  [--memory-limit 2GiB] [--repeat N] [--dir DIR] [--no-reports] [--all-features]
#                  [--reuse-warehouse]   (checks, reports and DuckDB on the warehouse of a previous run)
#
#   1. `windowwatch bench` generates the exports (streamed; reused when already there), ingests
#      them file by file (MB/s of CSV, UTF-8 and GB18030 apart; each later bulk part, whose keys
#      interleave with the stored ones, against the first part and against itself ingested into an
#      empty warehouse, with the parts it rewrote), runs the check suite as `check`
#      does and rule by rule, times the floor (one scan of exactly the columns the rules read),
#      renders the reports, and records the peak memory of each phase; it writes the warehouse,
#      the findings and the rules rendered as plain SQL into DIR.
#   2. benches/duckdb_ingest.py times DuckDB's CSV -> Parquet (zstd) of each UTF-8 export in the
#      same run and prints windowwatch's ingest MB/s per file as a fraction of it (GB18030 files
#      as a fraction of windowwatch's UTF-8 rate), recorded in windowwatch.json (ingest.vs_duckdb).
#   3. benches/duckdb_suite.py runs those rules on DuckDB (from PyPI, in a venv under the cargo
#      target folder) over the same Parquet files, and checks its rows equal windowwatch's
#      findings rule by rule — the two engines answer the same question or the run fails.
#      It runs three ways: `views` (every rule with its views inlined, as each rule alone runs),
#      `tables` (every view materialised first) and `cache` (exactly the views and columns
#      windowwatch's suite computes once, the like-with-like counterpart of windowwatch's run).
#      Each mode also times the same floor scan on DuckDB (--floor) and gives its suite as a
#      multiple of it.
#   4. benches/compare.py prints the time ratio per rule and for the suite.
#
# CI runs `--scale smoke` (debug build, a few seconds) so the benchmark cannot rot; the figures
# in the README come from `--scale province --release` and `--scale province10 --release`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scale=province
release=""
memory_limit=""
repeat=3
dir=""
reports=""
features=""
reuse=""
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale="$2"; shift 2 ;;
        --release) release="--release"; shift ;;
        --memory-limit) memory_limit="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --no-reports) reports="--no-reports"; shift ;;
        --reuse-warehouse) reuse="--reuse-warehouse"; shift ;;
        --all-features) features="--all-features"; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "benches/run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$scale" in
    smoke) gen_scale=0.01 ;;
    *) gen_scale="$scale" ;;
esac

target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
target="$(cd "$target" && pwd)"
profile=debug
[ -n "$release" ] && profile=release
dir="${dir:-$target/bench-$scale}"
mkdir -p "$dir"

echo "== build ($profile)"
cargo build $release $features --quiet --bin windowwatch
ww="$target/$profile/windowwatch"

venv="$target/bench-venv"
duckdb_version="2.0.1"
if ! "$venv/bin/python" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$duckdb_version')" >/dev/null 2>&1; then
    echo "== installing duckdb $duckdb_version into $venv"
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "duckdb==$duckdb_version"
fi

threads="$(nproc)"
echo "== windowwatch bench --scale $gen_scale ($threads cores${memory_limit:+, memory limit $memory_limit})"
"$ww" ${memory_limit:+--memory-limit "$memory_limit"} bench --scale "$gen_scale" --dir "$dir" --repeat "$repeat" $reports $reuse

if [ -z "$reuse" ]; then
    echo "== DuckDB's CSV -> Parquet (zstd) of the same exports"
    "$venv/bin/python" benches/duckdb_ingest.py --exports "$dir/exports" --windowwatch "$dir/windowwatch.json" --threads "$threads" \
        --repeat "$repeat" ${memory_limit:+--memory-limit "$memory_limit"} --json "$dir/duckdb-ingest.json"
fi

echo "== DuckDB on the same Parquet"
duck_mem=()
if [ -n "$memory_limit" ]; then
    duck_mem=(--memory-limit "$memory_limit")
fi
for mode in views tables cache; do
    like=()
    [ "$mode" = cache ] && like=(--cache-like "$dir/windowwatch.json")
    "$venv/bin/python" benches/duckdb_suite.py --warehouse "$dir/data/current" --sql "$dir/sql" --threads "$threads" \
        --repeat "$repeat" --mode "$mode" "${like[@]}" --floor "$dir/windowwatch.json" "${duck_mem[@]}" --check-findings "$dir/findings.jsonl" --json "$dir/duckdb-$mode.json"
done

for mode in views tables cache; do
    echo "== windowwatch / DuckDB ($mode)"
    "$venv/bin/python" benches/compare.py "$dir/windowwatch.json" "$dir/duckdb-$mode.json"
done
echo "results: $dir/windowwatch.json $dir/duckdb-{ingest,views,tables,cache}.json"
