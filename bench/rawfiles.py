"""Reading the raw outputs of bench/run.sh into figures, for summarize.py
and summarize_tls.py: the facts and commands files, /usr/bin/time's CPU and
memory, exit codes, and each tool's own report (stampede's summary JSON,
wrk's text, oha's JSON, redis-benchmark's text), strace's and perf's counts;
per-tool medians.

Each tool's own figures are used as it reports them (requests, req/s, p50,
p99); only CPU and memory come from /usr/bin/time, the same for every tool.
"""

import json
import re
import statistics
from pathlib import Path

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


def parse_redis_benchmark(raw, run_id):
    """redis-benchmark's text report (stdout, after its \\r progress lines):
    'N requests completed in', 'throughput summary: R requests per second'
    and the avg min p50 p95 p99 max line under 'latency summary (msec)'.
    An error reply makes it exit 1 before its report ('Error from server'
    on stderr), so a report means no error replies."""
    text = read_text(raw / f"{run_id}.out")
    m = re.search(r"(\d+) requests completed in", text)
    if not m:
        return None
    res = {"requests": int(m.group(1)), "rps": None, "p50": None, "p99": None,
           "errors": 0, "error_detail": ""}
    m = re.search(r"throughput summary: ([\d.]+)", text)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"latency summary \(msec\):\s*\n\s*avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n"
                  r"\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", text)
    if m:
        res["p50"], res["p99"] = float(m.group(3)), float(m.group(5))
    return res


def collect_run(raw, run_id, tool, parse):
    """One timed run of `tool`, read with `parse` (parse_stampede, parse_wrk
    or parse_oha): the tool's own figures plus CPU/RSS, derived ratios."""
    run = {"id": run_id, "tool": tool, "rc": read_rc(raw, run_id)}
    parsed = parse(raw, run_id)
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


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


def collect_tools(raw, reps, parsers):
    """{tool: [run of rep 1, 2, ...]} for each tool of `parsers` (tool ->
    parse function) that ran, in the order of `parsers`."""
    return {t: [collect_run(raw, f"{t}-{r}", t, parse) for r in range(1, reps + 1)]
            for t, parse in parsers.items() if (raw / f"{t}-1.time").exists()}


def tool_medians(runs):
    """Per tool, the median of each figure over the reps that worked, taken
    separately; the largest peak RSS; how many reps worked."""
    med = {}
    for t, tool_runs in runs.items():
        ok = [r for r in tool_runs if r["ok"]]
        med[t] = {k: median([r.get(k) for r in ok]) for k in
                  ("rps", "req_per_cpu", "user_us", "cpu_us", "rss_mb", "p50", "p99", "requests",
                   "errors")}
        med[t]["rss_max"] = max((r["rss_mb"] for r in ok), default=None)
        med[t]["n_ok"] = len(ok)
    return med


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
