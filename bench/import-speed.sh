#!/usr/bin/env bash
# Speed and memory side by side on a generated ~1 GB Claude Code log tree (realistic shape, see TokenOps.LogGen):
#   ccusage (native binary)  claude daily --offline
#   tokenops                 report daily --from claude-code
# run alternately RUNS times each (the machine may be shared: compare figures from the same run), then
#   tokenops import claude-code (streams into a fresh ledger; memory must not grow with the tree).
# Wall time and peak RSS from /usr/bin/time -v. The tree is deleted at the end.
# Usage: bench/import-speed.sh [MB=1024] [RUNS=3]
set -euo pipefail
MB=${1:-1024}
RUNS=${2:-3}
source "$(dirname "$0")/ccusage-setup.sh"
TO="$ROOT/src/TokenOps/bin/Release/net10.0/tokenops"
TREE="$WORK/tree-1g"
rm -rf "$TREE" "$WORK/ledger"
trap 'rm -rf "$TREE" "$WORK/ledger"' EXIT
dotnet "$ROOT/bench/TokenOps.LogGen/bin/Release/net10.0/tokenops-loggen.dll" --out "$TREE" --mb "$MB" --seed 42
echo "tree: $(du -sb "$TREE" | cut -f1) bytes, $(find "$TREE" -name '*.jsonl' | wc -l) files; cores: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm the page cache once so neither tool pays for the first read.
cat $(find "$TREE" -name '*.jsonl') > /dev/null

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -v "$@" > "$WORK/out.txt" 2> "$WORK/time.txt" || { cat "$WORK/time.txt"; exit 1; }
  local wall rss user sys
  wall=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
  user=$(grep "User time" "$WORK/time.txt" | awk '{print $NF}')
  sys=$(grep "System time" "$WORK/time.txt" | awk '{print $NF}')
  printf "%-34s wall %8s  user %6ss  sys %5ss  peak RSS %7.1f MiB\n" "$label" "$wall" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)"
}

for i in $(seq 1 "$RUNS"); do
  CLAUDE_CONFIG_DIR="$TREE" measure "ccusage claude daily #$i" "$CC" claude daily --offline
  measure "tokenops report daily #$i" "$TO" report daily --from claude-code --path "$TREE"
done
tail -n 3 "$WORK/out.txt" | cut -c1-160
measure "tokenops import claude-code" "$TO" import claude-code "$TREE" --data "$WORK/ledger"
cut -c1-200 "$WORK/out.txt"
measure "tokenops import (again, no change)" "$TO" import claude-code "$TREE" --data "$WORK/ledger"
cut -c1-200 "$WORK/out.txt"
measure "tokenops report daily (ledger)" "$TO" report daily --data "$WORK/ledger"
