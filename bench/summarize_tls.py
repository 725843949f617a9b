"""The TLS part of the bench report (summarize.py calls it): targets, medians
per tool and mode, and what nginx saw of each client's session resumption in
the probe runs.

Tool ids (bench/run.sh): T* keep-alive over TLS, N* a new connection per
request; the letter after it follows the plain part (A stampede, C wrk,
D oha). NF (stampede --no-tls-resume) and NW (wrk) make a full handshake on
every connection, against nginx's second TLS port, which refuses resumption.
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
    "NC": "wrk -H 'Connection: close'",
    "ND": "oha --disable-keepalive",
    "NF": "stampede --no-keepalive --no-tls-resume, server without resumption",
    "NW": "wrk -H 'Connection: close', server without resumption",
}

PARSERS = {"TA": parse_stampede, "TC": parse_wrk, "TD": parse_oha,
           "NA": parse_stampede, "NC": parse_wrk, "ND": parse_oha,
           "NF": parse_stampede, "NW": parse_wrk}

# (mode, its tools, the wrk run every tool of the mode is compared with)
MODES = [
    ("keep-alive, 50 connections", ("TA", "TC", "TD"), "TC"),
    ("new connection per request, sessions resumed", ("NA", "NC", "ND"), "NC"),
    ("new connection per request, full handshakes", ("NF", "NW"), "NW"),
]

# (target, stampede's tool, wrk's tool, goal as a ratio of req/CPU-s)
TARGETS = [
    ("TLS keep-alive req/CPU-s vs wrk", "TA", "TC", 1.2),
    ("TLS new connection, sessions resumed, req/CPU-s vs wrk", "NA", "NC", 1.0),
    ("TLS new connection, full handshakes, req/CPU-s vs wrk", "NF", "NW", 1.0),
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


def resumed_share(p):
    return 100.0 * p["resumed"] / p["connections"]


def like_for_like(seen):
    """One line on whether each new-connection target compared like with
    like, from the probe: both sides resumed (nearly) all their connections,
    or both resumed none. None when a side was not probed."""
    parts, odd = [], []
    for name, ours, wrk, _ in TARGETS[1:]:
        if ours not in seen or wrk not in seen:
            return None
        a, b = resumed_share(seen[ours]), resumed_share(seen[wrk])
        resumed = "sessions resumed" in name
        parts.append(f"{'resumed' if resumed else 'full handshakes'}: stampede {a:.1f} %, "
                     f"wrk {b:.1f} %")
        # A client's first connections cannot resume, hence "more than half".
        like = a > 50 and b > 50 if resumed else a == 0 and b == 0
        if not like:
            odd.append(name)
    line = ("Share of connections resumed in the probe below, for the two new-connection "
            f"targets: {'; '.join(parts)}.")
    if odd:
        return line + f" **Not like for like**: {'; '.join(odd)}."
    return line + " Both targets compare like with like."


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
      "for resumption: they resume whenever the server lets them (the probe table below shows "
      "what each client did).")
    w("")
    w(f"So the full-handshake rows run against a second TLS port of the same worker "
      f"({meta.get('tls_full_url', 'n/a')}), the same but with `ssl_session_cache off; "
      "ssl_session_tickets off;`: there no client can resume, wrk included (NW). stampede's "
      "full-handshake row (NF, which also offers no session: `--no-tls-resume`) runs on that "
      "port too, not on the first one, so that both sides of that target meet the same server: "
      "on the first port nginx would still encrypt and send stampede two stateless session "
      "tickets (about 250 bytes each) per connection, for it to read and drop, while the "
      "second port sends both clients the same two small TLS 1.3 tickets that name sessions "
      "in a cache that is off (OpenSSL's doing), so they resume nothing. The resumed rows "
      "(NA NC ND) stay on the first port.")
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
    line = like_for_like(seen)
    if line:
        w(line)
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
    for t in (t for _, tools, _ in MODES[1:] for t in tools):
        rc = read_rc(raw, f"probe-{t}")
        if rc is None:
            continue
        p = seen.get(t)
        if not p:
            rows.append([NAMES[t], "0", "0", "", "", "", str(rc)])
            continue
        rows.append([NAMES[t], fmt(p["connections"]), fmt(p["requests"]),
                     f"{p['resumed']:,} ({resumed_share(p):.1f} %)", counts(p["tls"]),
                     counts(p["http"]), str(rc)])
    w(table(["client", "connections", "requests", "resumed", "TLS", "HTTP", "exit"], rows))
    w("")

    ka, res, full = (rpc_ratio(ours, wrk) for _, ours, wrk, _ in TARGETS)
    return (f"keep-alive {fmt(ka, 2)}× wrk, new connection {fmt(res, 2)}× (resumed) / "
            f"{fmt(full, 2)}× (full handshakes) wrk; {passed}/{len(TARGETS)} TLS targets met")
