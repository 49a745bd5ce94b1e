# syntax=docker/dockerfile:1
#
# Solder's container image: built on Debian bookworm with the Rust
# toolchain, run on distroless/cc (glibc, libgcc, CA certificates and
# nothing else: no shell, no package manager) as an unprivileged user.
#
#   docker build --build-arg REVISION="$(git rev-parse HEAD)" -t solder:0.1.0 .
#   docker run --rm -p 4317:4317 -p 4318:4318 -p 9464:9464 -p 12345:12345 \
#     -e SOLDER_JAEGER_ENDPOINT=jaeger:4317 solder:0.1.0
#
# tests/kubernetes.rs checks this file: every COPY source exists, the
# exposed ports are the copied config's plus 12345, the user is not root,
# and the copied config passes `solder validate`.

# Stage 1: the workspace with every target's source replaced by a stub. Its
# output depends only on the manifests and Cargo.lock, so the dependency
# build below stays cached until a dependency changes.
FROM rust:1-bookworm AS skeleton
WORKDIR /src
COPY . .
RUN find . -path ./target -prune -o -type f -print | while read -r f; do \
		case "$f" in \
			*/Cargo.toml | ./Cargo.lock) ;; \
			*/src/lib.rs) : > "$f" ;; \
			*/src/main.rs | */src/bin/*.rs | */benches/*.rs | */examples/*.rs | */tests/*.rs | */build.rs) echo 'fn main() {}' > "$f" ;; \
			*) rm "$f" ;; \
		esac; \
	done

# Stage 2: build the dependencies (cached layer), then Solder itself.
FROM rust:1-bookworm AS builder
WORKDIR /src
# The image needs no debug info; the repo's release profile keeps it for
# profiling. Set before the dependency build so both builds agree.
ENV CARGO_PROFILE_RELEASE_DEBUG=0
COPY --from=skeleton /src ./
RUN cargo build --release --locked --bin solder
COPY . .
# The stubs were built after the real sources were last modified, so cargo
# would take the workspace crates as fresh: clean them, then check the
# binary is the real one (a stub prints no version).
RUN cargo clean --release -p solder -p solder-syntax -p solder-components \
	&& cargo build --release --locked --bin solder \
	&& target/release/solder --version | grep -q '^solder ' \
	&& target/release/solder validate src/default.alloy \
	&& mkdir -p /var/lib/solder

# Stage 3: the runtime image.
FROM gcr.io/distroless/cc-debian12 AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="solder" \
	org.opencontainers.image.description="A telemetry agent configured in the Alloy language" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.revision="${REVISION}" \
	org.opencontainers.image.licenses="Apache-2.0" \
	org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12"
COPY --from=builder /src/target/release/solder /usr/bin/solder
# The embedded default pipeline: OTLP in on 0.0.0.0:4317 and :4318, traces
# to Jaeger at $SOLDER_JAEGER_ENDPOINT, span metrics on 0.0.0.0:9464.
COPY src/default.alloy /etc/solder/config.alloy
COPY --from=builder --chown=10001:10001 /var/lib/solder /var/lib/solder
USER 10001:10001
# OTLP gRPC, OTLP HTTP, Prometheus scrape endpoint, Solder's HTTP server.
EXPOSE 4317 4318 9464 12345
ENTRYPOINT ["/usr/bin/solder", "run", "/etc/solder/config.alloy", "--server.http.listen-addr=0.0.0.0:12345", "--storage.path=/var/lib/solder"]
