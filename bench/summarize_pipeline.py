"""The pipelining part of the bench report (summarize.py calls it): what was
compared, targets, medians per row pair, and the check that no pipelined
row had an error (summarize.py exits 3 when one had).

Tool ids (bench/run.sh): PA is stampede --pipeline 16 against nginx (CSV
on), PC wrk with bench/pipeline.lua at the same depth; PRG and PRS are
stampede --pipeline 16 sending GET and SET (results.csv on), PBG and PBS
redis-benchmark -P 16. Each stampede row runs right before its peer's.
"""

from mdfmt import fmt, table, verdict
from rawfiles import (collect_tools, load_json, parse_redis_benchmark, parse_stampede, parse_wrk,
                      ratio, tool_medians)

NAMES = {
    "PA": "stampede --pipeline 16",
    "PC": "wrk, bench/pipeline.lua",
    "PRG": "stampede --pipeline 16, GET",
    "PBG": "redis-benchmark -P 16 -t get",
    "PRS": "stampede --pipeline 16, SET",
    "PBS": "redis-benchmark -P 16 -t set",
}

PARSERS = {"PA": parse_stampede, "PC": parse_wrk, "PRG": parse_stampede,
           "PBG": parse_redis_benchmark, "PRS": parse_stampede, "PBS": parse_redis_benchmark}

# (what, stampede's tool, its peer, the peer's name, goal as a ratio of
# req/CPU-s): the targets.
PAIRS = [
    ("HTTP/1.1 GET", "PA", "PC", "wrk", 1.2),
    ("Redis GET", "PRG", "PBG", "redis-benchmark", 1.0),
    ("Redis SET", "PRS", "PBS", "redis-benchmark", 1.0),
]

STAMPEDE = ("PA", "PRG", "PRS")
REDIS = ("PRG", "PBG", "PRS", "PBS")


def collect(raw, reps):
    return collect_tools(raw, reps, PARSERS)


def redis_runs(runs):
    """The Redis rows, for the server's count (summarize_redis.server_counts)."""
    return {t: r for t, r in runs.items() if t in REDIS}


def problems(raw, runs):
    """Every pipelined run that went wrong, one line each: a tool that
    failed or gave no figures, any error it counted (stampede's failures,
    wrk's socket errors and non-2xx/3xx responses; redis-benchmark stops at
    an error reply, so it then has no report), and for stampede any HTTP
    status outside 2xx/3xx (stampede counts those as complete, not failed)
    or a results.csv whose rows are not its requests."""
    out = []
    for t, tool_runs in runs.items():
        for r in tool_runs:
            what = []
            if r["rc"] != 0:
                what.append(f"exit {r['rc']}")
            if not r["ok"]:
                what.append("no figures")
            if r.get("errors"):
                what.append(f"{r['errors']:,} errors ({r.get('error_detail') or 'no detail'})")
            if t == "PA" and r["ok"]:
                summary = load_json(raw / f"{r['id']}.json") or {}
                odd = {s: n for s, n in summary.get("status_counts", {}).items()
                       if not (s.isdigit() and 200 <= int(s) < 400)}
                if odd:
                    what.append("statuses " + ", ".join(f"{s}: {n:,}" for s, n in odd.items()))
            if t in STAMPEDE and r["ok"]:
                if r.get("csv_rows") != r["requests"]:
                    what.append(f"{fmt(r.get('csv_rows'))} CSV rows for {r['requests']:,} requests")
            if what:
                out.append(f"{r['id']} ({NAMES[t]}): {'; '.join(what)}")
    return out


