# Stand-in for node:18-bookworm-slim (no image can be pulled here): Debian's Node.js 18 and npm
# (Debian's npm brings node-gyp with the Node headers, so addons build without a header download),
# and Node using the system CA store.
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
