#!/usr/bin/env bash
# Time the README's two set-up commands, as written, the way a new user meets them: a fresh
# clone of this repository's last commit (no compiled kernels in it yet) and a fresh venv; each
# part of each `&&` chain timed separately, with the size of the venv's packages after it. The
# README quotes these figures. pip's own download cache and ~/.cache/tinyres are left as they
# are (the commands write there); everything else lives in $TMPDIR/tinyres-readme.
#
#   bash benchmarks/readme_setup.sh       # both commands: training and the test suite take minutes
set -euo pipefail
source_repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${TMPDIR:-/tmp}/tinyres-readme"
rm -rf "$work"
git clone -q "$source_repo" "$work/src"
cd "$work/src"
python3 -m venv "$work/venv"
. "$work/venv/bin/activate"
packages() {  # MB of the venv's site-packages
    du -sm "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" | cut -f1
}
echo "$(git log -1 --format='%h %s' | cut -c1-80)"
echo "fresh venv: $(packages) MB of packages; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# the README's two commands: the first two lines of its first ```bash block
commands=$(awk '/^```bash$/ {inside=1; next} inside && /^```$/ {exit} inside' README.md | head -2)
while IFS= read -r command; do
    echo "\$ $command"
    rest="$command"
    while [ -n "$rest" ]; do
        part="${rest%% && *}"
        if [ "$part" = "$rest" ]; then rest=""; else rest="${rest#* && }"; fi
        began=$(date +%s.%N)
        eval "$part" > "$work/last.log" 2>&1 || { tail -20 "$work/last.log"; exit 1; }
        took=$(python -c "print(f'{$(date +%s.%N) - $began:.1f}')")
        echo "  $part: $took s; venv packages $(packages) MB"
        grep -E "^ERROR|test accuracy|compiling kernels|passed|failed" "$work/last.log" \
            | tail -3 | sed 's/^/    /' || true
    done
done <<< "$commands"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