def section(w, raw, meta, reps, runs):
    """Write the pipelining part; return (headline figures for the README
    line, the problems found)."""
    med = tool_medians(runs)
    depth = meta.get("pipeline_depth", "16")

    def rpc_ratio(ours, theirs):
        return ratio(med.get(ours, {}).get("req_per_cpu"), med.get(theirs, {}).get("req_per_cpu"))

    w("## Pipelining")
    w("")
    w(f"What was compared: {depth} requests in flight on each of the same "
      f"{meta.get('users', '50')} connections, the clients pinned as in the plain part, with the "
      "same reps and run length, in the same rounds, stampede with its results.csv on and "
      "each stampede row right before its peer's. **HTTP/1.1**: stampede "
      f"`--pipeline {depth}` against wrk with `bench/pipeline.lua`, both sending the plain "
      "part's request (`GET /` with `Host` only) to the plain part's nginx and page. wrk "
      f"writes {depth} requests at once on a connection and the next {depth} once all "
      f"{depth} responses have come; stampede starts a new request as each response comes "
      f"and writes them in batches, once half the window ({int(depth) // 2}) waits or nothing "
      "else is on its way, so it keeps most of the window in flight. wrk counts each "
      "response as a request; "
      "its socket errors and non-2xx/3xx responses count as errors. **Redis**: stampede "
      f"`--pipeline {depth}` against `redis-benchmark -P {depth} --threads 1`, GET and SET "
      "with the Redis part's key and value on the same redis-server; `-n` from a probe of "
      f"each command at this depth, as in the Redis part ({meta.get('pipeline_redis_n', 'n/a')}). "
      "Latency counts from each request's due moment in stampede (its reply waits behind "
      "the ones ahead of it), from its batch's write in wrk, so pipelined latencies are not "
      "the same figure in the two.")
    w("")

    w("### Pipelining targets")
    w("")
    rows, figures = [], []
    for what, ours, theirs, peer, goal in PAIRS:
        r = rpc_ratio(ours, theirs)
        figures.append(f"{what} {fmt(r, 2)}× {peer}")
        rows.append([f"{what}, depth {depth}, req/CPU-s vs {peer}", f"≥ {goal:.2f}×",
                     fmt(r, 2) + "×", verdict(r >= goal if r is not None else None)])
    passed = sum(1 for row in rows if row[3] == "PASS")
    w(f"{passed} of {len(rows)} met. Medians over the reps, stampede with results.csv on.")
    w("")
    w(table(["target", "goal", "measured", ""], rows))
    w("")

    w("### Pipelined rows without errors")
    w("")
    found = problems(raw, runs)
    if found:
        w(f"**{len(found)} run(s) had errors: these figures are no result** (run.sh exits 1):")
        w("")
        for line in found:
            w(f"- {line}")
    else:
        w("None had any: every run exited 0 with its report, no stampede failures and only "
          "2xx/3xx statuses (and a CSV row per request), no wrk socket errors or non-2xx/3xx "
          "responses, no redis-benchmark error reply.")
    w("")

    w("### Pipelining medians")
    w("")
    w("As in the plain part: the median of each figure over the reps that worked; vs peer "
      "is req/CPU-s against the peer's in the same pair. Latencies as each tool reports them.")
    w("")
    rows = []
    for what, ours, theirs, _, _ in PAIRS:
        for t in (ours, theirs):
            if t not in runs:
                continue
            m = med[t]
            rows.append([what, NAMES[t], fmt(m["rps"], 0), fmt(m["req_per_cpu"], 0),
                         fmt(rpc_ratio(t, theirs), 2) + "×", fmt(m["user_us"], 2),
                         fmt(m["cpu_us"], 2), fmt(m["rss_mb"], 1), fmt(m["p50"], 3),
                         fmt(m["p99"], 3), fmt(m["errors"], 0), f"{m['n_ok']}/{reps}"])
    w(table(["what", "tool", "req/s", "req/CPU-s", "vs peer", "user µs/req", "CPU µs/req",
             "peak RSS MB", "p50 ms", "p99 ms", "errors", "runs ok"], rows))
    w("")

    headline = (f"pipelining depth {depth} req/CPU-s: {', '.join(figures)}; "
                f"{passed}/{len(PAIRS)} pipelining targets met")
    if found:
        headline += f"; {len(found)} pipelined run(s) with errors"
    return headline, found
