#!/usr/bin/env bash
# Time the README's set-up commands, as written, in a fresh venv: each part of each `&&` chain
# separately, and the size of the venv's packages after the first. The README quotes these
# figures. Writes nothing outside the fresh venv ($TMPDIR/tinyres-readme-venv) and the places
# the commands themselves write (~/.cache/tinyres, runs/).
#
#   bash benchmarks/readme_setup.sh           # both commands (the training run takes minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TMPDIR:-/tmp}/tinyres-readme-venv"
rm -rf "$venv"
python3 -m venv "$venv"
. "$venv/bin/activate"
packages() { du -sm "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" | cut -f1; }
echo "fresh venv: $(packages) MB of packages; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# the README's two commands: the first two lines of its first ```bash block
commands=$(awk '/^```bash$/ {inside=1; next} inside && /^```$/ {exit} inside' README.md | head -2)
while IFS= read -r command; do
    echo "\$ $command"
    rest="$command"
    while [ -n "$rest" ]; do
        part="${rest%% && *}"
        [ "$part" = "$rest" ] && rest="" || rest="${rest#* && }"
        began=$(date +%s.%N)
        eval "$part" > "$venv/last.log" 2>&1 || { cat "$venv/last.log"; exit 1; }
        took=$(python -c "print(f'{$(date +%s.%N) - $began:.1f}')")
        echo "  $part: $took s, venv packages $(packages) MB"
        grep -E "test accuracy|passed|failed|ERROR" "$venv/last.log" | tail -2 | sed 's/^/    /'
    done
done <<< "$commands"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
