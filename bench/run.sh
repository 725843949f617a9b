#!/usr/bin/env bash
# `make bench`: stampede against wrk and oha, all hitting one nginx on
# loopback, over plain HTTP and over TLS, and against redis-benchmark on one
# redis-server, with and without pipelining, and a report in
# bench-results/YYYY-MM-DD-HHMM.md.
#
# Layout on a 2-core box: nginx (1 worker) and redis-server on the LAST core,
# every client on core 0, so the client's CPU cost is what separates the
# tools. The main figure is requests per client CPU-second (user+sys from
# /usr/bin/time): on a shared or noisy machine req/s moves a lot, CPU per
# request much less.
#
# Four parts, interleaved in the same rounds, with the same pinning:
#   plain  A B C D [E]: 50 keep-alive connections over HTTP, then the strace
#          and perf probes and the 10k-user run.
#   tls    against nginx's TLS port (bench/nginx-tls.conf, a throwaway CA from
#          bench/pki.sh): TA TC TD, 50 keep-alive connections (stampede, wrk,
#          oha); NA NC ND, a new connection per request with sessions
#          resumed (stampede, wrk with `Connection: close`, oha
#          --disable-keepalive); NF NW, a new connection per request with a
#          full handshake each (stampede --no-tls-resume, wrk with
#          `Connection: close`) against a second TLS port of the same
#          nginx that refuses resumption, since wrk cannot be told not to
#          resume; then a short resumption probe of each N* client, read
#          from nginx's log.
#   redis  against Debian's redis-server (persistence off), 50 connections,
#          one command in flight on each: RG BG GET, RS BS SET, stampede
#          (results.csv on) then redis-benchmark each time. redis-benchmark
#          has no duration flag, only -n: a short probe of each of its
#          commands first measures its rate, and -n is that rate times
#          SECONDS_PER_RUN, so its runs last about as long as stampede's and
#          end on their own with the full report (a timeout of 5x that plus
#          30 s only guards against a hang). Both send the same bytes: the
#          key is redis-benchmark's own `key:__rand_int__` (a literal without
#          -r) and the value REDIS_VALUE_SIZE bytes of `x`, as its -d makes.
#   pipeline  PIPELINE_DEPTH (16) requests in flight on each of the same 50
#          connections: PA PC, stampede --pipeline 16 (results.csv on)
#          then wrk with bench/pipeline.lua (16 requests written at once,
#          the next 16 once all have answered) against the plain part's
#          nginx and page; PRG PBG GET, PRS PBS SET, stampede --pipeline 16
#          (results.csv on) then redis-benchmark -P 16 --threads 1 against
#          the same redis-server, keys, values and rate probe as the redis
#          part (each -P 16 command probed on its own, from a guess of
#          100,000/s). Pipelined rows must have no errors: stampede's
#          failures, wrk's socket errors and non-2xx/3xx responses, a
#          redis-benchmark without its report (an error reply stops it). The
#          report is still written, but then the script ends with exit 1.
# At the defaults, all parts take about 12 minutes (plain 2.5, TLS 4.5,
# Redis 2, pipelining 3).
#
# Environment:
#   STAMPEDE=path        binary to test (default target/release/stampede)
#   STAMPEDE_BEFORE=path an earlier build, run as tool E exactly as A, for a
#                        before/after comparison within one run (default none;
#                        plain part only)
#   PARTS="plain tls redis pipeline" which parts to run (any of them)
#   REPS=3               rounds of every tool of the parts run
#   SECONDS_PER_RUN=10   length of each timed run (and of the 10k-user run)
#   PROBE_SECONDS=3      length of the strace, perf and resumption probe runs
#   BIG_USERS=10000      users in the many-users run
#   PORT=, TLS_PORT=,    nginx's ports: plain, TLS, TLS without resumption
#   TLS_FULL_PORT=       (default: free ones picked at start)
#   REDIS_PORT=          redis-server's port (default: a free one)
#   REDIS_VALUE_SIZE=3   bytes of the SET value (redis-benchmark's -d default)
#   KEEP_WORK=1          keep the temp dir even when the run succeeds
#
# Everything here is bounded in time and talks to 127.0.0.1 only. The only
# processes this script ever kills are the nginx master and the redis-server
# it started, by PID.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."   # repo root: paths below are relative to it

