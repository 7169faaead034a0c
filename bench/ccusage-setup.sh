# Sourced by the ccusage side-by-side scripts: installs ccusage 20.0.24 and its native binary into a temp folder (never
# committed) and builds the log generator and tokenops in Release. Sets ROOT, WORK, CC.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${CCUSAGE_BENCH_DIR:-/tmp/tokenops-ccusage-bench}
mkdir -p "$WORK"
CC="$WORK/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage"
if [[ ! -x "$CC" ]]; then
  (cd "$WORK" && npm init -y >/dev/null && npm install --no-audit --no-fund ccusage@20.0.24 @ccusage/ccusage-linux-x64@20.0.24 >/dev/null)
  chmod +x "$CC"
fi
dotnet build "$ROOT/bench/TokenOps.LogGen" -c Release -v q >/dev/null
dotnet build "$ROOT/src/TokenOps" -c Release -v q >/dev/null
