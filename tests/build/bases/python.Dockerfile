# Stand-in for python:3.11-slim-bookworm (no image can be pulled here): Debian's python3 with pip
# and venv, the interpreter's C headers (the official image ships them; no compiler, no libc6-dev),
# pip allowed to install outside a virtualenv, and pip using the system CA store.
FROM docker.io/library/debian:bookworm-slim AS headers
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpython3.11-dev \
    && mkdir /out \
    && cd / && tar -cf - usr/include/python3.11 usr/include/*/python3.11 | tar -C /out -xf -

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-pip python3-venv python-is-python3 \
    && rm -rf /var/lib/apt/lists/* /usr/lib/python3*/EXTERNALLY-MANAGED
COPY --from=headers /out/ /
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
CMD ["python3"]
