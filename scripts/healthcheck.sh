#!/bin/bash
# The services' container health checks (each Dockerfile's HEALTHCHECK): one real protocol
# exchange on the loopback port, in bash with its /dev/tcp and /dev/udp, rather than a new
# Node process. Docker runs a check every 2 s inside the service's own cgroup; measured on a
# 512 MiB tcp container over 60 s, a Node check cost ~45 ms of CPU and a ~10 MiB memory spike
# each, this one ~20 ms (most of it runc's exec) and ~1 MiB (docs/safety.md).
#   healthcheck.sh tcp|udp|http|rpc|faults|dashboard     exit 0: healthy, 1: not
set -u

# http_exchange PORT METHOD PATH BODY EXPECT: a 200 whose body contains EXPECT
http_exchange() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf '%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "$2" "$3" "${#4}" "$4" >&3
  IFS= read -r -t 2 status <&3 || exit 1
  [[ $status == "HTTP/1.1 200 "* ]] || exit 1
  IFS= read -r -t 2 -d '' rest <&3 # to the end: the server closes (Connection: close)
  [[ $rest == *"$5"* ]]
}

case ${1:-} in
tcp) # the cmd protocol: PING -> OK PONG
  exec 3<>"/dev/tcp/127.0.0.1/${TCP_CMD_PORT:-9998}" || exit 1
  printf 'PING\n' >&3
  IFS= read -r -t 2 line <&3 && [[ $line == 'OK PONG' ]]
  ;;
udp) # seed 002's hello port: "health" -> "Hello, health!" (three tries of 500 ms; -N reads the datagram whole)
  exec 3<>"/dev/udp/127.0.0.1/${UDP_HELLO_PORT:-9999}" || exit 1
  for _ in 1 2 3; do
    printf 'health' >&3
    IFS= read -r -t 0.5 -N 14 reply <&3 2>/dev/null && [[ $reply == 'Hello, health!' ]] && exit 0
  done
  exit 1
  ;;
http) http_exchange "${HTTP_PORT:-8080}" GET /health '' '{"status":"ok"}' ;;
rpc) # a JSON-RPC echo call over HTTP
  http_exchange "${RPC_HTTP_PORT:-15000}" POST /jsonrpc '{"jsonrpc":"2.0","method":"echo","params":["ok"],"id":1}' \
    '{"jsonrpc":"2.0","result":"ok","id":1}'
  ;;
faults) http_exchange "${FAULTS_API_PORT:-8474}" GET /version '' '{"version":"' ;;
dashboard) http_exchange "${DASHBOARD_PORT:-8088}" GET /health '' '{"status":"ok"}' ;;
*)
  echo "usage: healthcheck.sh tcp|udp|http|rpc|faults|dashboard" >&2
  exit 2
  ;;
esac
