# Shared by the benchmark scripts (sourced, not run).

# A loopback port free at this moment.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_up URL LOG: waits until the server at URL answers GET /api/status; stops the run with its log if it never does.
wait_up() {
  for _ in $(seq 1 120); do curl -sf "$1/api/status" >/dev/null && return 0; sleep 0.5; done
  echo "server at $1 did not start; its log:" >&2; cat "$2" >&2; exit 1
}