STAMPEDE=${STAMPEDE:-target/release/stampede}
STAMPEDE_BEFORE=${STAMPEDE_BEFORE:-}
REPS=${REPS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
PROBE_SECONDS=${PROBE_SECONDS:-3}
BIG_USERS=${BIG_USERS:-10000}
USERS=50
# In flight on each connection in the pipeline part (stampede --pipeline,
# wrk's bench/pipeline.lua, redis-benchmark -P).
PIPELINE_DEPTH=16
CLIENT_CORE=0
RESULTS_DIR=bench-results

log() { echo "[bench] $*" >&2; }
die() { log "error: $*"; exit 1; }

PARTS=${PARTS:-plain tls redis pipeline}
PARTS=${PARTS//,/ }
for part in $PARTS; do
    case $part in
        plain | tls | redis | pipeline) ;;
        *) die "PARTS: unknown part '$part' (plain, tls, redis, pipeline)" ;;
    esac
done
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
has_part plain || has_part tls || has_part redis || has_part pipeline \
    || die "PARTS: name plain, tls, redis or pipeline"
# nginx serves the plain, TLS and pipeline parts, redis-server the redis
# and pipeline parts.
has_nginx() { has_part plain || has_part tls || has_part pipeline; }
has_redis() { has_part redis || has_part pipeline; }
REDIS_VALUE_SIZE=${REDIS_VALUE_SIZE:-3}
[[ $REDIS_VALUE_SIZE =~ ^[1-9][0-9]{0,5}$ ]] || die "REDIS_VALUE_SIZE: a number of bytes from 1 to 999999"

# ---------------------------------------------------------------------------
# Tools. Installed only when missing (apt-get needs root, which the dev and CI
# machines are). oha comes from crates.io; if it cannot be built, the report
# says so and the other tools still run.
# ---------------------------------------------------------------------------
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

need_apt=()
command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v wrk >/dev/null || need_apt+=(wrk)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v strace >/dev/null || need_apt+=(strace)
command -v taskset >/dev/null || need_apt+=(util-linux)
command -v openssl >/dev/null || need_apt+=(openssl)
if has_redis; then
    command -v redis-server >/dev/null || need_apt+=(redis-server)
    command -v redis-benchmark >/dev/null || need_apt+=(redis-tools)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]} with apt-get"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_apt[@]}"
