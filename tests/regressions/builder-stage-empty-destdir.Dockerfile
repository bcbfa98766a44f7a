FROM alpine:3.20
RUN apk add --no-cache build-base openssl-dev zlib-dev
WORKDIR /src
COPY . .
RUN make && make install DESTDIR=