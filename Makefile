# stampede: `make demo` and `make test` are all a fresh machine needs.
CARGO ?= cargo
BIN := target/release/stampede

.PHONY: build demo install test lint bench bench-open fuzz clean

build:
	$(CARGO) build --release

demo: build
	./$(BIN) demo

# The binary on PATH: cargo puts it in ~/.cargo/bin.
install:
	$(CARGO) install --locked --path .

test:
	$(CARGO) test --all-targets

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# The side-by-side benchmark against wrk and oha (bench-results/), over plain
# HTTP and over TLS, and against redis-benchmark, then pipelined (depth 16)
# against wrk and redis-benchmark: about 12 minutes.
# `PARTS=tls make bench` (or PARTS=plain, PARTS=redis, PARTS=pipeline) runs
# one part only; bench/run.sh lists every knob.
bench: build
	bash bench/run.sh

# The open model against oha's rate limiting with latency correction.
bench-open: build
	bash bench/open.sh

# Every fuzz target in fuzz/ for FUZZ_SECONDS each, one after another
# (needs `cargo install cargo-fuzz`; see fuzz/README.md). Not part of .ci/run.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh

clean:
	$(CARGO) clean
