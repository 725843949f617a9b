#!/usr/bin/env python3
"""Turn the raw outputs of bench/run.sh into a Markdown report.

usage: summarize.py WORK_DIR REPORT.md README.md

WORK_DIR is run.sh's temp dir: meta.tsv, commands.tsv and raw/ with one set of
files per run (ID.time from /usr/bin/time, ID.out / ID.err, ID.rc, and
ID.json for stampede). The report is written to REPORT.md and a line linking
to it is appended to README.md (created with an intro if missing). The exit
code is 3, after both are written, when a pipelined row had errors.

This file writes the page and its plain HTTP part; summarize_tls.py writes
the TLS part, summarize_redis.py the Redis part, summarize_pipeline.py the
pipelining part, rawfiles.py reads the raw files and mdfmt.py formats.
"""

import re
import sys
from pathlib import Path

import summarize_pipeline
import summarize_redis
import summarize_tls
from mdfmt import fmt, table, verdict
from rawfiles import (collect_tools, load_json, parse_oha, parse_perf, parse_stampede,
                      parse_strace, parse_wrk, ratio, read_commands, read_meta, read_rc,
                      read_text, read_time, tool_medians)


TOOLS = {
    "A": "stampede, CSV on",
    "B": "stampede, CSV off",
    "C": "wrk",
    "D": "oha",
    "E": "stampede before the change, CSV on",
}

README_INTRO = """\
# Benchmark results

`make bench` builds the release binary and runs `bench/run.sh`: one nginx
(1 worker, pinned to the last core) serves a 19-byte JSON body on 127.0.0.1,
and each client, pinned to core 0, holds 50 keep-alive connections against it
for 10 s, in turn A B C D three times: stampede with its per-request CSV (A),
stampede with `--no-out` (B), `wrk -t1` (C) and `oha --worker-threads 1` (D).
The main figure is **requests per client CPU-second** (user+sys from
`/usr/bin/time`), which a busy machine disturbs much less than req/s. It also
counts syscalls per request (strace, and perf when available), and runs
stampede with 10,000 users. The same rounds also hold TLS rows, pinned the
same way, against a second, TLS port of the same nginx (a throwaway CA
from `bench/pki.sh`): stampede, wrk and oha with 50 keep-alive connections
(TA TC TD), and with a new connection per request, sessions resumed (NA:
stampede `--no-keepalive`, NC: `wrk -H 'Connection: close'`, ND: `oha
--disable-keepalive`) and full handshakes (NF: stampede `--no-tls-resume`,
NW: wrk as NC) against a third port of the same nginx that refuses
resumption (wrk cannot be told not to resume), plus a short probe that
reads from nginx's log which clients resumed their sessions. Redis rows
run in the same rounds against a redis-server on the server core: stampede
`--command 'GET ...'` and `'SET ...'` with results.csv (RG RS) against
`redis-benchmark -t get` and `-t set` (BG BS), 50 connections, one command
in flight each. Pipelining rows, in the same rounds, keep 16 in flight on
each of the 50 connections: stampede `--pipeline 16` against nginx (PA) and
wrk with `bench/pipeline.lua` (PC), and GET and SET against the same
redis-server (PRG PRS) and `redis-benchmark -P 16` (PBG PBS).
`PARTS=plain`, `PARTS=tls`, `PARTS=redis` or `PARTS=pipeline` runs one part.
Each run writes one `YYYY-MM-DD-HHMM.md` here, with the machine, versions,
exact commands, medians, targets and raw figures.

To reproduce: on a quiet 2-core Linux machine, as root (missing tools are
installed with apt-get and `cargo install oha --locked`), run `make bench`.
`REPS=1 SECONDS_PER_RUN=2 make bench` is a quick check of the harness itself;
`STAMPEDE=path` tests another binary.

## What we learned

## Runs

"""


PARSERS = {"A": parse_stampede, "B": parse_stampede, "C": parse_wrk, "D": parse_oha,
           "E": parse_stampede}


