# The stampede image, for deploy/kubernetes (README, "Scaling out"):
#   docker build -t registry.example.com/stampede:0.1.0 .
# The builder compiles the release binary; the final image is Debian slim
# with that binary, the CA certificates for https:// targets, and a shell
# for the Jobs' scripts. Nothing is downloaded when it runs.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# examples/ too: Cargo.toml declares one, and cargo wants it there.
COPY examples ./examples
# The release profile keeps debug info for profiling; the image does not need it.
RUN cargo build --release --locked --bin stampede \
    && strip --strip-debug target/release/stampede

# The same Debian release as the builder, so that its glibc is the one the
# binary was linked against.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/stampede /usr/local/bin/stampede
USER 10001:10001
ENTRYPOINT ["stampede"]
CMD ["--help"]
