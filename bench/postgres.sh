#!/usr/bin/env bash
# The hot-path benchmark on PostgreSQL (issue #14): the same requests as bench/hotpath.sh against the product
# on SQLite, on PostgreSQL with one instance, and on PostgreSQL with two instances, in one run on this
# machine, and the ratios against SQLite.
#
#   bench/postgres.sh [--seconds N] [--warmup N] [--conns "16 64"] [--out FILE]
#
#   --seconds  length of each measured wrk run (default 10)
#   --warmup   unmeasured wrk run before each case (default 3)
#   --conns    connection counts (default "16 64"); with two instances each gets half, from its own wrk
#   --out      where the Markdown results go (default bench/results/postgres-<date>.md)
#
# Every instance is the published Release build in Production, started from an empty folder, auditing on as
# shipped. PostgreSQL is Debian's (installed when missing), a throw-away cluster in a temporary folder with
# the server's defaults (fsync and synchronous_commit on, as SQLite's synchronous=FULL), on a loopback port.
# Everything shares this machine's cores: the two-instance figures show the cost of coherence and of the
# shared database, not the gain of a second machine (bench/README.md explains what would change).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10 warmup=3 conns="16 64" out=""
while (( $# > 0 )); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/postgres-$(date -u +%F).md"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v jq >/dev/null || need+=(jq)
command -v python3 >/dev/null || need+=(python3)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
if (( ${#need[@]} > 0 )); then
  echo "installing ${need[*]} ..."
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$work/pg" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# initdb and pg_ctl refuse to run as root (platform-notes P20): the cluster belongs to postgres then.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
source bench/lib.sh   # free_port, wait_up

echo "starting PostgreSQL ($pgbin) ..."
mkdir -p "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg/db" -A trust -U postgres -E UTF8 >/dev/null
pgport=$(free_port)
as_pg "$pgbin/pg_ctl" -D "$work/pg/db" -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=300" \
  -l "$work/pg/log" -w start >/dev/null
psql() { "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qAt "$@"; }

echo "publishing the product (Release) ..."
dotnet publish InfisicalKms.Web -c Release -o "$work/app" -nologo -clp:ErrorsOnly >/dev/null
root_key=$(openssl rand -base64 32)

# start NAME PROVIDER CONNECTION_STRING: an instance in its own empty folder; sets url (not in a subshell,
# so that its process is remembered for clean-up)
start() {
  url="http://127.0.0.1:$(free_port)"
  mkdir -p "$work/$1"
  (cd "$work/$1" && ASPNETCORE_ENVIRONMENT=Production ROOT_ENCRYPTION_KEY=$root_key Kms__Database__Provider=$2 \
    ConnectionStrings__Kms="$3" exec dotnet "$work/app/InfisicalKms.Web.dll" --urls "$url" >"$work/$1.log" 2>&1) &
  pids+=($!)
  wait_up "$url" "$work/$1.log"
}

# setup URL: bootstrap, a project, an AES-256-GCM and an ECC_NIST_P256 key; sets token, aes, ecc
setup() {
  token=$(curl -sSf -X POST "$1/api/v1/admin/bootstrap" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"benchmark passphrase","organization":"Bench"}' | jq -r .identity.credentials.token)
  local auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
  local project
  project=$(curl -sSf -X POST "$1/api/v1/projects" "${auth[@]}" -d '{"projectName":"hot path"}' | jq -r .project.id)
  aes=$(curl -sSf -X POST "$1/api/v1/kms/keys" "${auth[@]}" \
    -d "{\"projectId\":\"$project\",\"name\":\"aes\",\"keyUsage\":\"encrypt-decrypt\",\"algorithm\":\"aes-256-gcm\"}" | jq -r .key.id)
  ecc=$(curl -sSf -X POST "$1/api/v1/kms/keys" "${auth[@]}" \
    -d "{\"projectId\":\"$project\",\"name\":\"ecdsa\",\"keyUsage\":\"sign-verify\",\"algorithm\":\"ECC_NIST_P256\"}" | jq -r .key.id)
  local ciphertext
  ciphertext=$(curl -sSf -X POST "$1/api/v1/kms/keys/$aes/encrypt" "${auth[@]}" -d "@$work/encrypt.json" | jq -r .ciphertext)
  printf '{"ciphertext":"%s"}' "$ciphertext" >"$work/decrypt-$aes.json"
}

plaintext=$(head -c 1024 /dev/urandom | base64 -w0)
printf '{"plaintext":"%s"}' "$plaintext" >"$work/encrypt.json"
printf '{"signingAlgorithm":"ECDSA_SHA_256","data":"%s"}' "$plaintext" >"$work/sign-ecdsa.json"

declare -A rps p50 p99 errs
cases=()
# load SETUP CASE CONNS METHOD PATH BODY URL...: one wrk per URL, connections split between them, run at once;
# requests/s add up, p50 and p99 are the worst of the wrk processes.
load() {
  local setup=$1 name=$2 c=$3 method=$4 path=$5 body=$6
  shift 6
  local n=$# per=$(( c / $# )) id="$setup|$name@$c"
  local t=$(( per < 2 ? 1 : 2 ))
  local -a vars=(WRK_METHOD="$method" WRK_BODY_FILE="$body" WRK_TOKEN="$token")
  local url
  for url in "$@"; do env "${vars[@]}" wrk -t"$t" -c"$per" -d"${warmup}s" --timeout 10s -s bench/wrk/request.lua "$url$path" >/dev/null & done
  wait_jobs
  local i=0
  for url in "$@"; do
    env "${vars[@]}" wrk -t"$t" -c"$per" -d"${seconds}s" --timeout 10s -s bench/wrk/request.lua "$url$path" | grep '^RESULT' >"$work/wrk.$i" &
    i=$(( i + 1 ))
  done
  wait_jobs
  read -r rps["$id"] p50["$id"] p99["$id"] errs["$id"] < <(cat "$work"/wrk.* | awk '
    { r += $2; if ($3 > a) a = $3; if ($4 > b) b = $4; e += $5 } END { printf "%.0f %s %s %d\n", r, a, b, e }')
  rm -f "$work"/wrk.*
  cases+=("$id")
  printf '  %-26s %-16s %3s conns  %9s req/s  p50 %7s ms  p99 %7s ms  errors %s\n' "$setup" "$name" "$c" \
    "${rps[$id]}" "${p50[$id]}" "${p99[$id]}" "${errs[$id]}"
}
# Waits for the wrk jobs started by load, not for the servers started earlier.
wait_jobs() { local j; for j in $(jobs -p); do [[ " ${pids[*]} " == *" $j "* ]] || wait "$j"; done; }

# measure SETUP URL...: every case against these instances
measure() {
  local setup=$1
  shift
  local k=/api/v1/kms/keys c
  for c in $conns; do
    load "$setup" status "$c" GET /api/status "" "$@"
    load "$setup" encrypt "$c" POST "$k/$aes/encrypt" "$work/encrypt.json" "$@"
    load "$setup" decrypt "$c" POST "$k/$aes/decrypt" "$work/decrypt-$aes.json" "$@"
    load "$setup" ecdsa-sign "$c" POST "$k/$ecc/sign" "$work/sign-ecdsa.json" "$@"
    load "$setup" get-key "$c" GET "$k/$aes" "" "$@"
  done
}

echo "--- SQLite, one instance ---"
start sqlite Sqlite "Data Source=data/kms.db"; sqlite=$url
setup "$sqlite"
measure sqlite "$sqlite"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

echo "--- PostgreSQL, one instance ---"
psql -c "CREATE DATABASE one"
start pg-one Postgres "Host=127.0.0.1;Port=$pgport;Database=one;Username=postgres"; pg_one=$url
setup "$pg_one"
measure postgres-1 "$pg_one"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

echo "--- PostgreSQL, two instances ---"
psql -c "CREATE DATABASE two"
start pg-a Postgres "Host=127.0.0.1;Port=$pgport;Database=two;Username=postgres"; pg_a=$url
start pg-b Postgres "Host=127.0.0.1;Port=$pgport;Database=two;Username=postgres"; pg_b=$url
setup "$pg_a"
measure postgres-2 "$pg_a" "$pg_b"
audited=$(psql -d two -c "SELECT COUNT(*) FROM \"AuditEvents\"")
chains=$(psql -d two -c "SELECT COUNT(*) FROM \"AuditChainHeads\"")

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')" "$1" "$2"; }
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
mkdir -p "$(dirname "$out")"
{
  echo "## PostgreSQL against SQLite, $(date -u '+%F %H:%M') UTC"
  echo
  echo "Machine: $machine; $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /'); PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')"
  echo "on the same machine (defaults: fsync and synchronous_commit on). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Each case: ${warmup} s warm-up, then ${seconds} s measured with wrk; two instances get half the connections each,"
  echo "from two wrk processes at once. The two-instance run left $audited audit records in $chains chains."
  echo
  echo "| Case | Connections | SQLite req/s | PG 1 instance | PG 2 instances | PG 1 / SQLite | PG 2 / SQLite | p99 ms (SQLite / PG 1 / PG 2) | Errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for id in "${cases[@]}"; do
    [[ $id == sqlite\|* ]] || continue
    local_case=${id#sqlite|}
    one="postgres-1|$local_case" two="postgres-2|$local_case"
    echo "| ${local_case%@*} | ${local_case#*@} | ${rps[$id]} | ${rps[$one]} | ${rps[$two]} | $(ratio "${rps[$one]}" "${rps[$id]}") | $(ratio "${rps[$two]}" "${rps[$id]}") | ${p99[$id]} / ${p99[$one]} / ${p99[$two]} | $(( errs[$id] + errs[$one] + errs[$two] )) |"
  done
} >"$out"
echo
cat "$out"
echo
echo "written to $out"
