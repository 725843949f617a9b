"""The TLS part of the bench report (summarize.py calls it): targets, medians
per tool and mode, and what nginx saw of each client's session resumption in
the probe runs.

Tool ids (bench/run.sh): T* keep-alive over TLS, N* a new connection per
request; the letter after it follows the plain part (A stampede, C wrk,
D oha), and NF is stampede making a full handshake on every connection.
"""

from collections import Counter

from mdfmt import fmt, table, verdict
from rawfiles import (collect_tools, parse_oha, parse_stampede, parse_wrk, ratio, read_rc,
                      read_text, tool_medians)

NAMES = {
    "TA": "stampede, TLS keep-alive",
    "TC": "wrk, TLS keep-alive",
    "TD": "oha, TLS keep-alive",
    "NA": "stampede --no-keepalive (sessions resumed)",
    "NF": "stampede --no-keepalive --no-tls-resume",
    "NC": "wrk -H 'Connection: close'",
    "ND": "oha --disable-keepalive",
}

PARSERS = {"TA": parse_stampede, "TC": parse_wrk, "TD": parse_oha,
           "NA": parse_stampede, "NF": parse_stampede, "NC": parse_wrk, "ND": parse_oha}

# (mode, its tools, the wrk run every tool of the mode is compared with)
MODES = [
    ("keep-alive, 50 connections", ("TA", "TC", "TD"), "TC"),
    ("a new connection per request", ("NA", "NF", "NC", "ND"), "NC"),
]

# (target, stampede's tool, wrk's tool, goal as a ratio of req/CPU-s)
TARGETS = [
    ("TLS keep-alive req/CPU-s vs wrk", "TA", "TC", 1.2),
    ("TLS new connection, sessions resumed, req/CPU-s vs wrk", "NA", "NC", 1.0),
    ("TLS new connection, full handshakes, req/CPU-s vs wrk", "NF", "NC", 1.0),
]


def collect(raw, reps):
    """Every TLS run. A run whose every request failed (an untrusted
    certificate, say) has no figures worth a median: it counts as failed."""
    runs = collect_tools(raw, reps, PARSERS)
    for tool_runs in runs.values():
        for r in tool_runs:
            if r["ok"] and (r.get("errors") or 0) >= r["requests"]:
                r["ok"] = False
    return runs


def machine_rows(meta):
    if "tls" not in meta.get("parts", "").split():
        return []
    return [["OpenSSL (wrk's TLS; made the bench CA)", meta.get("openssl_version", "n/a")]]


def notes(meta):
    if meta.get("oha_tls") == "--insecure":
        return ["this oha has no --cacert, so its TLS runs used --insecure (no certificate check)"]
    return []


def failure(raw, tool_runs):
    """'failed (exit N: first line of stderr)' from the first failed run."""
    for r in tool_runs:
        if not r["ok"]:
            lines = [x for x in read_text(raw / f"{r['id']}.err").splitlines() if x.strip()]
            why = lines[0].strip()[:120].replace("|", "\\|") if lines else "no output"
            if r["rc"] == 0 and r.get("requests"):
                why = f"all {r['requests']:,} requests failed"
            return f"failed (exit {r['rc']}: {why})"
    return "failed"


def probe(raw):
    """nginx's probe log -> {tool: {connections, requests, resumed, tls, http}}.
    Each line: URI, $ssl_session_reused ("r" or "."), $ssl_protocol,
    $server_protocol, $connection (nginx's connection serial)."""
    seen = {}
    for line in read_text(raw / "tls-probe.log").splitlines():
        parts = line.split()
        if len(parts) != 5 or not parts[0].startswith("/probe-"):
            continue
        uri, reused, tls, http, conn = parts
        p = seen.setdefault(uri[len("/probe-"):], {"conns": {}, "requests": 0})
        p["requests"] += 1
        p["conns"].setdefault(conn, (reused == "r", tls, http))
    out = {}
    for tool, p in seen.items():
        conns = p["conns"].values()
        out[tool] = {
            "connections": len(p["conns"]),
            "requests": p["requests"],
            "resumed": sum(1 for c in conns if c[0]),
            "tls": Counter(c[1] for c in conns),
            "http": Counter(c[2] for c in conns),
        }
    return out


def counts(counter):
    return ", ".join(f"{k} {v:,}" for k, v in counter.most_common()) or "n/a"


