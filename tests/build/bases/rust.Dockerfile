# Stand-in for rust:1-slim-bookworm (no image can be pulled here): Debian's rustc-web/cargo-web
# (Rust 1.96, cargo with the sparse crates.io index) with gcc and libc6-dev for linking, and cargo
# using the system CA store (crates.io is reached through a TLS-intercepting proxy).
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends rustc-web cargo-web gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
ENV CARGO_HOME=/usr/local/cargo CARGO_HTTP_CAINFO=/etc/ssl/certs/ca-certificates.crt \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
