#!/usr/bin/env bash
# The fleet benchmark (issue 13): one load, in one run, through
#   direct      the simulator itself
#   relay       the bare relay (bench/TokenOps.Relay: Kestrel + HttpClient, nothing else)
#   gateway     one TokenOps replica on SQLite (the embedded default)
#   forwarder   the minimal metering forwarder of ../shared/bench (the floor of any .NET metering proxy)
#   pg-redis    one TokenOps replica on PostgreSQL + Redis
#   fleet-3     three replicas on one PostgreSQL + one Redis, requests round-robin (CPU summed over the three)
# Every TokenOps target runs with the same budgets (organisation, team and person; never exhausted), so the shared
# counters are on the path. PostgreSQL and Redis are throwaway servers started here from the machine's binaries
# (Debian's postgresql and redis-server) on loopback ports. At the end: a ledger check per TokenOps target (rows equal
# requests sent, none estimated) and the ledger rows per store write (one transaction) from each replica's metrics.
#
#   bash bench/fleet.sh                      # 10 s per run, concurrency 1,16,32, JSON and streams (~12 min)
#   DURATION=5 CONCURRENCY=32 bash bench/fleet.sh
# Knobs as bench/run.sh: DURATION, WARMUP, INITIAL_WARMUP, CONCURRENCY, SCENARIOS, SIM_LATENCY_MS, OUT, NO_BUILD, KEEP.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED="${SHARED:-$ROOT/../shared}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
INITIAL_WARMUP="${INITIAL_WARMUP:-3}"
CONCURRENCY="${CONCURRENCY:-1,16,32}"
SCENARIOS="${SCENARIOS:-json,stream}"
SIM_LATENCY_MS="${SIM_LATENCY_MS:-0}"
OUT="${OUT:-$ROOT/bench/results-fleet}"
CLI="$ROOT/src/TokenOps/bin/Release/net10.0/tokenops.dll"
BENCH="$ROOT/bench/TokenOps.Bench/bin/Release/net10.0/tokenops-bench.dll"
RELAY_DLL="$ROOT/bench/TokenOps.Relay/bin/Release/net10.0/tokenops-relay.dll"
WORK="$(mktemp -d /tmp/tokenops-fleet.XXXXXX)"
chmod 755 "$WORK"
FWD_DIR="$WORK/forwarder"

if [[ "${NO_BUILD:-0}" != "1" ]]; then
  echo "== building (Release) =="
  dotnet build "$ROOT/src/TokenOps" -c Release -nologo -v q -clp:ErrorsOnly
  dotnet build "$ROOT/bench/TokenOps.Bench" -c Release -nologo -v q -clp:ErrorsOnly
  dotnet build "$ROOT/bench/TokenOps.Relay" -c Release -nologo -v q -clp:ErrorsOnly
fi
dotnet publish "$SHARED/bench/forwarder" -c Release -o "$FWD_DIR" -nologo -v q -clp:ErrorsOnly >/dev/null