def section(w, raw, meta, reps, runs):
    """Write the TLS part; return its headline figures for the README line."""
    med = tool_medians(runs)

    def rpc_ratio(tool, wrk):
        return ratio(med.get(tool, {}).get("req_per_cpu"), med.get(wrk, {}).get("req_per_cpu"))

    seen = probe(raw)
    w("## TLS")
    w("")
    w(f"nginx's TLS port ({meta.get('tls_url', 'n/a')}), in the same single worker on the same core: "
      "an ECDSA P-256 certificate from a throwaway CA made by openssl at the start (`bench/pki.sh`), "
      "TLS 1.2 and 1.3, a shared session cache and session tickets on, HTTP/1.1. The clients are "
      "pinned as in the plain part, with the same reps and run length, in the same rounds, and "
      "stampede writes its CSV, as tool A does. "
      "stampede and oha check the certificate against the bench CA "
      f"(oha with `{meta.get('oha_tls', 'n/a')}`); wrk never checks it. wrk and oha have no switch "
      "for resumption: what they did is in the probe table below.")
    w("")

    w("### TLS targets")
    w("")
    rows = []
    for name, ours, wrk, goal in TARGETS:
        r = rpc_ratio(ours, wrk)
        if r is not None:
            measured, ok = f"{r:.2f}×", r >= goal
        elif ours in runs and not med[ours]["n_ok"]:
            # stampede failed: the target was not met (not merely unknown).
            measured, ok = f"stampede {failure(raw, runs[ours])}", False
        else:
            measured, ok = "n/a", None
        rows.append([name, f"≥ {goal:.2f}×", measured, verdict(ok)])
    passed = sum(1 for row in rows if row[3] == "PASS")
    plain = ("Plain HTTP must stay unchanged: that is the plain targets above."
             if "plain" in meta.get("parts", "").split() else "The plain part was not run.")
    w(f"{passed} of {len(rows)} met. Medians over the reps. {plain}")
    w("")
    w(table(["target", "goal", "measured", ""], rows))
    w("")
    wrk_probe = seen.get("NC")
    if wrk_probe and wrk_probe["resumed"] * 2 > wrk_probe["connections"]:
        share = 100.0 * wrk_probe["resumed"] / wrk_probe["connections"]
        w(f"wrk resumed {share:.0f} % of its connections in "
          "the probe below, so the full-handshake target holds stampede's full handshakes against "
          "wrk's mostly resumed ones: a harder bar than like for like.")
        w("")

    w("### TLS medians")
    w("")
    w("As in the plain part: the median of each figure over the reps that worked; "
      "vs wrk is req/CPU-s against wrk's in the same mode.")
    w("")
    rows = []
    for mode, tools, wrk in MODES:
        for t in tools:
            if t not in runs:
                continue
            m = med[t]
            if not m["n_ok"]:
                rows.append([mode, NAMES[t], failure(raw, runs[t])] + [""] * 8 + [f"0/{reps}"])
                continue
            rows.append([mode, NAMES[t], fmt(m["rps"], 0), fmt(m["req_per_cpu"], 0),
                         fmt(rpc_ratio(t, wrk), 2) + "×", fmt(m["user_us"], 2), fmt(m["cpu_us"], 2),
                         fmt(m["rss_mb"], 1), fmt(m["p50"], 3), fmt(m["p99"], 3),
                         fmt(m["errors"], 0), f"{m['n_ok']}/{reps}"])
    w(table(["mode", "tool", "req/s", "req/CPU-s", "vs wrk", "user µs/req", "CPU µs/req",
             "peak RSS MB", "p50 ms", "p99 ms", "errors", "runs ok"], rows))
    w("")

    w("### Session resumption, as nginx saw it")
    w("")
    w(f"Each new-connection client once more for {meta.get('probe_seconds', '3')} s on the path "
      "`/probe-ID`, which nginx logs with `$ssl_session_reused`, `$ssl_protocol` and "
      "`$server_protocol` per connection. A client's first connections cannot resume: "
      "it has no session yet.")
    w("")
    rows = []
    for t in MODES[1][1]:
        rc = read_rc(raw, f"probe-{t}")
        if rc is None:
            continue
        p = seen.get(t)
        if not p:
            rows.append([NAMES[t], "0", "0", "", "", "", str(rc)])
            continue
        share = 100.0 * p["resumed"] / p["connections"]
        rows.append([NAMES[t], fmt(p["connections"]), fmt(p["requests"]),
                     f"{p['resumed']:,} ({share:.1f} %)", counts(p["tls"]), counts(p["http"]), str(rc)])
    w(table(["client", "connections", "requests", "resumed", "TLS", "HTTP", "exit"], rows))
    w("")

    ka, res, full = (rpc_ratio(ours, wrk) for _, ours, wrk, _ in TARGETS)
    return (f"keep-alive {fmt(ka, 2)}× wrk, new connection {fmt(res, 2)}× (resumed) / "
            f"{fmt(full, 2)}× (full handshakes) wrk; {passed}/{len(TARGETS)} TLS targets met")
