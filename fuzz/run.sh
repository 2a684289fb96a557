#!/usr/bin/env bash
# Runs one libFuzzer target for a while over its committed seed corpus (fuzz/corpus/<name>, read
# only) and a working corpus that keeps what it finds (build/fuzz/corpus/<name>). Crashing inputs
# go to build/fuzz/artifacts/. Prints libFuzzer's closing numbers; the full log is kept beside.
#   fuzz/run.sh BINARY NAME SECONDS      (FUZZ_SECONDS in the environment overrides SECONDS)
set -euo pipefail
binary=$1 name=$2 seconds=${FUZZ_SECONDS:-$3}
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$binary")
if [ ! -x "$binary" ]; then
  echo "fuzz.$name: $binary was not built (is clang++ installed? scripts/install-deps.sh)" >&2
  exit 1
fi
mkdir -p "$out/corpus/$name" "$out/artifacts" "$out/logs"
log=$out/logs/$name.log
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1
      -artifact_prefix="$out/artifacts/$name-")
[ -f "$here/dict/$name.dict" ] && args+=(-dict="$here/dict/$name.dict")
symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -1 || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$binary" "${args[@]}" "$out/corpus/$name" "$here/corpus/$name" >"$log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
echo "fuzz.$name: ${runs:-?} runs in ${seconds}s, ${rate:-?} execs/s, ${cov:-cov: ?}, corpus $(ls "$out/corpus/$name" | wc -l) new files" \
  | tee "$out/logs/$name.summary"
if [ "$status" -ne 0 ]; then
  echo "fuzz.$name FAILED (exit $status); input saved under $out/artifacts/, log $log:" >&2
  grep -E -A40 'ERROR: |runtime error|invariant failed|deadly signal|timeout' "$log" | head -80 >&2 || tail -40 "$log" >&2
  exit "$status"
fi