def requests_of(raw, run_id, tool):
    """Requests completed in a probe run (strace/perf) of tool A or C."""
    r = PARSERS[tool](raw, run_id)
    return r["requests"] if r else None


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def plain_section(w, raw, meta, reps, users, runs):
    """The plain HTTP part: targets, medians, syscalls and the many-users
    run. Returns its headline figures for the README line."""
    tools = list(runs)
    med = tool_medians(runs)
    wrk_rpc = med.get("C", {}).get("req_per_cpu")

    # -- targets first: the page is read for them --------------------------
    a, b = med.get("A", {}), med.get("B", {})
    csv_cost = None
    if a.get("cpu_us") and b.get("cpu_us"):
        csv_cost = (a["cpu_us"] / b["cpu_us"] - 1) * 100

    strace = {}
    for t in ("A", "C"):
        calls, total = parse_strace(raw / f"strace-{t}.strace")
        n = requests_of(raw, f"strace-{t}", t)
        strace[t] = {"calls": calls, "total": total, "requests": n,
                     "per_req": total / n if total and n else None}
    perf = {}
    for t in ("A", "C"):
        ev = parse_perf(raw / f"perf-{t}.perf")
        n = requests_of(raw, f"perf-{t}", t) if ev else None
        perf[t] = {"events": ev, "requests": n}

    big = load_json(raw / "big.json")
    big_time = read_time(raw, "big")
    big_rss = big_time[2] / 1024 if big_time else None
    big_errors = big.get("failures") if big else None

    rpc_ratio = ratio(a.get("req_per_cpu"), wrk_rpc)
    perf_sys_a = None
    if perf["A"]["events"].get("raw_syscalls:sys_enter") and perf["A"]["requests"]:
        perf_sys_a = perf["A"]["events"]["raw_syscalls:sys_enter"] / perf["A"]["requests"]
    sys_measured = fmt(strace["A"]["per_req"], 2) + " (strace)"
    if perf_sys_a is not None:
        sys_measured += f"; {perf_sys_a:.2f} (perf, untraced)"

    targets = [
        ["req/CPU-s, CSV on, vs wrk", "≥ 1.05×", fmt(rpc_ratio, 2) + "×",
         verdict(rpc_ratio >= 1.05 if rpc_ratio is not None else None)],
        ["syscalls per request (stampede, CSV on)", "≤ 2.1", sys_measured,
         verdict(strace["A"]["per_req"] <= 2.1 if strace["A"]["per_req"] is not None else None)],
        ["user CPU per request, CSV on", "≤ 1.0 µs", fmt(a.get("user_us"), 2) + " µs",
         verdict(a["user_us"] <= 1.0 if a.get("user_us") is not None else None)],
        ["req/s, CSV on, vs wrk", "≥ 1.00×",
         fmt(ratio(a.get("rps"), med.get("C", {}).get("rps")), 2) + "×",
         verdict(a["rps"] >= med["C"]["rps"] if a.get("rps") and med.get("C", {}).get("rps") else None)],
        [f"peak RSS at {users} users (max of A runs)", "≤ 16 MB", fmt(a.get("rss_max"), 1) + " MB",
         verdict(a["rss_max"] <= 16 if a.get("rss_max") is not None else None)],
        [f"peak RSS at {meta.get('big_users', '10000')} users", "≤ 100 MB, 0 errors",
         f"{fmt(big_rss, 1)} MB, {fmt(big_errors, 0)} errors",
         verdict(big_rss <= 100 and big_errors == 0 if big_rss is not None and big_errors is not None else None)],
        ["CPU per request, CSV on vs off", "≤ +5 %", (f"{csv_cost:+.1f} %" if csv_cost is not None else "n/a"),
         verdict(csv_cost <= 5 if csv_cost is not None else None)],
    ]
    passed = sum(1 for row in targets if row[3] == "PASS")
    w("## Targets")
    w("")
    w(f"{passed} of {len(targets)} met. Medians over the reps; MB = MiB (KB from `%M` / 1024).")
    w("")
    w(table(["target", "goal", "measured", ""], targets))
    w("")

    # -- medians -------------------------------------------------------------
    w("## Medians")
    w("")
    w(f"Per tool, the median of each figure over its {reps} rep(s), taken separately. "
      "req/CPU-s = requests completed / (user+sys CPU s of the client); "
      "latencies as each tool reports them.")
    w("")
    rows = []
    for t in tools:
        m = med[t]
        rows.append([
            TOOLS[t],
            fmt(m["rps"], 0),
            fmt(m["req_per_cpu"], 0),
            fmt(ratio(m["req_per_cpu"], wrk_rpc), 2) + "×",
            fmt(m["user_us"], 2),
            fmt(m["cpu_us"], 2),
            fmt(m["rss_mb"], 1),
            fmt(m["p50"], 3),
            fmt(m["p99"], 3),
            f"{m['n_ok']}/{reps}",
        ])
    w(table(["tool", "req/s", "req/CPU-s", "vs wrk", "user µs/req", "CPU µs/req",
             "peak RSS MB", "p50 ms", "p99 ms", "runs ok"], rows))
    w("")
    if csv_cost is not None:
        # /usr/bin/time counts in 10 ms steps: a short run can show 0.00 s user.
        user_cost = (f"{(a['user_us'] / b['user_us'] - 1) * 100:+.1f} %" if b["user_us"]
                     else "n/a")
        w(f"**CSV cost**: CPU per request with the CSV (A) {a['cpu_us']:.3f} µs vs without (B) "
          f"{b['cpu_us']:.3f} µs: {csv_cost:+.1f} %. User CPU alone: "
          f"{a['user_us']:.3f} vs {b['user_us']:.3f} µs ({user_cost}).")
        w("")

    # -- syscalls ------------------------------------------------------------
    w("## Syscalls per request")
    w("")
    w(f"`strace -c -f` over a separate {meta.get('probe_seconds', '3')} s run of each client "
      "(all syscalls of the process, start-up included). strace slows the client several "
      "times, so each `epoll_wait` finds more ready sockets than at full speed; the perf "
      "count below, where available, is not slowed that way.")
    w("")
    names = ["sendto", "recvfrom", "write", "read", "writev", "readv",
             "epoll_wait", "epoll_pwait", "epoll_ctl", "futex"]
    seen = set()
    for t in ("A", "C"):
        seen |= {k for k, v in strace[t]["calls"].items()
                 if strace[t]["requests"] and v / strace[t]["requests"] >= 0.005}
    names = [n for n in names if any(n in strace[t]["calls"] for t in ("A", "C"))]
    names += sorted(seen - set(names))
    rows = []
    for t in ("A", "C"):
        s = strace[t]
        n = s["requests"]
        row = [TOOLS[t], fmt(n), fmt(s["total"]), fmt(s["per_req"], 3)]
        for name in names:
            c = s["calls"].get(name, 0)
            row.append(fmt(c / n, 3) if n else "n/a")
        rows.append(row)
    w(table(["client", "requests", "syscalls", "per request"] + [f"{n}/req" for n in names], rows))
    w("")

    if any(perf[t]["events"] for t in ("A", "C")):
        w(f"### perf stat ({meta.get('probe_seconds', '3')} s run each)")
        w("")
        rows = []
        for t in ("A", "C"):
            ev, n = perf[t]["events"], perf[t]["requests"]
            if not ev or not n:
                rows.append([TOOLS[t]] + ["n/a"] * 6)
                continue

            def per(name, scale=1.0, digits=3):
                return fmt(ev[name] * scale / n, digits) if name in ev else "n/a"

            rows.append([TOOLS[t], fmt(n), per("task-clock", 1000.0, 3),
                         per("context-switches", 1.0, 4), per("raw_syscalls:sys_enter", 1.0, 3),
                         per("instructions", 1.0, 0), per("cycles", 1.0, 0)])
        w(table(["client", "requests", "task-clock µs/req", "ctx switches/req", "syscalls/req",
                 "instructions/req", "cycles/req"], rows))
        w("")
        # Untraced per-syscall counts (tracepoints), when the kernel has them.
        prefix = "syscalls:sys_enter_"
        sc_names = []
        for t in ("A", "C"):
            for name, value in perf[t]["events"].items():
                if name.startswith(prefix) and value and name[len(prefix):] not in sc_names:
                    sc_names.append(name[len(prefix):])
        if sc_names:
            rows = []
            for t in ("A", "C"):
                ev, n = perf[t]["events"], perf[t]["requests"]
                rows.append([TOOLS[t]] + [fmt(ev.get(prefix + sc, 0) / n, 3) if n else "n/a"
                                          for sc in sc_names])
            w("Per syscall, untraced (perf tracepoints, same runs):")
            w("")
            w(table(["client"] + [f"{sc}/req" for sc in sc_names], rows))
            w("")
        w("Hardware events are n/a where the VM does not expose counters.")
        w("")

    # -- 10k users -----------------------------------------------------------
    w(f"## {meta.get('big_users', '10000')} users")
    w("")
    if big:
        rc = read_rc(raw, "big")
        w(table(["figure", "value"], [
            ["requests", fmt(big.get("requests"))],
            ["req/s", fmt(big.get("rps"), 0)],
            ["failures", fmt(big.get("failures"))],
            ["error counts", ", ".join(f"{k}: {v}" for k, v in big.get("error_counts", {}).items()) or "none"],
            ["status counts", ", ".join(f"{k}: {v}" for k, v in big.get("status_counts", {}).items()) or "none"],
            ["p50 / p99 ms", f"{fmt(big['latency_ms'].get('p50'), 3)} / {fmt(big['latency_ms'].get('p99'), 3)}"],
            ["peak RSS MB", fmt(big_rss, 1)],
            ["CPU s (user+sys)", fmt(big_time[0] + big_time[1], 2) if big_time else "n/a"],
            ["exit code", str(rc)],
        ]))
    else:
        w(f"No summary written (exit code {read_rc(raw, 'big')}); see stderr below.")
        err = read_text(raw / "big.err").strip()
        if err:
            w("")
            w("```")
            w(err[-2000:])
            w("```")
    w("")

    return (f"stampede {fmt(a.get('req_per_cpu'), 0)} req/CPU-s = {fmt(rpc_ratio, 2)}× wrk; "
            f"{passed}/{len(targets)} targets met")


