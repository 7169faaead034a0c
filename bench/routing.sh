#!/usr/bin/env bash
# The cost of routing (issue 14): one gateway with a router configured, the same long-prompt load twice in one run:
#   named   "model": "gpt-4o-mini" (routing configured but not asked for: must cost nothing)
#   auto    "model": "auto" (the router parses the body, checks candidates, scores the prompt, picks; pins off: no session)
# with the simulator itself and the bare relay as the floors. Each request's prompt is about PROMPT_WORDS words (1,500 words
# is about 2,000 tokens) and differs from every other request (a counter in it), so no cache can answer. The gateway's
# memory is read before any auto request and after the auto run.
#
#   bash bench/routing.sh                          # 10 s per run, concurrency 1 and 8, JSON (~3 min)
#   DURATION=5 CONCURRENCY=1 bash bench/routing.sh
# Knobs: DURATION, WARMUP, INITIAL_WARMUP, CONCURRENCY, PROMPT_WORDS (1500), OUT (bench/results-routing), NO_BUILD, KEEP.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
INITIAL_WARMUP="${INITIAL_WARMUP:-4}"
CONCURRENCY="${CONCURRENCY:-1,8}"
PROMPT_WORDS="${PROMPT_WORDS:-1500}"
OUT="${OUT:-$ROOT/bench/results-routing}"
CLI="$ROOT/src/TokenOps/bin/Release/net10.0/tokenops.dll"
BENCH="$ROOT/bench/TokenOps.Bench/bin/Release/net10.0/tokenops-bench.dll"
RELAY_DLL="$ROOT/bench/TokenOps.Relay/bin/Release/net10.0/tokenops-relay.dll"

if [[ "${NO_BUILD:-0}" != "1" ]]; then
  echo "== building (Release) =="
  dotnet build "$ROOT/src/TokenOps" -c Release -nologo -v q -clp:ErrorsOnly
  dotnet build "$ROOT/bench/TokenOps.Bench" -c Release -nologo -v q -clp:ErrorsOnly
  dotnet build "$ROOT/bench/TokenOps.Relay" -c Release -nologo -v q -clp:ErrorsOnly
fi

WORK="$(mktemp -d /tmp/tokenops-routing.XXXXXX)"
SIM_PID=""; GW_PID=""; RELAY_PID=""
stop() { local pid="$1"; [[ -n "$pid" ]] || return 0; kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
cleanup() { stop "$GW_PID"; stop "$RELAY_PID"; stop "$SIM_PID"; if [[ "${KEEP:-0}" == "1" ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_for_line() { local file="$1" regex="$2" pid="$3" limit="$4"
  for ((i = 0; i < limit * 10; i++)); do
    if grep -Eq "$regex" "$file" 2>/dev/null; then grep -Em1 "$regex" "$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "process $pid exited early:" >&2; cat "$file" >&2; return 1; }
    sleep 0.1
  done; echo "timed out waiting for '$regex' in $file" >&2; return 1; }
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

dotnet "$CLI" simulator --urls http://127.0.0.1:0 >"$WORK/simulator.log" 2>&1 &
SIM_PID=$!
SIM_URL="$(wait_for_line "$WORK/simulator.log" 'listening on http://127\.0\.0\.1:[0-9]+' "$SIM_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"
dotnet "$RELAY_DLL" --upstream "$SIM_URL" --urls http://127.0.0.1:0 >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!
RELAY_URL="$(wait_for_line "$WORK/relay.log" 'relay listening on http://127\.0\.0\.1:[0-9]+' "$RELAY_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"

cat >"$WORK/tokenops.json" <<EOF
{
  "providers": { "sim": { "kind": "openai", "baseUrl": "$SIM_URL", "apiKeyEnv": "SIM_KEY" } },
  "models": { "gpt-4o-mini": { "provider": "sim" }, "gpt-4o": { "provider": "sim" } },
  "routing": { "routers": { "auto": { "openai": ["gpt-4o-mini", "gpt-4o"], "strongShare": 0.3, "pinSessions": false } } }
}
EOF
KEY="$(dotnet "$CLI" keys create --person bench --team perf --data "$WORK/data" | tail -n 1)"
env SIM_KEY=sim-provider-key dotnet "$CLI" serve --config "$WORK/tokenops.json" --urls http://127.0.0.1:0 --data "$WORK/data" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
GW_URL="$(wait_for_line "$WORK/gateway.log" 'gateway listening on http://127\.0\.0\.1:[0-9]+' "$GW_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"
mkdir -p "$OUT"
COMMON=(--simulator "$SIM_URL" --gateway "$GW_URL" --key "$KEY" --gateway-pid "$GW_PID" --simulator-pid "$SIM_PID" --clk-tck "$(getconf CLK_TCK)"
  --duration "$DURATION" --warmup "$WARMUP" --initial-warmup "$INITIAL_WARMUP" --concurrency "$CONCURRENCY" --scenarios json
  --prompt-words "$PROMPT_WORDS" --relay "$RELAY_URL" --relay-pid "$RELAY_PID")

echo "== named model (routing configured, not asked for) =="
timeout 900 dotnet "$BENCH" "${COMMON[@]}" --model gpt-4o-mini --out "$OUT/named"
RSS_BEFORE="$(rss_mb "$GW_PID")"
echo "== model auto =="
timeout 900 dotnet "$BENCH" "${COMMON[@]}" --model auto --out "$OUT/auto"
RSS_AFTER="$(rss_mb "$GW_PID")"

{
  echo "# Routing cost ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, prompt ~$PROMPT_WORDS words, each request different)"
  echo
  echo "Gateway VmRSS after the named-model runs (no auto request yet): $RSS_BEFORE MB; after the auto runs: $RSS_AFTER MB."
  echo
  echo "## named (gpt-4o-mini)"; sed -n '/^| Scenario/,/^$/p' "$OUT/named/results.md"
  echo "## auto"; sed -n '/^| Scenario/,/^$/p' "$OUT/auto/results.md"
} | tee "$OUT/results.md"
dotnet "$CLI" ledger --data "$WORK/data" --format json >"$WORK/ledger.jsonl" 2>/dev/null || true
echo "auto rows by served model: $(grep '"requested_model":"auto"' "$WORK/ledger.jsonl" | grep -Eo '"served_model":"[^"]+"' | sort | uniq -c | tr '\n' ' ')"
