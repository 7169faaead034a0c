#!/usr/bin/env bash
# Side by side: `tokenops report daily --from claude-code --json --mode calculate` vs `ccusage daily --json --offline
# --mode calculate` on a generated Claude Code log tree. Per day and model: token counts must be equal, cost within
# $0.01. Exits non-zero on any mismatch. Needs node/npm (ccusage is installed into a temp folder, never committed).
# Usage: bench/ccusage-compare.sh [MB=20] [SEED=7]
set -euo pipefail
MB=${1:-20}
SEED=${2:-7}
source "$(dirname "$0")/ccusage-setup.sh"
TREE="$WORK/tree-$MB-$SEED"
rm -rf "$TREE"
dotnet "$ROOT/bench/TokenOps.LogGen/bin/Release/net10.0/tokenops-loggen.dll" --out "$TREE" --mb "$MB" --seed "$SEED" --compare
echo "ccusage $("$CC" --version 2>/dev/null || echo 20.0.24)"
for TZNAME in UTC America/Los_Angeles Asia/Tokyo; do
  CLAUDE_CONFIG_DIR="$TREE" TZ=$TZNAME "$CC" claude daily --json --offline --mode calculate --timezone "$TZNAME" > "$WORK/ccusage.json"
  TZ=$TZNAME "$ROOT/src/TokenOps/bin/Release/net10.0/tokenops" report daily --from claude-code --path "$TREE" --json --mode calculate --timezone "$TZNAME" > "$WORK/tokenops.json"
  python3 - "$WORK/ccusage.json" "$WORK/tokenops.json" "$TZNAME" <<'PY'
import json, sys
cc, to, tz = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
def rows(doc):
    return {(d["date"], m["modelName"]): m for d in doc["daily"] for m in d["modelBreakdowns"]}
a, b = rows(cc), rows(to)
bad = [f"only in {'ccusage' if k in a else 'tokenops'}: {k}" for k in sorted(set(a) ^ set(b))]
worst = 0.0
for k in sorted(set(a) & set(b)):
    x, y = a[k], b[k]
    for f in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens"):
        if x[f] != y[f]: bad.append(f"{k} {f}: ccusage {x[f]} tokenops {y[f]}")
    diff = abs(float(x["cost"]) - float(y["cost"]))
    worst = max(worst, diff)
    if diff >= 0.01: bad.append(f"{k} cost: ccusage {x['cost']} tokenops {y['cost']}")
print(f"[{tz}] {len(a)} day/model rows compared; totals ccusage ${cc['totals']['totalCost']:.6f} tokenops ${float(to['totals']['totalCost']):.6f}; "
      f"tokens {cc['totals']['totalTokens']} vs {to['totals']['totalTokens']}; worst cost difference ${worst:.9f}; mismatches {len(bad)}")
for m in bad[:20]: print("  MISMATCH", m)
sys.exit(1 if bad else 0)
PY
done
rm -rf "$TREE"
# Codex: a small fixed session (turn_context model switch, a repeated token_count, a totals-only event across midnight).
CODEX_HOME="$ROOT/bench/fixtures/codex" TZ=UTC "$CC" codex daily --json --offline > "$WORK/ccusage-codex.json"
CODEX_HOME="$ROOT/bench/fixtures/codex" TZ=UTC "$ROOT/src/TokenOps/bin/Release/net10.0/tokenops" report daily --from codex --json --timezone UTC > "$WORK/tokenops-codex.json"
python3 - "$WORK/ccusage-codex.json" "$WORK/tokenops-codex.json" <<'PY'
import json, sys
cc, to = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a = {d["date"]: (d["inputTokens"], d["cacheReadTokens"], d["outputTokens"], sorted(d["models"]), round(d["costUSD"], 6)) for d in cc["daily"]}
b = {d["date"]: (d["inputTokens"], d["cacheReadTokens"], d["outputTokens"], d["modelsUsed"], round(float(d["totalCost"]), 6)) for d in to["daily"]}
print(f"[codex] ccusage {a}\n[codex] tokenops {b}")
sys.exit(0 if a == b else 1)
PY
echo "OK: same tokens per day and model, cost within \$0.01"
