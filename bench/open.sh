#!/usr/bin/env bash
# `make bench-open`: the open model against oha's rate limiting with latency
# correction, both pinned to core 0, against one nginx on the last core.
# Writes bench-results/open-YYYY-MM-DD-HHMM.md. Loopback only, bounded runs;
# the only process killed is the nginx master started here, by its PID.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STAMPEDE=${STAMPEDE:-target/release/stampede}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
RATES=${RATES:-"1000 20000 50000"}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v oha >/dev/null || cargo install oha --locked || true
command -v nginx >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light; }

LAST=$(( $(nproc) - 1 ))
WORK=$(mktemp -d /tmp/stampede-open.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s#@WORKDIR@#$WORK#g" -e "s#@PORT@#$PORT#g" -e "s#worker_rlimit_nofile 30000;#worker_rlimit_nofile $(ulimit -Hn);#" bench/nginx.conf > "$WORK/nginx.conf"
taskset -c "$LAST" nginx -c "$WORK/nginx.conf" -p "$WORK" &
NGINX=$!
trap 'kill "$NGINX" 2>/dev/null; wait "$NGINX" 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.05; done
URL="http://127.0.0.1:$PORT/"

for rate in $RATES; do
    /usr/bin/time -f '%U %S %M' -o "$WORK/st-$rate.time" taskset -c 0 "$STAMPEDE" run "$URL" --rate "$rate" \
        -c 50 -d "${SECONDS_PER_RUN}s" --cpus 0 -q --no-out --summary "$WORK/st-$rate.json" > /dev/null
    if command -v oha >/dev/null; then
        /usr/bin/time -f '%U %S %M' -o "$WORK/oha-$rate.time" taskset -c 0 oha --no-tui --worker-threads 1 \
            -c 50 -z "${SECONDS_PER_RUN}s" -q "$rate" --latency-correction --output-format json "$URL" \
            > "$WORK/oha-$rate.json"
    fi
done

python3 - "$WORK" "$RATES" "$SECONDS_PER_RUN" > "bench-results/open-$(date -u +%Y-%m-%d-%H%M).md" <<'PY'
import json, os, sys
work, rates, secs = sys.argv[1], sys.argv[2].split(), float(sys.argv[3])
def cpu(name):
    u, s, m = open(f"{work}/{name}.time").read().split()[-3:]
    return float(u) + float(s), int(m) / 1024
print("# Open model: stampede --rate vs oha -q --latency-correction\n")
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
print(f"{model}, "
      f"kernel {os.uname().release}, {os.cpu_count()} cores. nginx (1 worker) on the last core, "
      f"each client pinned to core 0 with 1 thread, 50 connections, {secs:.0f} s per run.\n")
print("| rate | tool | achieved req/s | CPU µs/req | p50 ms | p99 ms | peak RSS MB |")
print("|---|---|---|---|---|---|---|")
for r in rates:
    j = json.load(open(f"{work}/st-{r}.json"))
    c, m = cpu(f"st-{r}")
    n = j["requests"]
    print(f"| {r} | stampede | {n/secs:.0f} | {1e6*c/n:.2f} | {j['latency_ms']['p50']:.3f} | {j['latency_ms']['p99']:.3f} | {m:.1f} |")
    if os.path.exists(f"{work}/oha-{r}.json"):
        o = json.load(open(f"{work}/oha-{r}.json"))
        c, m = cpu(f"oha-{r}")
        n = sum(o.get("statusCodeDistribution", {}).values())
        p = o.get("latencyPercentiles", {})
        print(f"| {r} | oha | {n/secs:.0f} | {1e6*c/max(n,1):.2f} | {1000*p.get('p50',0):.3f} | {1000*p.get('p99',0):.3f} | {m:.1f} |")
print("\nstampede's achieved rate counts requests due in the run (its CSV rows); oha's counts responses.")
PY
ls -t bench-results/open-*.md | head -1