PIDS=()
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[[ -x "$PG_BIN/pg_ctl" ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }
AS_PG=()
[[ "$(id -u)" == "0" ]] && AS_PG=(runuser -u postgres --)

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [[ -d "$WORK/pg" ]] && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1 || true
  if [[ "${KEEP:-0}" == "1" ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for_line() { # FILE REGEX PID SECONDS
  local file="$1" regex="$2" pid="$3" limit="$4"
  for ((i = 0; i < limit * 10; i++)); do
    if grep -Eq "$regex" "$file" 2>/dev/null; then grep -Em1 "$regex" "$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "process $pid exited early:" >&2; cat "$file" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for '$regex' in $file" >&2; cat "$file" >&2; return 1
}
url_of() { wait_for_line "$1" "$2 listening on http://127\.0\.0\.1:[0-9]+" "$3" 60 | grep -Eo 'http://127\.0\.0\.1:[0-9]+'; }

echo "== throwaway PostgreSQL and Redis =="
PG_PORT="$(free_port)"
mkdir -p "$WORK/pg" && [[ ${#AS_PG[@]} -gt 0 ]] && chown postgres:postgres "$WORK/pg"
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U tokenops --auth=trust --encoding=UTF8 --locale=C --no-sync >/dev/null
# Durable commits as in production (fsync on, synchronous_commit on): the round trips are the point.
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
for db in single fleet; do "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U tokenops -d postgres -qc "CREATE DATABASE $db" ; done
REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

echo "== simulator, relay, forwarder =="
dotnet "$CLI" simulator --urls http://127.0.0.1:0 >"$WORK/simulator.log" 2>&1 &
SIM_PID=$!; PIDS+=($SIM_PID)
SIM_URL="$(url_of "$WORK/simulator.log" '' "$SIM_PID")"
dotnet "$RELAY_DLL" --upstream "$SIM_URL" --urls http://127.0.0.1:0 >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!; PIDS+=($RELAY_PID)
RELAY_URL="$(url_of "$WORK/relay.log" 'relay' "$RELAY_PID")"
FWD_PORT="$(free_port)"
UPSTREAM="$SIM_URL" LISTEN="http://127.0.0.1:$FWD_PORT" dotnet "$FWD_DIR/forwarder.dll" >"$WORK/forwarder.log" 2>&1 &
FWD_PID=$!; PIDS+=($FWD_PID)
for ((i = 0; i < 100; i++)); do curl -sf "http://127.0.0.1:$FWD_PORT/stats" >/dev/null && break; sleep 0.1; done

config() { # config FILE STORAGE_JSON
  cat >"$1" <<EOF
{
  "providers": { "sim": { "kind": "openai", "baseUrl": "$SIM_URL", "apiKeyEnv": "SIM_KEY", "forwardHeaders": ["x-sim-*"] } },
  "models": { "gpt-4o-mini": { "provider": "sim" } },
  $2
  "budgets": {
    "organisation": { "limitUsd": 1000000, "period": "monthly" },
    "teams": { "perf": { "limitUsd": 100000, "period": "weekly" } },
    "people": { "bench": { "limitUsd": 10000, "period": "daily" } }
  }
}
EOF
}
config "$WORK/sqlite.json" ''
config "$WORK/single.json" '"storage": { "kind": "postgres", "connectionStringEnv": "TOKENOPS_PG" }, "redis": { "connectionStringEnv": "TOKENOPS_REDIS", "onFailure": "fail-closed" },'
cp "$WORK/single.json" "$WORK/fleet.json"
PG_SINGLE="Host=127.0.0.1;Port=$PG_PORT;Username=tokenops;Database=single"
PG_FLEET="Host=127.0.0.1;Port=$PG_PORT;Username=tokenops;Database=fleet"
REDIS_SINGLE="127.0.0.1:$REDIS_PORT,defaultDatabase=1"
REDIS_FLEET="127.0.0.1:$REDIS_PORT,defaultDatabase=2"

new_key() { # new_key CONFIG DATA PG REDIS
  SIM_KEY=sim-provider-key TOKENOPS_PG="$3" TOKENOPS_REDIS="$4" dotnet "$CLI" keys create --person bench --team perf --config "$1" --data "$2" | tail -n 1
}
serve() { # serve NAME CONFIG DATA PG REDIS -> sets SERVED_URL, SERVED_PID
  env SIM_KEY=sim-provider-key TOKENOPS_PG="$4" TOKENOPS_REDIS="$5" dotnet "$CLI" serve --config "$2" --data "$3" --urls http://127.0.0.1:0 \
    >"$WORK/$1.log" 2>&1 &
  SERVED_PID=$!; PIDS+=($SERVED_PID)
  SERVED_URL="$(url_of "$WORK/$1.log" 'gateway' "$SERVED_PID")"
}

echo "== gateways: SQLite, PostgreSQL + Redis, three replicas =="
SQLITE_KEY="$(new_key "$WORK/sqlite.json" "$WORK/data-sqlite" "" "")"
serve sqlite "$WORK/sqlite.json" "$WORK/data-sqlite" "" ""
GW_URL="$SERVED_URL"; GW_PID="$SERVED_PID"
SINGLE_KEY="$(new_key "$WORK/single.json" "$WORK/data-single" "$PG_SINGLE" "$REDIS_SINGLE")"
serve single "$WORK/single.json" "$WORK/data-single" "$PG_SINGLE" "$REDIS_SINGLE"
SINGLE_URL="$SERVED_URL"; SINGLE_PID="$SERVED_PID"
FLEET_KEY="$(new_key "$WORK/fleet.json" "$WORK/data-fleet-1" "$PG_FLEET" "$REDIS_FLEET")"
FLEET_URLS=(); FLEET_PIDS=()
for n in 1 2 3; do # each replica keeps its own data directory (its local journal); the state is in PostgreSQL and Redis
  serve "fleet-$n" "$WORK/fleet.json" "$WORK/data-fleet-$n" "$PG_FLEET" "$REDIS_FLEET"
  FLEET_URLS+=("$SERVED_URL"); FLEET_PIDS+=("$SERVED_PID")
done
for k in "$SQLITE_KEY" "$SINGLE_KEY" "$FLEET_KEY"; do [[ "$k" == tok_* ]] || { echo "could not create a key (got '$k')" >&2; exit 1; }; done

join() { local IFS=,; echo "$*"; }
TARGETS="forwarder|http://127.0.0.1:$FWD_PORT|none|$FWD_PID;pg-redis|$SINGLE_URL|$SINGLE_KEY|$SINGLE_PID;fleet-3|$(join "${FLEET_URLS[@]}")|$FLEET_KEY|$(join "${FLEET_PIDS[@]}")"
mkdir -p "$OUT"
RUNS=$(( $(tr ',' '\n' <<<"$SCENARIOS" | wc -l) * $(tr ',' '\n' <<<"$CONCURRENCY" | wc -l) * 6 ))
LIMIT=$(( RUNS * (${DURATION%.*} + ${WARMUP%.*} + ${INITIAL_WARMUP%.*} + 65) + 60 ))
set +e
timeout --signal=TERM "$LIMIT" dotnet "$BENCH" --simulator "$SIM_URL" --gateway "$GW_URL" --key "$SQLITE_KEY" \
  --gateway-pid "$GW_PID" --simulator-pid "$SIM_PID" --clk-tck "$(getconf CLK_TCK)" --relay "$RELAY_URL" --relay-pid "$RELAY_PID" \
  --targets "$TARGETS" --duration "$DURATION" --warmup "$WARMUP" --initial-warmup "$INITIAL_WARMUP" --concurrency "$CONCURRENCY" \
  --scenarios "$SCENARIOS" --sim-latency-ms "$SIM_LATENCY_MS" --out "$OUT"
BENCH_RC=$?
set -e
# Group commit under load: rows per ledger write (one transaction, one round trip) from each replica's own metric.
batch_rows() { # batch_rows URL... -> "R rows in W writes: X rows per write"
  local sum=0 count=0 s c
  for u in "$@"; do
    s="$(curl -sf "$u/metrics" | awk '/^tokenops_ledger_batch_rows_sum/ {print $2}' | head -n1)"
    c="$(curl -sf "$u/metrics" | awk '/^tokenops_ledger_batch_rows_count/ {print $2}' | head -n1)"
    sum=$(python3 -c "print(int(float('${s:-0}')) + $sum)"); count=$(python3 -c "print(int(float('${c:-0}')) + $count)")
  done
  python3 -c "print(f'{$sum} ledger rows in {$count} writes: {($sum/$count) if $count else 0:.1f} rows per write (whole run, warm-up and c=1 included)')"
}
BATCH_SINGLE="$(batch_rows "$SINGLE_URL")"; BATCH_FLEET="$(batch_rows "${FLEET_URLS[@]}")"; BATCH_SQLITE="$(batch_rows "$GW_URL")"

echo "== stopping the gateways (SIGTERM: they drain and flush their journals) =="
for pid in "$GW_PID" "$SINGLE_PID" "${FLEET_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "$GW_PID" "$SINGLE_PID" "${FLEET_PIDS[@]}"; do for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; done

VERDICT=PASS
check() { # check NAME SENT_FILE CONFIG DATA PG REDIS
  local sent rows ok est
  sent="$(tr -d '[:space:]' <"$OUT/$2" 2>/dev/null || echo missing)"
  SIM_KEY=sim-provider-key TOKENOPS_PG="$5" TOKENOPS_REDIS="$6" dotnet "$CLI" ledger --config "$3" --data "$4" --format json >"$WORK/$1-ledger.jsonl"
  rows="$(wc -l <"$WORK/$1-ledger.jsonl" | tr -d ' ')"
  ok="$(grep -c '"outcome":"Ok"' "$WORK/$1-ledger.jsonl" || true)"
  est="$(grep -c '"estimated":true' "$WORK/$1-ledger.jsonl" || true)"
  local v=PASS; [[ "$rows" == "$sent" && "$ok" == "$sent" && "$est" == "0" ]] || { v=FAIL; VERDICT=FAIL; }
  printf 'Ledger check (%s): %s requests sent, %s rows, %s Ok, %s estimated: %s\n' "$1" "$sent" "$rows" "$ok" "$est" "$v" | tee -a "$OUT/results.md"
}
echo | tee -a "$OUT/results.md"
check gateway gateway-requests.txt "$WORK/sqlite.json" "$WORK/data-sqlite" "" ""
check pg-redis pg-redis-requests.txt "$WORK/single.json" "$WORK/data-single" "$PG_SINGLE" "$REDIS_SINGLE"
check fleet-3 fleet-3-requests.txt "$WORK/fleet.json" "$WORK/data-fleet-1" "$PG_FLEET" "$REDIS_FLEET"
printf 'Ledger writes (SQLite): %s\nLedger writes (pg-redis): %s\nLedger writes (fleet-3): %s\n' "$BATCH_SQLITE" "$BATCH_SINGLE" "$BATCH_FLEET" | tee -a "$OUT/results.md"
echo "results: $OUT/results.md"
[[ "$VERDICT" == "PASS" && "$BENCH_RC" == "0" ]] || exit 1
