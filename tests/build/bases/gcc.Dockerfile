# Stand-in for gcc:12-bookworm (no image can be pulled here): Debian's gcc 12, make and libc6-dev.
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev make \
    && rm -rf /var/lib/apt/lists/*
CMD ["bash"]
