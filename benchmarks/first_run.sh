#!/usr/bin/env bash
# The first run on a machine compiles the cpu kernels (Numba); later runs load them from Numba's
# on-disk cache. This times `tinyres train --epochs 1` (more options pass through) twice with a
# fresh, empty cache folder (NUMBA_CACHE_DIR), and says whether each run printed the notice.
#
#   bash benchmarks/first_run.sh                   # mnist5k, the README's default recipe
#   bash benchmarks/first_run.sh --data digits     # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NUMBA_CACHE_DIR="$work/numba"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in first second; do
    began=$(date +%s.%N)
    tinyres train --epochs 1 --checkpoint-dir "$work/run" "$@" > "$work/out" 2> "$work/err"
    took=$(python3 -c "print(f'{$(date +%s.%N) - $began:.1f}')")
    notice=$(grep -c "compiling kernels" "$work/err" || true)
    echo "$run run: $took s wall, compile notice printed: $notice;" \
         "$(grep '^epoch 1:' "$work/out")"
done
echo "cached kernels: $(find "$NUMBA_CACHE_DIR" -name '*.nbc' | wc -l) files;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
