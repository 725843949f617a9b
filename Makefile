# stampede: `make demo` and `make test` are all a fresh machine needs.
CARGO ?= cargo
BIN := target/release/stampede

.PHONY: build demo test lint bench clean

build:
	$(CARGO) build --release

demo: build
	./$(BIN) demo

test:
	$(CARGO) test --all-targets

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

bench: build
	bash bench/run.sh

clean:
	$(CARGO) clean
