# Stand-in for golang:1.19-bookworm (no image can be pulled here): Debian's Go 1.19 with gcc and
# libc6-dev for cgo, as the official SDK image has them.
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends golang-go gcc libc6-dev make pkg-config \
    && rm -rf /var/lib/apt/lists/*
ENV GOPATH=/go PATH=/go/bin:/usr/lib/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
