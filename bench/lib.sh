# Shared by the benchmark scripts (sourced, not run).

# A loopback port free at this moment.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_up URL LOG: waits until the server at URL answers GET /api/status; stops the run with its log if it never does.
wait_up() {
  for _ in $(seq 1 120); do curl -sf "$1/api/status" >/dev/null && return 0; sleep 0.5; done
  echo "server at $1 did not start; its log:" >&2; cat "$2" >&2; exit 1
}

# ensure_tools COMMAND...: installs from Debian the packages of the same names for the commands that are missing.
ensure_tools() {
  local need=() c sudo=""
  for c in "$@"; do command -v "$c" >/dev/null || need+=("$c"); done
  if (( ${#need[@]} > 0 )); then
    echo "installing ${need[*]} ..."
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# start_kms APP_DIR DATA_DIR URL LOG [NAME=VALUE ...]: starts the published product (APP_DIR) as an operator
# would: in Production, from DATA_DIR (created empty; not the app folder, so the shipped `Data Source=data/kms.db`
# is a fresh SQLite file there), with a random ROOT_ENCRYPTION_KEY and the given settings as environment
# variables. Appends its PID to the caller's `pids` and sets `kms_pid`; does not wait (see wait_up).
start_kms() {
  local app=$1 dir=$2 url=$3 log=$4
  shift 4
  mkdir -p "$dir"
  (cd "$dir" && exec env ASPNETCORE_ENVIRONMENT=Production ROOT_ENCRYPTION_KEY="$(openssl rand -base64 32)" "$@" \
    dotnet "$app/InfisicalKms.Web.dll" --urls "$url" >"$log" 2>&1) &
  pids+=($!)
  kms_pid=$!
}

# bootstrap_kms URL: bootstraps a fresh server through the API and prints the admin machine identity's token.
bootstrap_kms() {
  curl -sSf -X POST "$1/api/v1/admin/bootstrap" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"benchmark passphrase","organization":"Bench"}' | jq -r .identity.credentials.token
}

# call METHOD PATH [BODY]: the answer's JSON from the server at $kms with the bearer token $token; stops the
# run on any non-2xx. BODY may be @FILE, as for curl -d.
call() {
  local body
  body=$(curl -sS -X "$1" "$kms$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} -w '\n%{http_code}')
  local status=${body##*$'\n'}
  [[ $status == 2* ]] || { echo "$1 $2 answered $status: ${body%$'\n'*}" >&2; exit 1; }
  printf '%s' "${body%$'\n'*}"
}

# ratio A B: A / B to two decimals, or n/a when B is zero.
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')" "$1" "$2"; }

# machine_summary: "<cores> cores, <CPU model>, <memory>" for the results' header.
machine_summary() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
}