fi
# perf is optional: its figures are extra, so a failed install is only noted.
if ! command -v perf >/dev/null; then
    log "installing linux-perf (optional)"
    { [ ${#need_apt[@]} -gt 0 ] || apt-get update >/dev/null 2>&1; } || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y linux-perf >/dev/null 2>&1 \
        || log "linux-perf could not be installed; perf figures will be skipped"
fi

OHA_NOTE=""
if ! command -v oha >/dev/null; then
    log "installing oha with cargo (one-time, several minutes)"
    if ! cargo install oha --locked >/tmp/stampede-bench-oha-install.log 2>&1; then
        OHA_NOTE="oha could not be installed (cargo install oha --locked failed; see /tmp/stampede-bench-oha-install.log); oha was skipped"
        log "$OHA_NOTE"
    fi
fi
HAVE_OHA=0
if command -v oha >/dev/null; then HAVE_OHA=1; fi

[ -x "$STAMPEDE" ] || die "no stampede binary at $STAMPEDE (run make build, or set STAMPEDE=path)"

NCPU=$(nproc)
LAST_CORE=$((NCPU - 1))
if [ "$NCPU" -lt 2 ]; then
    log "warning: only $NCPU core; the servers and the clients will share core 0"
fi

# ---------------------------------------------------------------------------
# Work dir, nginx and redis-server.
# ---------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/stampede-bench.XXXXXX)
RAW=$WORK/raw
NGX=$WORK/nginx
mkdir -p "$RAW" "$NGX"
NGINX_PID=""
REDIS_PID=""

# stop_server PID: SIGTERM to a server we started (nginx's master stops its
# worker; redis-server, with nothing to save, exits), then wait for it.
stop_server() {
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop_server "$NGINX_PID"
    stop_server "$REDIS_PID"
    rm -f "$WORK"/*.csv    # request CSVs can be tens of MB
    rm -f "$WORK/tls/server.key"    # a throwaway, but keys never linger
    if [ "$rc" -eq 0 ] && [ "${KEEP_WORK:-0}" != 1 ]; then
        rm -rf "$WORK"
    else
        log "raw outputs kept in $WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Ask the kernel for free ports, so a stray server on 8080 can't be hit; the
# sockets are bound at once, so the ports differ.
read -r FREE1 FREE2 FREE3 FREE4 < <(python3 -c 'import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
PORT=${PORT:-$FREE1}
TLS_PORT=${TLS_PORT:-$FREE2}
TLS_FULL_PORT=${TLS_FULL_PORT:-$FREE3}
REDIS_PORT=${REDIS_PORT:-$FREE4}
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
URL="http://127.0.0.1:$PORT/"
TLS_URL="https://127.0.0.1:$TLS_PORT/"
TLS_FULL_URL="https://127.0.0.1:$TLS_FULL_PORT/"
TLS=$WORK/tls
CA=$TLS/ca.pem
# oha verifies the server against --cacert when it has the flag (1.x does);
# an older one can only skip verification, which the report then says.
OHA_TLS=(--insecure)
if [ "$HAVE_OHA" = 1 ] && oha --help 2>&1 | grep -q -- '--cacert'; then OHA_TLS=(--cacert "$CA"); fi

# nginx cannot raise its file limit above the hard limit once its worker has
# dropped root, so ask for min(30000, hard limit) and avoid a spurious alert.
NOFILE=30000
HARD=$(ulimit -Hn)
if [ "$HARD" != unlimited ] && [ "$HARD" -lt "$NOFILE" ]; then
    NOFILE=$HARD
fi
sed -e "s|@WORKDIR@|$NGX|g" -e "s|@PORT@|$PORT|g" -e "s|worker_rlimit_nofile 30000;|worker_rlimit_nofile $NOFILE;|" \
    bench/nginx.conf >"$NGX/nginx.conf"
PORTS=$PORT
if has_part tls; then
    bash bench/pki.sh "$TLS" || die "could not make the throwaway PKI with openssl"
    sed -e "s|@WORKDIR@|$NGX|g" -e "s|@TLS_PORT@|$TLS_PORT|g" -e "s|@TLS_FULL_PORT@|$TLS_FULL_PORT|g" \
        -e "s|@TLSDIR@|$TLS|g" bench/nginx-tls.conf >"$NGX/tls-server.conf"
    PORTS="$PORT $TLS_PORT $TLS_FULL_PORT"
fi

if has_nginx; then
    log "starting nginx on 127.0.0.1:${PORTS// /, } (core $LAST_CORE), work dir $WORK"
    # taskset execs nginx, so $! is the nginx master's PID.
    taskset -c "$LAST_CORE" nginx -c "$NGX/nginx.conf" -p "$NGX/" >"$NGX/stdout.log" 2>&1 &
    NGINX_PID=$!

    for port in $PORTS; do
        for _ in $(seq 100); do
            kill -0 "$NGINX_PID" 2>/dev/null || { cat "$NGX/error.log" "$NGX/stdout.log" >&2 || true; die "nginx exited"; }
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                break
            fi
            sleep 0.1
        done
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "nginx did not answer on port $port within 10 s"
    done
fi

# redis-server: no persistence (nothing is written to disk during a run),
# no protected mode (it is bound to loopback anyway). The key is set before
# any GET row, so that every GET finds it.
REDIS_KEY='key:__rand_int__'
REDIS_VALUE=$(printf "%${REDIS_VALUE_SIZE}s" '' | tr ' ' x)
if has_redis; then
    log "starting redis-server on 127.0.0.1:$REDIS_PORT (core $LAST_CORE)"
    mkdir -p "$WORK/redis"
    # taskset execs redis-server, so $! is its PID. Its working dir is the
    # temp dir, in case anything is ever written.
    (cd "$WORK/redis" && exec taskset -c "$LAST_CORE" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
        --save '' --appendonly no --protected-mode no >"$WORK/redis/stdout.log" 2>&1) &
    REDIS_PID=$!
    for _ in $(seq 100); do
        kill -0 "$REDIS_PID" 2>/dev/null || { cat "$WORK/redis/stdout.log" >&2 || true; die "redis-server exited"; }
        if [ "$(redis-cli -p "$REDIS_PORT" PING 2>/dev/null)" = PONG ]; then break; fi
        sleep 0.1
    done
    [ "$(redis-cli -p "$REDIS_PORT" PING 2>/dev/null)" = PONG ] || die "redis-server did not answer on port $REDIS_PORT within 10 s"
    [ "$(redis-cli -p "$REDIS_PORT" SET "$REDIS_KEY" "$REDIS_VALUE")" = OK ] || die "redis-server refused the SET of $REDIS_KEY"
fi

# ---------------------------------------------------------------------------
# Facts for the report: key<TAB>value lines read by summarize.py.
# ---------------------------------------------------------------------------
META=$WORK/meta.tsv
{
    printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    printf 'kernel\t%s\n' "$(uname -r)"
    printf 'nproc\t%s\n' "$NCPU"
    printf 'loadavg\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'stampede_version\t%s\n' "$("$STAMPEDE" --version 2>&1 | head -1)"
    printf 'stampede_path\t%s\n' "$STAMPEDE"
    printf 'stampede_before\t%s\n' "$STAMPEDE_BEFORE"
    printf 'git_rev\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ modified)')"
    printf 'wrk_version\t%s\n' "$(wrk -v 2>&1 | head -1 || true)"
    if [ "$HAVE_OHA" = 1 ]; then
        printf 'oha_version\t%s\n' "$(oha --version 2>&1 | head -1)"
    else
        printf 'oha_version\t%s\n' "not installed"
    fi
    printf 'oha_note\t%s\n' "$OHA_NOTE"
    printf 'nginx_version\t%s\n' "$(nginx -v 2>&1 | head -1)"
    printf 'nginx_nofile\t%s\n' "$NOFILE"
    printf 'ulimit_n\t%s\n' "$(ulimit -Sn)/$(ulimit -Hn)"
    printf 'reps\t%s\n' "$REPS"
    printf 'seconds\t%s\n' "$SECONDS_PER_RUN"
    printf 'probe_seconds\t%s\n' "$PROBE_SECONDS"
    printf 'users\t%s\n' "$USERS"
    printf 'big_users\t%s\n' "$BIG_USERS"
    printf 'client_core\t%s\n' "$CLIENT_CORE"
    printf 'server_core\t%s\n' "$LAST_CORE"
    printf 'url\t%s\n' "$URL"
    printf 'parts\t%s\n' "$PARTS"
    if has_part tls; then
        printf 'tls_url\t%s\n' "$TLS_URL"
        printf 'tls_full_url\t%s\n' "$TLS_FULL_URL"
        printf 'openssl_version\t%s\n' "$(openssl version 2>&1 | head -1)"
        printf 'oha_tls\t%s\n' "${OHA_TLS[0]}"
    fi
    if has_redis; then
        printf 'redis_url\t%s\n' "$REDIS_URL"
        printf 'redis_server_version\t%s\n' "$(redis-server --version 2>&1 | head -1)"
        printf 'redis_benchmark_version\t%s\n' "$(redis-benchmark --version 2>&1 | head -1)"
        printf 'redis_value_size\t%s\n' "$REDIS_VALUE_SIZE"
    fi
    if has_part pipeline; then
        printf 'pipeline_depth\t%s\n' "$PIPELINE_DEPTH"
    fi
} >"$META"

# Commands as run, one per line: id<TAB>command (shell-quoted).
CMDS=$WORK/commands.tsv
: >"$CMDS"

# run_timed ID CMD...: one client run on core 0 under /usr/bin/time.
# %U %S %M = user s, sys s, peak RSS KB. A failing tool does not stop the
# bench: its exit code is recorded and the report marks the run.
run_timed() {
    local id=$1
    shift
    printf '%s\t/usr/bin/time -f %s taskset -c %s %s\n' "$id" "'%U %S %M'" "$CLIENT_CORE" "$(printf '%q ' "$@")" >>"$CMDS"
    local rc=0
    /usr/bin/time -f '%U %S %M' -o "$RAW/$id.time" taskset -c "$CLIENT_CORE" "$@" \
        >"$RAW/$id.out" 2>"$RAW/$id.err" </dev/null || rc=$?
    echo "$rc" >"$RAW/$id.rc"
    [ "$rc" -eq 0 ] || log "$id exited with $rc (see $RAW/$id.err)"
}

# stampede sends `User-Agent: stampede/VERSION` by default and wrk sends no
# User-Agent. nginx scans every User-Agent for browser names, which cost it
# about 3% of its throughput here, so with different requests the req/s
# would compare two nginx workloads, not two clients. `-H 'User-Agent:'`
# removes the header: stampede then sends wrk's request byte for byte
# (`GET / HTTP/1.1`, `Host`). oha keeps its own User-Agent (it cannot drop it).
SAME_AS_WRK=(-H 'User-Agent:')

# client_cmd TOOL ID SECONDS [PATH]: set CMD to that client's command line;
# PATH (the TLS tools only) is the request path, for the resumption probe.
# A and B differ only in the CSV; every stampede run also writes its summary
# JSON (written once at the end, so it costs nothing during the run).
client_cmd() {
    local t=$1 id=$2 secs=$3 turl=$TLS_URL${4:-} furl=$TLS_FULL_URL${4:-}
    case $t in
        A) CMD=("$STAMPEDE" run "$URL" -c "$USERS" -d "${secs}s" --cpus "$CLIENT_CORE" -q
                "${SAME_AS_WRK[@]}" -o "$WORK/results.csv" --summary "$RAW/$id.json") ;;
        B) CMD=("$STAMPEDE" run "$URL" -c "$USERS" -d "${secs}s" --cpus "$CLIENT_CORE" -q
                "${SAME_AS_WRK[@]}" --no-out --summary "$RAW/$id.json") ;;
        C) CMD=(wrk -t1 -c"$USERS" -d"${secs}s" --latency "$URL") ;;
        # oha: one worker thread (like wrk -t1 and stampede --cpus 0), no TUI,
        # JSON on stdout so its figures are parsed rather than scraped.
        E) CMD=("$STAMPEDE_BEFORE" run "$URL" -c "$USERS" -d "${secs}s" --cpus "$CLIENT_CORE" -q
                "${SAME_AS_WRK[@]}" -o "$WORK/results.csv" --summary "$RAW/$id.json") ;;
        D) CMD=(oha --no-tui --output-format json --worker-threads 1 -c "$USERS" -z "${secs}s" "$URL") ;;
        # TLS, keep-alive: the same as A, C and D, over https. wrk never
        # verifies the server; stampede and oha verify against the bench CA.
        TA) CMD=("$STAMPEDE" run "$turl" -c "$USERS" -d "${secs}s" --cpus "$CLIENT_CORE" -q
                 "${SAME_AS_WRK[@]}" --cacert "$CA" -o "$WORK/results.csv" --summary "$RAW/$id.json") ;;
        TC) CMD=(wrk -t1 -c"$USERS" -d"${secs}s" --latency "$turl") ;;
        TD) CMD=(oha --no-tui --output-format json --worker-threads 1 -c "$USERS" -z "${secs}s"
                 "${OHA_TLS[@]}" "$turl") ;;
        # TLS, a new connection per request, sessions resumed: stampede (its
        # default), wrk and oha, which resume whenever the server lets them.
        NA) CMD=("$STAMPEDE" run "$turl" -c "$USERS" -d "${secs}s" --cpus "$CLIENT_CORE" -q
                 "${SAME_AS_WRK[@]}" --cacert "$CA" --no-keepalive
                 -o "$WORK/results.csv" --summary "$RAW/$id.json") ;;
        NC) CMD=(wrk -t1 -c"$USERS" -d"${secs}s" --latency -H 'Connection: close' "$turl") ;;
        ND) CMD=(oha --no-tui --output-format json --worker-threads 1 -c "$USERS" -z "${secs}s"
                 "${OHA_TLS[@]}" --disable-keepalive "$turl") ;;
        # TLS, a new connection per request, a full handshake each: both on
        # the port that refuses resumption, the only way to stop wrk from
        # resuming; stampede also offers no session (--no-tls-resume).
        NF) CMD=("$STAMPEDE" run "$furl" -c "$USERS" -d "${secs}s" --cpus "$CLIENT_CORE" -q
                 "${SAME_AS_WRK[@]}" --cacert "$CA" --no-keepalive --no-tls-resume
                 -o "$WORK/results.csv" --summary "$RAW/$id.json") ;;
        NW) CMD=(wrk -t1 -c"$USERS" -d"${secs}s" --latency -H 'Connection: close' "$furl") ;;
        # Redis, one command in flight per connection (RG RS BG BS) or
        # PIPELINE_DEPTH (PRG PRS PBG PBS): stampede with results.csv, and
        # redis-benchmark with one thread (like wrk -t1), -n from its
        # measured rate (REDIS_RATE, see the probe below).
        RG | RS | PRG | PRS)
            local redis_cmd="GET $REDIS_KEY" pipe=()
            if [[ $t == *S ]]; then redis_cmd="SET $REDIS_KEY $REDIS_VALUE"; fi
            if [[ $t == P* ]]; then pipe=(--pipeline "$PIPELINE_DEPTH"); fi
            CMD=("$STAMPEDE" run "$REDIS_URL" --command "$redis_cmd" -c "$USERS" "${pipe[@]}"
                 -d "${secs}s" --cpus "$CLIENT_CORE" -q -o "$WORK/results.csv" --summary "$RAW/$id.json") ;;
        BG | BS | PBG | PBS)
            local test=get depth=1
            if [[ $t == *S ]]; then test=set; fi
            if [[ $t == P* ]]; then depth=$PIPELINE_DEPTH; fi
            CMD=(timeout $((secs * 5 + 30)) redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t "$test"
                 -c "$USERS" -P "$depth" --threads 1 -n $((REDIS_RATE[$t] * secs)) -d "$REDIS_VALUE_SIZE") ;;
        # HTTP/1.1 pipelining against the plain part's nginx and page, the
        # same request bytes: stampede keeps PIPELINE_DEPTH in flight on
        # each connection (a new request as each response comes), wrk
        # writes that many at once and the next batch once all have come.
        PA) CMD=("$STAMPEDE" run "$URL" -c "$USERS" --pipeline "$PIPELINE_DEPTH" -d "${secs}s"
                 --cpus "$CLIENT_CORE" -q "${SAME_AS_WRK[@]}" -o "$WORK/results.csv"
                 --summary "$RAW/$id.json") ;;
        PC) CMD=(wrk -t1 -c"$USERS" -d"${secs}s" --latency -s bench/pipeline.lua "$URL" -- "$PIPELINE_DEPTH") ;;
        *) die "unknown tool $t" ;;
    esac
}

TOOLS=""
if has_part plain; then
    TOOLS="A B C"
    if [ "$HAVE_OHA" = 1 ]; then TOOLS="A B C D"; fi
    if [ -n "$STAMPEDE_BEFORE" ]; then
        [ -x "$STAMPEDE_BEFORE" ] || die "STAMPEDE_BEFORE=$STAMPEDE_BEFORE is not an executable"
        TOOLS="$TOOLS E"
    fi
fi
# The new-connection clients, also run once more each against the probe path.
# Each pair compared in a target runs back to back (NA NC, NF NW).
TLS_NEW=""
if has_part tls; then
    if [ "$HAVE_OHA" = 1 ]; then
        TOOLS="$TOOLS TA TC TD"
        TLS_NEW="NA NC ND NF NW"
    else
        TOOLS="$TOOLS TA TC"
        TLS_NEW="NA NC NF NW"
    fi
    TOOLS="$TOOLS $TLS_NEW"
fi
# Redis: each stampede row right before the redis-benchmark row it is
# compared with.
if has_part redis; then
    TOOLS="$TOOLS RG BG RS BS"
fi
# Pipelining: the same, stampede right before its peer.
if has_part pipeline; then
    TOOLS="$TOOLS PA PC PRG PBG PRS PBS"
fi
TOOLS=${TOOLS# }

# A failed run takes no time, so the estimate is an upper bound.
total=$((REPS * $(wc -w <<<"$TOOLS") * SECONDS_PER_RUN))
if has_part plain; then total=$((total + 4 * PROBE_SECONDS + SECONDS_PER_RUN)); fi
total=$((total + $(wc -w <<<"$TLS_NEW") * PROBE_SECONDS))
# redis-benchmark's rate probes: about 2 s each at most.
PROBED=""
if has_part redis; then PROBED="BG BS"; fi
if has_part pipeline; then PROBED="$PROBED PBG PBS"; fi
total=$((total + 2 * $(wc -w <<<"$PROBED")))
log "timed runs: $REPS x ($TOOLS) x ${SECONDS_PER_RUN}s, $USERS users; about ${total}s in all"
printf 'tools\t%s\n' "$TOOLS" >>"$META"

# redis-benchmark's rate, measured once per command and depth with a 2 s
# guess (10,000/s at depth 1, 100,000/s pipelined; its output says the rate
# it reached), sets its -n for the timed runs. Those runs then end on their
# own after about SECONDS_PER_RUN; a failed probe leaves the guess, which
# the report shows.
declare -A REDIS_RATE=([BG]=10000 [BS]=10000 [PBG]=100000 [PBS]=100000)
for t in $PROBED; do
    id="probe-$t"
    log "redis-benchmark rate probe: $t"
    client_cmd "$t" "$id" 2
    run_timed "$id" "${CMD[@]}"
    rate=$(tr '\r' '\n' <"$RAW/$id.out" | sed -n 's/.*throughput summary: \([0-9]*\).*/\1/p' | head -1)
    if [ -n "$rate" ] && [ "$rate" -gt 0 ]; then
        REDIS_RATE[$t]=$rate
    else
        log "$id: no rate in its output; keeping the guess of ${REDIS_RATE[$t]}/s"
    fi
done
if has_part redis; then
    printf 'redis_n\tGET %s, SET %s\n' $((REDIS_RATE[BG] * SECONDS_PER_RUN)) \
        $((REDIS_RATE[BS] * SECONDS_PER_RUN)) >>"$META"
fi
if has_part pipeline; then
    printf 'pipeline_redis_n\tGET %s, SET %s\n' $((REDIS_RATE[PBG] * SECONDS_PER_RUN)) \
        $((REDIS_RATE[PBS] * SECONDS_PER_RUN)) >>"$META"
fi

for rep in $(seq "$REPS"); do
    for t in $TOOLS; do
        id="$t-$rep"
        log "rep $rep/$REPS: $t"
        client_cmd "$t" "$id" "$SECONDS_PER_RUN"
        run_timed "$id" "${CMD[@]}"
        if [ -f "$WORK/results.csv" ]; then
            # Keep the row count (a sanity check: rows = requests), drop the file.
            echo $(($(wc -l <"$WORK/results.csv") - 1)) >"$RAW/$id.csvrows"
            rm -f "$WORK/results.csv"
        fi
    done
done

# ---------------------------------------------------------------------------
# Syscalls per request: strace -c -f over short runs. strace slows the client
# a lot, which changes batching (more events per epoll_wait), so perf's
# tracepoint count below, when available, is the less disturbed figure.
# These probes, like the 10k-user run, belong to the plain part.
# ---------------------------------------------------------------------------
PROBE_TOOLS=""
if has_part plain; then PROBE_TOOLS="A C"; fi
for t in $PROBE_TOOLS; do
    id="strace-$t"
    log "strace: $t for ${PROBE_SECONDS}s"
    client_cmd "$t" "$id" "$PROBE_SECONDS"
    run_timed "$id" strace -c -f -o "$RAW/$id.strace" "${CMD[@]}"
    rm -f "$WORK/results.csv"
done

# ---------------------------------------------------------------------------
# perf stat (optional): software events always, hardware counters and the
# syscall tracepoint only when this kernel/VM supports them.
# ---------------------------------------------------------------------------
perf_event_ok() {
    local out
    out=$(perf stat -x, -e "$1" true 2>&1) || return 1
    ! grep -q -e '<not supported>' -e '<not counted>' <<<"$out"
}
PERF_EVENTS=""
if command -v perf >/dev/null && perf_event_ok task-clock; then
    PERF_EVENTS="task-clock,context-switches,cpu-migrations,page-faults"
    for ev in raw_syscalls:sys_enter instructions cycles; do
        if perf_event_ok "$ev"; then PERF_EVENTS="$PERF_EVENTS,$ev"; fi
    done
    # Per-syscall tracepoints: the untraced breakdown that strace can't give.
    if [[ $PERF_EVENTS == *raw_syscalls* ]]; then
        for sc in sendto recvfrom write read writev readv epoll_wait epoll_pwait epoll_ctl futex; do
            ev="syscalls:sys_enter_$sc"
            if perf_event_ok "$ev"; then PERF_EVENTS="$PERF_EVENTS,$ev"; fi
        done
    fi
    printf 'perf_events\t%s\n' "$PERF_EVENTS" >>"$META"
    for t in $PROBE_TOOLS; do
        id="perf-$t"
        log "perf stat: $t for ${PROBE_SECONDS}s"
        client_cmd "$t" "$id" "$PROBE_SECONDS"
        run_timed "$id" perf stat -x, -o "$RAW/$id.perf" -e "$PERF_EVENTS" -- "${CMD[@]}"
        rm -f "$WORK/results.csv"
    done
else
    printf 'perf_events\t%s\n' "" >>"$META"
    log "perf stat unavailable; skipped"
fi

# ---------------------------------------------------------------------------
# Many users: BIG_USERS connections on one core, CSV on (the default).
# ---------------------------------------------------------------------------
if has_part plain; then
    log "$BIG_USERS users for ${SECONDS_PER_RUN}s"
    run_timed big "$STAMPEDE" run "$URL" -c "$BIG_USERS" -d "${SECONDS_PER_RUN}s" --cpus "$CLIENT_CORE" -q \
        "${SAME_AS_WRK[@]}" -o "$WORK/results.csv" --summary "$RAW/big.json"
    rm -f "$WORK/results.csv"
fi

# ---------------------------------------------------------------------------
# TLS resumption probe: each new-connection client once more for
# PROBE_SECONDS, on the path /probe-ID, where nginx logs for every request
# whether its TLS session was resumed ($ssl_session_reused). This is what
# the server saw, whatever each client's docs say. Not timed for figures.
# ---------------------------------------------------------------------------
for t in $TLS_NEW; do
    id="probe-$t"
    log "resumption probe: $t for ${PROBE_SECONDS}s"
    client_cmd "$t" "$id" "$PROBE_SECONDS" "$id"
    run_timed "$id" "${CMD[@]}"
    rm -f "$WORK/results.csv"
done
if [ -n "$TLS_NEW" ]; then
    cp "$NGX/tls-probe.log" "$RAW/tls-probe.log" 2>/dev/null || : >"$RAW/tls-probe.log"
fi

# What redis-server counted, to check the clients' counts against.
if has_redis; then
    redis-cli -p "$REDIS_PORT" INFO commandstats >"$RAW/redis-commandstats.txt" 2>&1 || true
fi

# nginx's error log is worth a look if the 10k run had errors.
cp "$NGX/error.log" "$RAW/nginx-error.log" 2>/dev/null || true

# ---------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------
mkdir -p "$RESULTS_DIR"
name=$(date +%Y-%m-%d-%H%M)
[ -e "$RESULTS_DIR/$name.md" ] && name=$(date +%Y-%m-%d-%H%M%S)
# summarize.py exits 3 when a pipelined row had errors: the report is
# written, and says so, but the run did not give a result.
rc=0
python3 -B bench/summarize.py "$WORK" "$RESULTS_DIR/$name.md" "$RESULTS_DIR/README.md" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || die "bench/summarize.py failed (exit $rc)"
log "wrote $RESULTS_DIR/$name.md"
[ "$rc" -eq 0 ] || die "pipelined rows had errors (see 'Pipelined rows without errors' in $RESULTS_DIR/$name.md); the figures are no result"
