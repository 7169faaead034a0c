#!/usr/bin/env bash
# TokenOps gateway benchmark: the same load direct to the simulator and through the gateway (metering on), side by
# side in one run. Starts the simulator and the gateway as separate processes on free loopback ports, so the
# gateway's own CPU and memory can be read from /proc/<pid>. Between the two, the same load also goes through a bare
# relay (bench/TokenOps.Relay: Kestrel + HttpClient, no metering), the floor any .NET proxy pays on this machine.
#
#   bash bench/run.sh                    # default: 15 s per run, concurrency 1 and 16, JSON and streaming (~3 min)
#   DURATION=5 bash bench/run.sh         # quick run (~1.5 min)
#
# Environment knobs:
#   DURATION        seconds measured per run (default 15)
#   WARMUP          seconds of unmeasured warm-up before each run (default 2)
#   INITIAL_WARMUP  seconds per scenario and target before the first measured run, for the JIT (default 4)
#   CONCURRENCY     comma-separated worker counts (default 1,16)
#   SCENARIOS       json,stream (default both)
#   SIM_LATENCY_MS  simulated provider latency per request (default 0: pure gateway overhead)
#   OUT             results directory (default bench/results, git-ignored)
#   NO_BUILD=1      skip the Release builds
#   KEEP=1          keep the temp dir (process logs, ledger dump)
#   BUDGETS         1 (default) also starts a second gateway with budgets every request falls under (never exhausted)
#                   and runs the same load through it right after the metering-only gateway: enforcement on vs off
#   RELAY           1 (default) also starts the bare relay in front of the simulator and runs the same load through it
#                   between direct and gateway; 0 leaves it out
#   FORWARDER       1 also runs the same load through the minimal metering forwarder of ../shared/bench (published
#                   here), after the gateway(s): the floor of any .NET metering proxy, read beside TokenOps
#   CACHE           1 also starts a gateway with the exact response cache on (SQLite store) and runs the same load
#                   through it last: the body never changes, so every request after the first is a cache hit. With
#                   SIM_OUTPUT_TOKENS=700 the answer is ~4 KB (issue 15: a hit's p50 at most 2 ms for a 4 KB answer)
#   SIM_OUTPUT_TOKENS  words per answer (x-sim-output-tokens on every request, every target); default: the simulator's own
#   GATEWAY_ENV     extra NAME=value pairs for the gateway process(es), for diagnostics, e.g.
#                   GATEWAY_ENV='Logging__LogLevel__Microsoft.AspNetCore=Warning'; the relay gets them too, so that a
#                   runtime knob (DOTNET_...) applies to both sides of the comparison
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-2}"
INITIAL_WARMUP="${INITIAL_WARMUP:-4}"
CONCURRENCY="${CONCURRENCY:-1,16}"
SCENARIOS="${SCENARIOS:-json,stream}"
SIM_LATENCY_MS="${SIM_LATENCY_MS:-0}"
OUT="${OUT:-$ROOT/bench/results}"
CLI="$ROOT/src/TokenOps/bin/Release/net10.0/tokenops.dll"
BENCH="$ROOT/bench/TokenOps.Bench/bin/Release/net10.0/tokenops-bench.dll"
RELAY_DLL="$ROOT/bench/TokenOps.Relay/bin/Release/net10.0/tokenops-relay.dll"

if [[ "${NO_BUILD:-0}" != "1" ]]; then
  echo "== building (Release) =="
  dotnet build "$ROOT/src/TokenOps" -c Release -nologo -v q -clp:ErrorsOnly
  dotnet build "$ROOT/bench/TokenOps.Bench" -c Release -nologo -v q -clp:ErrorsOnly
  dotnet build "$ROOT/bench/TokenOps.Relay" -c Release -nologo -v q -clp:ErrorsOnly
fi

WORK="$(mktemp -d /tmp/tokenops-bench.XXXXXX)"
SIM_PID=""
GW_PID=""
EN_PID=""
RELAY_PID=""
FWD_PID=""
CACHE_PID=""