def every_run(w, runs, names):
    """The raw figures of every timed run, and what went wrong in any."""
    rows = []
    for t in runs:
        for r in runs[t]:
            rows.append([
                r["id"], names[t], str(r["rc"]), fmt(r.get("requests")), fmt(r.get("rps"), 0),
                fmt(r.get("user"), 2), fmt(r.get("sys"), 2), fmt(r.get("req_per_cpu"), 0),
                fmt(r.get("user_us"), 3), fmt(r.get("cpu_us"), 3), fmt(r.get("rss_kb")),
                fmt(r.get("p50"), 3), fmt(r.get("p99"), 3), fmt(r.get("errors")),
                fmt(r.get("csv_rows")) if r.get("csv_rows") is not None else "",
            ])
    w(table(["run", "tool", "exit", "requests", "req/s", "user s", "sys s", "req/CPU-s",
             "user µs/req", "CPU µs/req", "peak RSS KB", "p50 ms", "p99 ms", "errors",
             "CSV rows"], rows))
    w("")
    details = [(r["id"], r["error_detail"]) for t in runs for r in runs[t] if r.get("error_detail")]
    if details:
        w("Errors reported:")
        w("")
        for run_id, detail in details:
            w(f"- {run_id}: {detail}")
        w("")
    failed = [r["id"] for t in runs for r in runs[t] if not r["ok"]]
    if failed:
        w(f"Runs without usable figures (left out of the medians): {', '.join(failed)}.")
        w("")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    work, report, readme = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    raw = work / "raw"
    meta = read_meta(work)
    cmds = read_commands(work)
    reps = int(meta.get("reps", 3))
    seconds = meta.get("seconds", "10")
    users = meta.get("users", "50")
    short = reps < 3 or float(seconds) < 10
    # Files from before the TLS part say nothing: they ran the plain part.
    parts = meta.get("parts", "plain").split()
    tools = meta.get("tools") or " ".join(t for t in TOOLS if (raw / f"{t}-1.time").exists())

    out = []
    w = out.append
    title = report.stem
    w(f"# Benchmark {title}")
    w("")
    if short:
        w(f"**Short run ({reps} rep(s) of {seconds} s): a check of the harness, not a result.**")
        w("")
    w(f"Clients on core {meta.get('client_core')}, servers on core {meta.get('server_core')}, "
      f"{users} connections, {reps} rep(s) of {seconds} s per tool, in turn "
      f"{tools}. Load average at start: {meta.get('loadavg', 'n/a')} "
      "(anything well above 0 means the machine was busy and req/s is suspect).")
    w("")
    w("## Machine and versions")
    w("")
    w(table(["what", "value"], [
        ["CPU", meta.get("cpu", "n/a")],
        ["kernel", meta.get("kernel", "n/a")],
        ["nproc", meta.get("nproc", "n/a")],
        ["stampede", f"{meta.get('stampede_version', 'n/a')} ({meta.get('stampede_path', '')}, "
                     f"git {meta.get('git_rev', 'n/a')})"],
        ["stampede before (tool E)", meta.get("stampede_before") or "not run"],
        ["wrk", meta.get("wrk_version", "n/a")],
        ["oha", meta.get("oha_version", "n/a")],
        ["nginx", meta.get("nginx_version", "n/a")],
    ] + summarize_tls.machine_rows(meta) + summarize_redis.machine_rows(meta) + [
        ["open files (soft/hard)", meta.get("ulimit_n", "n/a")],
        ["perf events", meta.get("perf_events") or "perf unavailable"],
    ]))
    w("")
    notes = [meta["oha_note"]] if meta.get("oha_note") else []
    notes += summarize_tls.notes(meta)
    for note in notes:
        w(f"Note: {note}.")
        w("")

    # Each part's figures, then the commands and every run of each.
    plain_runs = collect_tools(raw, reps, PARSERS) if "plain" in parts else {}
    tls_runs = summarize_tls.collect(raw, reps) if "tls" in parts else {}
    redis_runs = summarize_redis.collect(raw, reps) if "redis" in parts else {}
    pipe_runs = summarize_pipeline.collect(raw, reps) if "pipeline" in parts else {}
    figures, pipe_problems = [], []
    if "plain" in parts:
        figures.append(plain_section(w, raw, meta, reps, users, plain_runs))
    if "tls" in parts:
        figures.append("TLS: " + summarize_tls.section(w, raw, meta, reps, tls_runs))
    if "redis" in parts:
        figures.append(summarize_redis.section(w, raw, meta, reps, redis_runs))
    if "pipeline" in parts:
        headline, pipe_problems = summarize_pipeline.section(w, raw, meta, reps, pipe_runs)
        figures.append(headline)
    all_redis = {**redis_runs, **summarize_pipeline.redis_runs(pipe_runs)}
    if all_redis:
        summarize_redis.server_counts(w, raw, all_redis)

    # -- commands ------------------------------------------------------------
    w("## Commands")
    w("")
    if {"plain", "tls", "pipeline"} & set(parts):
        w("nginx (config: `bench/nginx.conf` with paths and port filled in"
          + (", and `bench/nginx-tls.conf` as WORKDIR/nginx/tls-server.conf for TLS, with the "
             "throwaway CA and server certificate made first" if "tls" in parts else "") + "):")
        w("")
        w("```")
        if "tls" in parts:
            w("bash bench/pki.sh WORKDIR/tls")
        w(f"taskset -c {meta.get('server_core')} nginx -c WORKDIR/nginx/nginx.conf -p WORKDIR/nginx/")
        w("```")
        w("")
    if {"redis", "pipeline"} & set(parts):
        port = meta.get("redis_url", "").rsplit(":", 1)[-1] or "PORT"
        w("redis-server (in WORKDIR/redis), then the key for GET (VALUE: "
          f"{meta.get('redis_value_size', '3')} bytes of `x`, as in the SET rows):")
        w("")
        w("```")
        w(f"taskset -c {meta.get('server_core')} redis-server --port {port} --bind 127.0.0.1 "
          "--save '' --appendonly no --protected-mode no")
        w(f"redis-cli -p {port} SET key:__rand_int__ VALUE")
        w("```")
        w("")
    w("Clients (first rep shown; later reps differ only in the summary file name; "
      "WORKDIR is a fresh `mktemp -d /tmp/stampede-bench.XXXXXX`):")
    w("")
    w("```")
    workdir = str(work)
    for key, cmd in cmds.items():
        if key.endswith("-1") or not re.search(r"-\d+$", key):
            w(f"# {key}")
            w(cmd.replace(workdir, "WORKDIR"))
    w("```")
    w("")

    w("## Every run")
    w("")
    if plain_runs:
        every_run(w, plain_runs, TOOLS)
    if tls_runs:
        w("Over TLS:")
        w("")
        every_run(w, tls_runs, summarize_tls.NAMES)
    if redis_runs:
        w("Redis:")
        w("")
        every_run(w, redis_runs, summarize_redis.NAMES)
    if pipe_runs:
        w("Pipelined:")
        w("")
        every_run(w, pipe_runs, summarize_pipeline.NAMES)

    report.write_text("\n".join(out))

    # -- README line -----------------------------------------------------------
    if not readme.exists():
        readme.write_text(README_INTRO)
    text = readme.read_text()
    if not text.endswith("\n"):
        text += "\n"
    line = (f"- [{title}]({report.name}): {reps}×{seconds} s"
            f"{' (short run, harness check)' if short else ''}; "
            f"{'; '.join(figures)}\n")
    readme.write_text(text + line)
    print(line.strip())
    if pipe_problems:
        print(f"summarize.py: {len(pipe_problems)} pipelined run(s) had errors:", file=sys.stderr)
        for problem in pipe_problems:
            print(f"  {problem}", file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
