"""Figures to Markdown for the bench reports (summarize.py, summarize_tls.py):
numbers with thousands separators ("n/a" when missing), tables and PASS/MISS
verdicts."""


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok):
    if ok is None:
        return "n/a"
    return "PASS" if ok else "MISS"