stop() { # stop PID [seconds]: SIGTERM, wait (bounded), then SIGKILL
  local pid="$1" limit="${2:-30}"
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "process $pid did not stop within ${limit}s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}
cleanup() {
  stop "$GW_PID" 30 || true
  stop "$EN_PID" 30 || true
  stop "$RELAY_PID" 10 || true
  stop "$FWD_PID" 10 || true
  stop "$CACHE_PID" 30 || true
  stop "$SIM_PID" 10 || true
  if [[ "${KEEP:-0}" == "1" ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_line() { # wait_for_line FILE REGEX PID SECONDS -> prints the first matching line
  local file="$1" regex="$2" pid="$3" limit="$4"
  for ((i = 0; i < limit * 10; i++)); do
    if grep -Eq "$regex" "$file" 2>/dev/null; then grep -Em1 "$regex" "$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "process $pid exited early:" >&2; cat "$file" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for '$regex' in $file" >&2
  cat "$file" >&2
  return 1
}

echo "== starting the simulator (own process) =="
dotnet "$CLI" simulator --urls http://127.0.0.1:0 >"$WORK/simulator.log" 2>&1 &
SIM_PID=$!
SIM_URL="$(wait_for_line "$WORK/simulator.log" 'listening on http://127\.0\.0\.1:[0-9]+' "$SIM_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"
echo "simulator pid $SIM_PID at $SIM_URL"

RELAY_ARGS=()
if [[ "${RELAY:-1}" == "1" ]]; then
  echo "== starting the bare relay (own process, pass-through to the simulator) =="
  # shellcheck disable=SC2086
  env ${GATEWAY_ENV:-} dotnet "$RELAY_DLL" --upstream "$SIM_URL" --urls http://127.0.0.1:0 >"$WORK/relay.log" 2>&1 &
  RELAY_PID=$!
  RELAY_URL="$(wait_for_line "$WORK/relay.log" 'relay listening on http://127\.0\.0\.1:[0-9]+' "$RELAY_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"
  echo "relay pid $RELAY_PID at $RELAY_URL"
  RELAY_ARGS=(--relay "$RELAY_URL" --relay-pid "$RELAY_PID")
fi

EXTRA_ARGS=()
EXTRA_TARGETS=""
if [[ "${FORWARDER:-0}" == "1" ]]; then
  echo "== starting the minimal metering forwarder (../shared/bench/forwarder) =="
  dotnet publish "$ROOT/../shared/bench/forwarder" -c Release -o "$WORK/forwarder" -nologo -v q -clp:ErrorsOnly >/dev/null
  FWD_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  # shellcheck disable=SC2086
  env ${GATEWAY_ENV:-} UPSTREAM="$SIM_URL" LISTEN="http://127.0.0.1:$FWD_PORT" dotnet "$WORK/forwarder/forwarder.dll" >"$WORK/forwarder.log" 2>&1 &
  FWD_PID=$!
  for ((i = 0; i < 100; i++)); do curl -sf "http://127.0.0.1:$FWD_PORT/stats" >/dev/null && break; sleep 0.1; done
  EXTRA_TARGETS="forwarder|http://127.0.0.1:$FWD_PORT|none|$FWD_PID"
fi

# The gateway routes gpt-4o-mini to the separate simulator process (no --simulate, so its CPU is the gateway's alone).
cat >"$WORK/tokenops.json" <<EOF
{
  "providers": { "sim": { "kind": "openai", "baseUrl": "$SIM_URL", "apiKeyEnv": "SIM_KEY", "forwardHeaders": ["x-sim-*"] } },
  "models": { "gpt-4o-mini": { "provider": "sim" } }
}
EOF
KEY="$(dotnet "$CLI" keys create --person bench --team perf --data "$WORK/data" | tail -n 1)"
[[ "$KEY" == tok_* ]] || { echo "could not create a virtual key (got '$KEY')" >&2; exit 1; }

echo "== starting the gateway (own process, metering on) =="
# shellcheck disable=SC2086
env SIM_KEY=sim-provider-key ${GATEWAY_ENV:-} dotnet "$CLI" serve --config "$WORK/tokenops.json" --urls http://127.0.0.1:0 --data "$WORK/data" \
  >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
GW_URL="$(wait_for_line "$WORK/gateway.log" 'gateway listening on http://127\.0\.0\.1:[0-9]+' "$GW_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"
echo "gateway pid $GW_PID at $GW_URL"

ENFORCED_ARGS=()
if [[ "${BUDGETS:-1}" == "1" ]]; then
  # Same providers and models, plus budgets at three levels that every bench request falls under and never exhausts.
  cat >"$WORK/tokenops-budgets.json" <<EOF
{
  "providers": { "sim": { "kind": "openai", "baseUrl": "$SIM_URL", "apiKeyEnv": "SIM_KEY", "forwardHeaders": ["x-sim-*"] } },
  "models": { "gpt-4o-mini": { "provider": "sim" } },
  "budgets": {
    "organisation": { "limitUsd": 1000000, "period": "monthly" },
    "teams": { "perf": { "limitUsd": 100000, "period": "weekly" } },
    "people": { "bench": { "limitUsd": 10000, "period": "daily" } }
  }
}
EOF
  EN_KEY="$(dotnet "$CLI" keys create --person bench --team perf --data "$WORK/data-budgets" | tail -n 1)"
  [[ "$EN_KEY" == tok_* ]] || { echo "could not create a virtual key (got '$EN_KEY')" >&2; exit 1; }
  echo "== starting the second gateway (own process, budgets enforced) =="
  # shellcheck disable=SC2086
  env SIM_KEY=sim-provider-key ${GATEWAY_ENV:-} dotnet "$CLI" serve --config "$WORK/tokenops-budgets.json" --urls http://127.0.0.1:0 --data "$WORK/data-budgets" \
    >"$WORK/gateway-budgets.log" 2>&1 &
  EN_PID=$!
  EN_URL="$(wait_for_line "$WORK/gateway-budgets.log" 'gateway listening on http://127\.0\.0\.1:[0-9]+' "$EN_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"
  echo "enforcing gateway pid $EN_PID at $EN_URL"
  ENFORCED_ARGS=(--enforced "$EN_URL" --enforced-key "$EN_KEY" --enforced-pid "$EN_PID")
fi

if [[ "${CACHE:-0}" == "1" ]]; then
  # Same providers and models, the exact response cache on (SQLite, the default store). The bench's body is fixed and
  # has no temperature, so it is cacheable: the preflight's miss stores the answer, every later request is a hit.
  cat >"$WORK/tokenops-cache.json" <<EOF
{
  "providers": { "sim": { "kind": "openai", "baseUrl": "$SIM_URL", "apiKeyEnv": "SIM_KEY", "forwardHeaders": ["x-sim-*"] } },
  "models": { "gpt-4o-mini": { "provider": "sim" } },
  "cache": { "exact": { "enabled": true, "scope": "team", "ttlSeconds": 3600 } }
}
EOF
  CACHE_KEY="$(dotnet "$CLI" keys create --person bench --team perf --data "$WORK/data-cache" | tail -n 1)"
  [[ "$CACHE_KEY" == tok_* ]] || { echo "could not create a virtual key (got '$CACHE_KEY')" >&2; exit 1; }
  echo "== starting the caching gateway (own process, exact response cache on) =="
  # shellcheck disable=SC2086
  env SIM_KEY=sim-provider-key ${GATEWAY_ENV:-} dotnet "$CLI" serve --config "$WORK/tokenops-cache.json" --urls http://127.0.0.1:0 --data "$WORK/data-cache" \
    >"$WORK/gateway-cache.log" 2>&1 &
  CACHE_PID=$!
  CACHE_URL="$(wait_for_line "$WORK/gateway-cache.log" 'gateway listening on http://127\.0\.0\.1:[0-9]+' "$CACHE_PID" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+')"
  echo "caching gateway pid $CACHE_PID at $CACHE_URL"
  EXTRA_TARGETS="${EXTRA_TARGETS:+$EXTRA_TARGETS;}cached|$CACHE_URL|$CACHE_KEY|$CACHE_PID"
fi
if [[ -n "$EXTRA_TARGETS" ]]; then EXTRA_ARGS=(--targets "$EXTRA_TARGETS"); fi
OUTPUT_ARGS=()
if [[ -n "${SIM_OUTPUT_TOKENS:-}" ]]; then OUTPUT_ARGS=(--sim-output-tokens "$SIM_OUTPUT_TOKENS"); fi

echo "== load: $SCENARIOS x concurrency $CONCURRENCY, ${WARMUP}s warm-up + ${DURATION}s per run, direct then relay (if on) then gateway(s) =="
mkdir -p "$OUT"
rm -f "$OUT/gateway-requests.txt"
TARGETS=$(( 2 + (${#ENFORCED_ARGS[@]} > 0) + (${#RELAY_ARGS[@]} > 0) + $(tr ';' '\n' <<<"$EXTRA_TARGETS" | grep -c . || true) )) # direct and gateway, plus the enforcing gateway and the relay when on
RUNS=$(( $(tr ',' '\n' <<<"$SCENARIOS" | wc -l) * $(tr ',' '\n' <<<"$CONCURRENCY" | wc -l) * TARGETS ))
LIMIT=$(( RUNS * (${DURATION%.*} + ${WARMUP%.*} + ${INITIAL_WARMUP%.*} + 65) + 60 ))
set +e
timeout --signal=TERM "$LIMIT" dotnet "$BENCH" --simulator "$SIM_URL" --gateway "$GW_URL" --key "$KEY" \
  --gateway-pid "$GW_PID" --simulator-pid "$SIM_PID" --clk-tck "$(getconf CLK_TCK)" \
  --duration "$DURATION" --warmup "$WARMUP" --initial-warmup "$INITIAL_WARMUP" --concurrency "$CONCURRENCY" --scenarios "$SCENARIOS" \
  --sim-latency-ms "$SIM_LATENCY_MS" --out "$OUT" "${ENFORCED_ARGS[@]}" "${RELAY_ARGS[@]}" "${EXTRA_ARGS[@]}" "${OUTPUT_ARGS[@]}"
BENCH_RC=$?
set -e

echo "== stopping the gateway(s) (SIGTERM: drains and flushes the ledger) and the relay =="
stop "$GW_PID" 60
GW_PID=""
stop "$EN_PID" 60
EN_PID=""
stop "$RELAY_PID" 10
RELAY_PID=""
stop "$CACHE_PID" 60
CACHE_PID=""
[[ -f "$OUT/gateway-requests.txt" ]] || { echo "bench failed (exit $BENCH_RC), no results" >&2; exit 1; }

SENT="$(tr -d '[:space:]' <"$OUT/gateway-requests.txt")"
dotnet "$CLI" ledger --data "$WORK/data" --format json >"$WORK/ledger.jsonl"
ROWS="$(wc -l <"$WORK/ledger.jsonl" | tr -d ' ')"
OK_ROWS="$(grep -c '"outcome":"Ok"' "$WORK/ledger.jsonl" || true)"
ESTIMATED="$(grep -c '"estimated":true' "$WORK/ledger.jsonl" || true)"
if [[ "$ROWS" == "$SENT" && "$OK_ROWS" == "$SENT" && "$ESTIMATED" == "0" ]]; then VERDICT="PASS"; else VERDICT="FAIL"; fi
CHECK="Ledger check: $SENT requests sent through the gateway (warm-up and preflight included), $ROWS ledger rows, $OK_ROWS with outcome Ok, $ESTIMATED estimated: $VERDICT"
printf '\n%s\n' "$CHECK" | tee -a "$OUT/results.md"
echo "results: $OUT/results.md, $OUT/results.json"

if [[ -n "${EN_KEY:-}" ]]; then
  EN_SENT="$(tr -d '[:space:]' <"$OUT/enforced-requests.txt" 2>/dev/null || echo missing)"
  dotnet "$CLI" ledger --data "$WORK/data-budgets" --format json >"$WORK/ledger-budgets.jsonl"
  EN_ROWS="$(wc -l <"$WORK/ledger-budgets.jsonl" | tr -d ' ')"
  EN_OK="$(grep -c '"outcome":"Ok"' "$WORK/ledger-budgets.jsonl" || true)"
  if [[ "$EN_ROWS" == "$EN_SENT" && "$EN_OK" == "$EN_SENT" ]]; then EN_VERDICT="PASS"; else EN_VERDICT="FAIL"; VERDICT="FAIL"; fi
  EN_CHECK="Ledger check (enforcing gateway): $EN_SENT requests sent, $EN_ROWS ledger rows, $EN_OK with outcome Ok (none refused): $EN_VERDICT"
  printf '%s\n' "$EN_CHECK" | tee -a "$OUT/results.md"
fi

if [[ -n "${CACHE_KEY:-}" ]]; then
  C_SENT="$(tr -d '[:space:]' <"$OUT/cached-requests.txt" 2>/dev/null || echo missing)"
  dotnet "$CLI" ledger --data "$WORK/data-cache" --format json >"$WORK/ledger-cache.jsonl"
  C_ROWS="$(wc -l <"$WORK/ledger-cache.jsonl" | tr -d ' ')"
  C_HITS="$(grep -c '"cache_hit":"exact"' "$WORK/ledger-cache.jsonl" || true)"
  C_FREE="$(grep '"cache_hit":"exact"' "$WORK/ledger-cache.jsonl" | grep -c '"cost_nanos":0,' || true)"
  # One miss per scenario (its answer is stored), every other request a free hit.
  if [[ "$C_ROWS" == "$C_SENT" && "$C_FREE" == "$C_HITS" && $(( C_SENT - C_HITS )) -le 2 ]]; then C_VERDICT="PASS"; else C_VERDICT="FAIL"; VERDICT="FAIL"; fi
  C_CHECK="Ledger check (caching gateway): $C_SENT requests sent, $C_ROWS ledger rows, $C_HITS exact hits, $C_FREE of them at cost 0: $C_VERDICT"
  printf '%s\n' "$C_CHECK" | tee -a "$OUT/results.md"
fi

[[ "$VERDICT" == "PASS" && "$BENCH_RC" == "0" ]] || exit 1
