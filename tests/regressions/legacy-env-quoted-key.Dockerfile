FROM alpine:3.20
ENV NODE_ENV production
ENV "hello  world"G hi  there  $HOME
ENV ESCAP
LABEL description "a small service"
ENV MIXED "a b" c
ENV  B=2
