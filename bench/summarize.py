#!/usr/bin/env python3
"""Turn the raw outputs of bench/run.sh into a Markdown report.

usage: summarize.py WORK_DIR REPORT.md README.md

WORK_DIR is run.sh's temp dir: meta.tsv, commands.tsv and raw/ with one set of
files per run (ID.time from /usr/bin/time, ID.out / ID.err, ID.rc, and
ID.json for stampede). The report is written to REPORT.md and a line linking
to it is appended to README.md (created with an intro if missing).

Each tool's own figures are used as it reports them (requests, req/s, p50,
p99); only CPU and memory come from /usr/bin/time, the same for every tool.
"""

import json
import os
import re
import statistics
import sys
from pathlib import Path

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
stampede with 10,000 users. Each run writes one `YYYY-MM-DD-HHMM.md` here,
with the machine, versions, exact commands, medians, targets and raw figures.

To reproduce: on a quiet 2-core Linux machine, as root (missing tools are
installed with apt-get and `cargo install oha --locked`), run `make bench`.
`REPS=1 SECONDS_PER_RUN=2 make bench` is a quick check of the harness itself;
`STAMPEDE=path` tests another binary.

## What we learned

## Runs

"""


# ---------------------------------------------------------------------------
# Reading raw files
# ---------------------------------------------------------------------------


def read_text(path):
    try:
        return Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return ""


def read_meta(work):
    meta = {}
    for line in read_text(work / "meta.tsv").splitlines():
        if "\t" in line:
            key, value = line.split("\t", 1)
            meta[key] = value
    return meta


def read_commands(work):
    cmds = {}
    for line in read_text(work / "commands.tsv").splitlines():
        if "\t" in line:
            key, value = line.split("\t", 1)
            cmds[key] = value.strip()
    return cmds


def read_time(raw, run_id):
    """(user s, sys s, peak RSS KB) from /usr/bin/time -f '%U %S %M'.

    time prints "Command exited with non-zero status N" first when the tool
    fails, so take the last line that has the three numbers."""
    for line in reversed(read_text(raw / f"{run_id}.time").splitlines()):
        parts = line.split()
        if len(parts) == 3:
            try:
                return float(parts[0]), float(parts[1]), int(parts[2])
            except ValueError:
                continue
    return None


def read_rc(raw, run_id):
    text = read_text(raw / f"{run_id}.rc").strip()
    return int(text) if text else None


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_stampede(raw, run_id):
    """stampede --summary JSON: requests, rps, latency_ms.p50/p99, failures."""
    d = load_json(raw / f"{run_id}.json")
    if d is None:
        return None
    errors = d.get("failures", 0)
    return {
        "requests": d["requests"],
        "rps": d["rps"],
        "p50": d["latency_ms"]["p50"],
        "p99": d["latency_ms"]["p99"],
        "errors": errors,
        "error_detail": ", ".join(f"{k}: {v}" for k, v in d.get("error_counts", {}).items()),
    }


def parse_wrk_text(text):
    """wrk's stdout: 'N requests in', 'Requests/sec:', the --latency lines."""
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    if not m:
        return None
    res = {"requests": int(m.group(1)), "rps": None, "p50": None, "p99": None}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        res["rps"] = float(m.group(1))
    for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M):
        res["p" + pct] = to_ms(value, unit)
    errors = 0
    detail = []
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
        detail.append(m.group(0))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
        detail.append(m.group(0))
    res["errors"] = errors
    res["error_detail"] = "; ".join(detail)
    return res


def parse_wrk(raw, run_id):
    return parse_wrk_text(read_text(raw / f"{run_id}.out"))


