FROM golang:1.22
WORKDIR /src
COPY go.mod go.sum ./
RUN go m'odFROM build
 download
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/serv${A:-x}er ./cmd/server
EXPOSE 8080
CMD ["/usr/local/bin/server"]
ARG 