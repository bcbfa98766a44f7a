ARG BASE`
=ubuntuapk add --no-cache git
FROM ${BASE}