def parse_oha(raw, run_id):
    """oha --output-format json. Requests completed = responses received
    (statusCodeDistribution); 'aborted due to deadline' is oha cutting the
    in-flight requests at the end of -z, not an error."""
    d = load_json(raw / f"{run_id}.out")
    if d is None:
        return None
    pct = d.get("latencyPercentiles", {})
    errs = dict(d.get("errorDistribution", {}))
    aborted = errs.pop("aborted due to deadline", 0)
    return {
        "requests": sum(d.get("statusCodeDistribution", {}).values()),
        "rps": d["summary"]["requestsPerSec"],
        "p50": pct["p50"] * 1000 if pct.get("p50") is not None else None,
        "p99": pct["p99"] * 1000 if pct.get("p99") is not None else None,
        "errors": sum(errs.values()),
        "error_detail": "; ".join([f"{k}: {v}" for k, v in errs.items()]
                                  + ([f"{aborted} in flight aborted at the deadline (not counted as errors)"]
                                     if aborted else [])),
    }


PARSERS = {"A": parse_stampede, "B": parse_stampede, "C": parse_wrk, "D": parse_oha,
           "E": parse_stampede}


def requests_of(raw, run_id, tool):
    """Requests completed in a probe run (strace/perf) of tool A or C."""
    r = PARSERS[tool](raw, run_id)
    return r["requests"] if r else None


def collect_run(raw, run_id, tool):
    """One timed run: the tool's own figures plus CPU/RSS, derived ratios."""
    run = {"id": run_id, "tool": tool, "rc": read_rc(raw, run_id)}
    parsed = PARSERS[tool](raw, run_id)
    t = read_time(raw, run_id)
    run["ok"] = parsed is not None and t is not None and parsed["requests"] > 0
    if parsed:
        run.update(parsed)
    if t:
        run["user"], run["sys"], run["rss_kb"] = t
        run["cpu"] = run["user"] + run["sys"]
        run["rss_mb"] = run["rss_kb"] / 1024
    if run["ok"]:
        n = run["requests"]
        run["req_per_cpu"] = n / run["cpu"] if run["cpu"] > 0 else None
        run["user_us"] = run["user"] * 1e6 / n
        run["cpu_us"] = run["cpu"] * 1e6 / n
    rows = read_text(raw / f"{run_id}.csvrows").strip()
    run["csv_rows"] = int(rows) if rows else None
    return run


def parse_strace(path):
    """strace -c table -> ({syscall: calls}, total calls)."""
    calls, total = {}, None
    for line in read_text(path).splitlines():
        parts = line.split()
        # rows: % time, seconds, usecs/call, calls, [errors], syscall
        if len(parts) < 5 or not re.match(r"^[\d.]+$", parts[0]):
            continue
        try:
            n = int(parts[3])
        except ValueError:
            continue
        if parts[-1] == "total":
            total = n
        else:
            calls[parts[-1]] = n
    if total is None and calls:
        total = sum(calls.values())
    return calls, total


