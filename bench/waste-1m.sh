#!/usr/bin/env bash
# Times `tokenops waste` over one million ledger rows (issue 16: at most 10 s).
# Usage: bench/waste-1m.sh [DIR] [TOKENOPS_DLL]
#   DIR: where the ledger lives (made once: 1,000,000 rows over 30 days by TokenOps.DashboardBench, then waste
#        fingerprints filled by one UPDATE: 5,000 stable prefixes, 100,000 sessions, 2 % truncated, 10 % automation keys).
#   TOKENOPS_DLL: the tokenops build to time (default: a Release build of this checkout).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/tmp/tokenops-waste-1m}"
dll="${2:-}"
if [ ! -f "$dir/tokenops.db" ]; then
  dotnet build "$root/bench/TokenOps.DashboardBench" -c Release -v q -nologo >/dev/null
  dotnet "$root/bench/TokenOps.DashboardBench/bin/Release/net10.0/tokenops-dashboard-bench.dll" --rows 1000000 --days 30 --dir "$dir" --generate-only
  python3 - "$dir/tokenops.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("""UPDATE ledger SET prefix_hash = abs(random()) % 5000, prefix_tokens = 2000 + abs(random()) % 3000,
  prompt_hash = random(), turn_simhash = random(), message_count = 1 + abs(random()) % 20,
  session_id = 's' || (abs(random()) % 100000),
  finish_reason = CASE WHEN abs(random()) % 50 = 0 THEN 'length' ELSE 'stop' END,
  tool_call_count = abs(random()) % 3,
  key_kind = CASE WHEN abs(random()) % 10 = 0 THEN 'automation' ELSE 'person' END""")
c.commit()
print("fingerprints filled:", c.execute("SELECT COUNT(*) FROM ledger WHERE prefix_hash IS NOT NULL").fetchone()[0])
PY
fi
if [ -z "$dll" ]; then
  dotnet build "$root/src/TokenOps" -c Release -v q -nologo >/dev/null
  dll="$root/src/TokenOps/bin/Release/net10.0/tokenops.dll"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB max RSS" dotnet "$dll" waste --data "$dir" --period 60d --format json > /tmp/tokenops-waste-1m.json
done
echo "findings: $(python3 -c 'import json,sys; print(len(json.load(open("/tmp/tokenops-waste-1m.json"))))')"
