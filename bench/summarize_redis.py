"""The Redis part of the bench report (summarize.py calls it): targets and
medians per command at depth 1, and what redis-server counted against what
the clients of both Redis parts reported.

Tool ids (bench/run.sh): RG and RS are stampede sending GET and SET (with
results.csv), BG and BS redis-benchmark's `-t get` and `-t set`; each
stampede row runs right before the redis-benchmark row it is compared with.
All four keep one command in flight per connection; depth 16 is the
pipeline part's (summarize_pipeline.py: PRG PRS PBG PBS), on the same
redis-server.
"""

import re

from mdfmt import fmt, table, verdict
from rawfiles import (collect_tools, parse_redis_benchmark, parse_stampede, ratio, read_text,
                      tool_medians)

NAMES = {
    "RG": "stampede, GET",
    "BG": "redis-benchmark -t get",
    "RS": "stampede, SET",
    "BS": "redis-benchmark -t set",
}

PARSERS = {"RG": parse_stampede, "BG": parse_redis_benchmark,
           "RS": parse_stampede, "BS": parse_redis_benchmark}

# (command, stampede's tool, redis-benchmark's tool, INFO commandstats name)
COMMANDS = [("GET", "RG", "BG", "get"), ("SET", "RS", "BS", "set")]

# stampede's req/CPU-s against redis-benchmark's, per command.
GOAL = 1.0

# Every Redis tool of both parts by the command it sends, for the server's
# count; redis-benchmark's also made a rate probe each (probe-ID).
SENDS = {"RG": "get", "BG": "get", "PRG": "get", "PBG": "get",
         "RS": "set", "BS": "set", "PRS": "set", "PBS": "set"}
PROBED = ("BG", "BS", "PBG", "PBS")


def collect(raw, reps):
    return collect_tools(raw, reps, PARSERS)


def machine_rows(meta):
    if not {"redis", "pipeline"} & set(meta.get("parts", "").split()):
        return []
    return [["redis-server", meta.get("redis_server_version", "n/a")],
            ["redis-benchmark", meta.get("redis_benchmark_version", "n/a")]]


def commandstats(raw):
    """INFO commandstats -> {command: calls}."""
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r"^cmdstat_([\w|]+):calls=(\d+)", read_text(raw / "redis-commandstats.txt"), re.M)}


def reported(raw, runs, tools):
    """Requests the clients reported for `tools`, redis-benchmark's rate
    probes included: (sum, runs without a report)."""
    total, missing = 0, 0
    for t in tools:
        if t not in runs:
            continue
        results = list(runs[t])
        if t in PROBED:
            probe = parse_redis_benchmark(raw, f"probe-{t}")
            results.append(probe or {})
        for r in results:
            if r.get("requests") is None:
                missing += 1
            else:
                total += r["requests"]
    return total, missing


def section(w, raw, meta, reps, runs):
    """Write the Redis part; return its headline figures for the README line."""
    med = tool_medians(runs)

    def rpc_ratio(ours, theirs):
        return ratio(med.get(ours, {}).get("req_per_cpu"), med.get(theirs, {}).get("req_per_cpu"))

    value = meta.get("redis_value_size", "3")
    w("## Redis")
    w("")
    w(f"Debian's redis-server ({meta.get('redis_url', 'n/a')}) on the server core, no persistence "
      "(`--save '' --appendonly no`). The clients are pinned as in the plain part, with the "
      "same reps and run length, in the same rounds: 50 connections, one command in flight "
      "on each (depth 1). stampede writes its results.csv, as tool A does. Both clients send "
      "the same bytes: redis-benchmark's own key, `key:__rand_int__` (left as it is without "
      f"`-r`), and for SET a value of {value} bytes of `x` (its `-d {value}`); the key is set "
      "before the first GET. redis-benchmark runs for a number of requests, not a time: "
      "`-n` is its rate in a short probe before the rounds times the run length "
      f"({meta.get('redis_n', 'n/a')}), so its runs last about as long as stampede's. "
      "Depth 16 is the pipelining part's.")
    w("")

    w("### Redis targets")
    w("")
    rows, figures = [], []
    for cmd, ours, theirs, _ in COMMANDS:
        r = rpc_ratio(ours, theirs)
        figures.append(f"{cmd} {fmt(r, 2)}×")
        rows.append([f"Redis {cmd}, depth 1, req/CPU-s vs redis-benchmark", f"≥ {GOAL:.2f}×",
                     fmt(r, 2) + "×", verdict(r >= GOAL if r is not None else None)])
    passed = sum(1 for row in rows if row[3] == "PASS")
    w(f"{passed} of {len(COMMANDS)} met. Medians over the reps, stampede with results.csv on.")
    w("")
    w(table(["target", "goal", "measured", ""], rows))
    w("")

    w("### Redis medians")
    w("")
    w("As in the plain part: the median of each figure over the reps that worked; "
      "vs redis-benchmark is req/CPU-s against redis-benchmark's for the same command. "
      "Latencies as each tool reports them.")
    w("")
    rows = []
    for cmd, ours, theirs, _ in COMMANDS:
        for t in (ours, theirs):
            if t not in runs:
                continue
            m = med[t]
            rows.append([cmd, NAMES[t], fmt(m["rps"], 0), fmt(m["req_per_cpu"], 0),
                         fmt(rpc_ratio(t, theirs), 2) + "×", fmt(m["user_us"], 2),
                         fmt(m["cpu_us"], 2), fmt(m["rss_mb"], 1), fmt(m["p50"], 3),
                         fmt(m["p99"], 3), fmt(m["errors"], 0), f"{m['n_ok']}/{reps}"])
    w(table(["command", "tool", "req/s", "req/CPU-s", "vs redis-benchmark", "user µs/req",
             "CPU µs/req", "peak RSS MB", "p50 ms", "p99 ms", "errors", "runs ok"], rows))
    w("")

    return (f"Redis depth 1 req/CPU-s vs redis-benchmark: {', '.join(figures)}; "
            f"{passed}/{len(COMMANDS)} Redis targets met")


def server_counts(w, raw, runs):
    """INFO commandstats against what the clients of both Redis parts
    reported; `runs` holds the Redis tools of every part that ran."""
    w("## As redis-server counted")
    w("")
    w("`INFO commandstats` after the last run, against the requests the clients reported "
      "(every timed run of the Redis and pipelining parts and redis-benchmark's rate probes; "
      "SET also counts the one that set the key first). They should be equal: a difference "
      "is a command that one side counted and the other did not.")
    w("")
    stats = commandstats(raw)
    rows = []
    for cmd, _, _, name in COMMANDS:
        total, missing = reported(raw, runs, [t for t, sent in SENDS.items() if sent == name])
        if cmd == "SET":
            total += 1
        calls = stats.get(name)
        diff = f"{calls - total:+,}" if calls is not None else "n/a"
        note = f" ({missing} run(s) without a report)" if missing else ""
        rows.append([cmd, fmt(calls), fmt(total) + note, diff])
    w(table(["command", "server calls", "clients reported", "server − clients"], rows))
    w("")
