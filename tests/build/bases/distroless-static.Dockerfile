# Stand-in for gcr.io/distroless/static-debian12 (no image can be pulled here): no shell and no
# libc, only CA certificates and the passwd/group files a static binary may read.
FROM docker.io/library/debian:bookworm-slim AS src
RUN mkdir -p /out/etc/ssl/certs /out/tmp \
    && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
    && cp /etc/passwd /etc/group /out/etc/ \
    && chmod 1777 /out/tmp

FROM scratch
COPY --from=src /out/ /
