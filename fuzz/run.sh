#!/usr/bin/env bash
# Runs the fuzz targets (all, or those named) for FUZZ_SECONDS each, one
# after another: one job, under nice, since the machine is shared. Logs go
# to fuzz/logs/<target>.log, new corpus entries to fuzz/corpus/<target>/,
# crashes to fuzz/artifacts/<target>/. Exits non-zero if any target failed.
set -uo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-60}
# AddressSanitizer by default; `none` is several times faster where a
# target allocates a lot (report_csv's histograms), and the parsers fuzzed
# here have no unsafe code of their own.
sanitizer=${FUZZ_SANITIZER:-address}
all=(response chunked redis_reply scenario report_csv report_hlog dashboard_request serve_request)
[ $# -gt 0 ] || set -- "${all[@]}"
# cargo fuzz passes nightly-only flags (-Z sanitizer=...); the one stable
# toolchain here takes them when told it may.
export RUSTC_BOOTSTRAP=1

# Longest input per target: past each parser's own limits where they are
# small enough to reach (the dashboard's 8 KiB head, the 4 KiB chunk line).
max_len() {
    case $1 in
        dashboard_request) echo 10000 ;;
        scenario | report_csv) echo 4096 ;;
        *) echo 8192 ;;
    esac
}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz is missing; install it with: cargo install cargo-fuzz" >&2
    exit 2
fi
mkdir -p logs
failed=()
for t in "$@"; do
    mkdir -p "corpus/$t"
    dirs=("corpus/$t" "seeds/$t")
    [ -d "regressions/$t" ] && dirs+=("regressions/$t")
    echo "== $t: ${seconds}s, max_len $(max_len "$t"), sanitizer $sanitizer"
    # A target dir per sanitizer, so that switching does not rebuild all.
    nice -n 10 cargo fuzz run -O -s "$sanitizer" --target-dir "target/$sanitizer" "$t" "${dirs[@]}" -- \
        -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 \
        -max_total_time="$seconds" -print_final_stats=1 >"logs/$t.log" 2>&1
    status=$?
    grep -E '^(Done |stat::number_of_executed_units|stat::peak_rss_mb)|^==[0-9]+==|SUMMARY|Test unit written' "logs/$t.log"
    echo "corpus: $(find "corpus/$t" -type f | wc -l) files"
    [ "$status" -eq 0 ] || failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]} (see fuzz/logs/ and fuzz/artifacts/)"
    exit 1
fi