def parse_perf(path):
    """perf stat -x, output -> {event: value}."""
    out = {}
    for line in read_text(path).splitlines():
        if not line or line.startswith("#"):
            continue
        f = line.split(",")
        if len(f) < 3:
            continue
        try:
            out[f[2]] = float(f[0])
        except ValueError:
            pass  # <not counted> / <not supported>
    return out


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok):
    if ok is None:
        return "n/a"
    return "PASS" if ok else "MISS"


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


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

    tools = [t for t in TOOLS if (raw / f"{t}-1.time").exists()]
    runs = {t: [collect_run(raw, f"{t}-{r}", t) for r in range(1, reps + 1)] for t in tools}

    # Medians over the reps that worked, per tool and figure.
    med = {}
    for t in tools:
        ok = [r for r in runs[t] if r["ok"]]
        med[t] = {k: median([r.get(k) for r in ok]) for k in
                  ("rps", "req_per_cpu", "user_us", "cpu_us", "rss_mb", "p50", "p99", "requests")}
        med[t]["rss_max"] = max((r["rss_mb"] for r in ok), default=None)
        med[t]["n_ok"] = len(ok)
    wrk_rpc = med.get("C", {}).get("req_per_cpu")

    out = []
    w = out.append
    title = report.stem
    w(f"# Benchmark {title}")
    w("")
    if short:
        w(f"**Short run ({reps} rep(s) of {seconds} s): a check of the harness, not a result.**")
        w("")
    w(f"Clients on core {meta.get('client_core')}, nginx on core {meta.get('server_core')}, "
      f"{users} connections, {reps} rep(s) of {seconds} s per tool, in turn "
      f"{' '.join(tools)}. Load average at start: {meta.get('loadavg', 'n/a')} "
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
        ["open files (soft/hard)", meta.get("ulimit_n", "n/a")],
        ["perf events", meta.get("perf_events") or "perf unavailable"],
    ]))
    w("")
    if meta.get("oha_note"):
        w(f"Note: {meta['oha_note']}.")
        w("")

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
        w(f"**CSV cost**: CPU per request with the CSV (A) {a['cpu_us']:.3f} µs vs without (B) "
          f"{b['cpu_us']:.3f} µs: {csv_cost:+.1f} %. User CPU alone: "
          f"{a['user_us']:.3f} vs {b['user_us']:.3f} µs "
          f"({(a['user_us'] / b['user_us'] - 1) * 100:+.1f} %).")
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

    # -- commands ------------------------------------------------------------
    w("## Commands")
    w("")
    w("nginx (config: `bench/nginx.conf` with paths and port filled in):")
    w("")
    w("```")
    w(f"taskset -c {meta.get('server_core')} nginx -c WORKDIR/nginx/nginx.conf -p WORKDIR/nginx/")
    w("```")
    w("")
    w("Clients (first rep shown; later reps differ only in the summary file name; "
      "WORKDIR is a fresh `mktemp -d /tmp/stampede-bench.XXXXXX`):")
    w("")
    w("```")
    workdir = str(work)
    for key in [f"{t}-1" for t in tools] + ["strace-A", "strace-C", "perf-A", "perf-C", "big"]:
        if key in cmds:
            w(f"# {key}")
            w(cmds[key].replace(workdir, "WORKDIR"))
    w("```")
    w("")

    # -- raw -----------------------------------------------------------------
    w("## Every run")
    w("")
    rows = []
    for t in tools:
        for r in runs[t]:
            rows.append([
                r["id"], TOOLS[t], str(r["rc"]), fmt(r.get("requests")), fmt(r.get("rps"), 0),
                fmt(r.get("user"), 2), fmt(r.get("sys"), 2), fmt(r.get("req_per_cpu"), 0),
                fmt(r.get("user_us"), 3), fmt(r.get("cpu_us"), 3), fmt(r.get("rss_kb")),
                fmt(r.get("p50"), 3), fmt(r.get("p99"), 3), fmt(r.get("errors")),
                fmt(r.get("csv_rows")) if r.get("csv_rows") is not None else "",
            ])
    w(table(["run", "tool", "exit", "requests", "req/s", "user s", "sys s", "req/CPU-s",
             "user µs/req", "CPU µs/req", "peak RSS KB", "p50 ms", "p99 ms", "errors",
             "CSV rows"], rows))
    w("")
    details = [(r["id"], r["error_detail"]) for t in tools for r in runs[t] if r.get("error_detail")]
    if details:
        w("Errors reported:")
        w("")
        for run_id, detail in details:
            w(f"- {run_id}: {detail}")
        w("")
    failed = [r["id"] for t in tools for r in runs[t] if not r["ok"]]
    if failed:
        w(f"Runs without usable figures (left out of the medians): {', '.join(failed)}.")
        w("")

    report.write_text("\n".join(out))

    # -- README line -----------------------------------------------------------
    if not readme.exists():
        readme.write_text(README_INTRO)
    text = readme.read_text()
    if not text.endswith("\n"):
        text += "\n"
    line = (f"- [{title}]({report.name}): {reps}×{seconds} s"
            f"{' (short run, harness check)' if short else ''}; "
            f"stampede {fmt(a.get('req_per_cpu'), 0)} req/CPU-s = {fmt(rpc_ratio, 2)}× wrk; "
            f"{passed}/{len(targets)} targets met\n")
    readme.write_text(text + line)
    print(line.strip())


if __name__ == "__main__":
    main()
