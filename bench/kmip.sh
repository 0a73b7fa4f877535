#!/usr/bin/env bash
# KMIP encrypt throughput beside the REST figure (issue #16): the product as shipped, with its KMIP listener on,
# one AES-256 key used over REST (wrk, bench/wrk/request.lua) and over KMIP (bench/KmipLoad), in one run.
#
#   bench/kmip.sh [--seconds N] [--warmup N] [--prewarm N] [--conns "1 16 64"] [--ops "encrypt decrypt"] [--out FILE]
#
#   --seconds  length of each measured run (default 10)
#   --warmup   unmeasured run before each case (default 3)
#   --prewarm  unmeasured run of every case, once, at the largest connection count, before any measurement
#              (default 5 s each): the JIT's later tiers arrive only after some seconds of load
#   --conns    connection counts for every case (default "1 16 64")
#   --ops      encrypt, decrypt or both (default "encrypt decrypt"); 1 KiB of plaintext either way
#   --out      where the Markdown results go (default bench/results/kmip-<date>.md)
#
# The product is the published Release build, started in Production from an empty folder with a random
# ROOT_ENCRYPTION_KEY (as bench/hotpath.sh starts it) and KMIP on a free loopback port. It is set up through the
# REST API: bootstrap, a project, an AES-256-GCM key, a KMIP client with the encrypt and decrypt permissions and
# its certificate. REST requests are plain HTTP on loopback with the bootstrap's machine identity token; KMIP
# requests are KMIP 1.4 over mutual TLS, one request in flight per connection. Each load generator runs on one thread's
# worth of processor (wrk -t1, platform-notes P23; KmipLoad with DOTNET_PROCESSOR_COUNT=1), on the same cores as
# the server. Nothing here asserts a timing: the script prints the tables and the ratios and writes them to --out.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10 warmup=3 prewarm=5 conns="1 16 64" ops="encrypt decrypt" out=""
while (( $# > 0 )); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --prewarm) prewarm=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,21p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/kmip-$(date -u +%F).md"
for op in $ops; do
  [[ $op == encrypt || $op == decrypt ]] || { echo "--ops takes encrypt and/or decrypt, not '$op'" >&2; exit 2; }
done

source bench/lib.sh   # ensure_tools, free_port, start_kms, wait_up, bootstrap_kms, call, ratio, machine_summary
ensure_tools wrk jq openssl python3

work=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  if (( status != 0 )) && [ -s "$work/kms.log" ]; then echo "the run failed; the server's log ends:" >&2; tail -n 30 "$work/kms.log" >&2; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "publishing the product and KmipLoad (Release) ..."
dotnet publish InfisicalKms.Web -c Release -o "$work/app" -nologo -clp:ErrorsOnly >/dev/null
dotnet publish bench/KmipLoad -c Release -o "$work/kmipload" -nologo -clp:ErrorsOnly >/dev/null

kms="http://127.0.0.1:$(free_port)"
kmip_port=$(free_port)
start_kms "$work/app" "$work/data" "$kms" "$work/kms.log" \
  Kms__Kmip__Enabled=true Kms__Kmip__Port="$kmip_port" Kms__Kmip__Host=127.0.0.1
wait_up "$kms" "$work/kms.log"
server_pid=$(pgrep -f -n "$work/app/InfisicalKms.Web.dll" || echo "$kms_pid")

echo "setting up: bootstrap, a project, an AES-256-GCM key, a KMIP client and its certificate ..."
token=$(bootstrap_kms "$kms")
project=$(call POST /api/v1/projects '{"projectName":"kmip bench"}' | jq -r .project.id)
aes=$(call POST /api/v1/kms/keys "{\"projectId\":\"$project\",\"name\":\"aes\",\"keyUsage\":\"encrypt-decrypt\",\"algorithm\":\"aes-256-gcm\"}" | jq -r .key.id)
client=$(call POST /api/v1/kmip/clients "{\"projectId\":\"$project\",\"name\":\"bench\",\"permissions\":[\"encrypt\",\"decrypt\"]}" | jq -r .id)
mkdir -m 700 "$work/kmip"
call POST "/api/v1/kmip/clients/$client/certificates" '{}' >"$work/kmip/issued.json"
jq -r .certificate "$work/kmip/issued.json" >"$work/kmip/client.pem"
jq -r .privateKey "$work/kmip/issued.json" >"$work/kmip/client.key"
jq -r .certificateChain "$work/kmip/issued.json" >"$work/kmip/ca.pem"
rm "$work/kmip/issued.json"

plaintext=$(head -c 1024 /dev/urandom | base64 -w0)
printf '{"plaintext":"%s"}' "$plaintext" >"$work/encrypt.json"
ciphertext=$(call POST "/api/v1/kms/keys/$aes/encrypt" "@$work/encrypt.json" | jq -r .ciphertext)
printf '{"ciphertext":"%s"}' "$ciphertext" >"$work/decrypt.json"
call POST "/api/v1/kms/keys/$aes/decrypt" "@$work/decrypt.json" >/dev/null

clk_tck=$(getconf CLK_TCK)
# The server's processor time so far (user + system), in clock ticks.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
# Sets children_ms to the processor time of this shell's finished children (user + system), in ms. Not to be
# called in $(...): a subshell starts with no children's time.
children_ms() {
  times >"$work/times"
  children_ms=$(tail -n 1 "$work/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%.0f", t * 1000 }')
}
per_request() { python3 -c "import sys; a, n = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / n:.3f}' if n else 'n/a')" "$1" "$2"; }

declare -A rps p50 p99 errs server_cpu client_cpu
cases=()
record() { # NAME CONNS RPS P50 P99 ERRORS SERVER_CPU CLIENT_CPU
  local id="$1@$2"
  rps[$id]=$3 p50[$id]=$4 p99[$id]=$5 errs[$id]=$6 server_cpu[$id]=$7 client_cpu[$id]=$8
  cases+=("$id")
  printf '  %-22s %3s conns  %10s req/s  p50 %8s ms  p99 %8s ms  errors %s  cpu ms/req: server %s, load generator %s\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8"
}

# rest OP CONNS [SECONDS] [WARMUP]: wrk with one thread against the REST route of OP.
rest() {
  local op=$1 c=$2 s=${3:-$seconds} w=${4:-$warmup}
  local -a vars=(WRK_METHOD=POST WRK_BODY_FILE="$work/$op.json" WRK_TOKEN="$token")
  local url="$kms/api/v1/kms/keys/$aes/$op"
  if (( w > 0 )); then env "${vars[@]}" wrk -t1 -c"$c" -d"${w}s" --timeout 10s -s bench/wrk/request.lua "$url" >/dev/null; fi
  (( s > 0 )) || return 0
  local ticks_before ms_before line r q50 q99 e n ms_after ticks_after
  ticks_before=$(server_ticks)
  children_ms
  ms_before=$children_ms
  line=$(env "${vars[@]}" wrk -t1 -c"$c" -d"${s}s" --timeout 10s -s bench/wrk/request.lua "$url" | grep '^RESULT')
  children_ms
  ms_after=$children_ms
  ticks_after=$(server_ticks)
  read -r _ r q50 q99 e n <<<"$line"
  record "rest-$op" "$c" "$r" "$q50" "$q99" "$e" \
    "$(per_request "$(( (ticks_after - ticks_before) * 1000 / clk_tck ))" "$n")" "$(per_request "$(( ms_after - ms_before ))" "$n")"
}

# kmip OP CONNS [SECONDS] [WARMUP]: KmipLoad on its own connections; it measures both processor times itself.
# With SECONDS 0 it only warms up (KmipLoad measures at least 1 s, which is then not recorded).
kmip() {
  local op=$1 c=$2 s=${3:-$seconds} w=${4:-$warmup} line r q50 q99 e _n client server
  line=$(DOTNET_PROCESSOR_COUNT=1 dotnet "$work/kmipload/KmipLoad.dll" --host 127.0.0.1 --port "$kmip_port" \
    --cert "$work/kmip/client.pem" --key "$work/kmip/client.key" --ca "$work/kmip/ca.pem" --uid "$aes" \
    --op "$op" --connections "$c" --seconds "$(( s > 0 ? s : 1 ))" --warmup "$w" --server-pid "$server_pid" | grep '^RESULT')
  (( s > 0 )) || return 0
  read -r _ r q50 q99 e _n client server <<<"$line"
  record "kmip-$op" "$c" "$r" "$q50" "$q99" "$e" "$server" "$client"
}

top=${conns##* }
if (( prewarm > 0 )); then
  echo "--- pre-warming every case for $prewarm s at $top connections (not measured) ---"
  for op in $ops; do
    rest "$op" "$top" 0 "$prewarm"
    kmip "$op" "$top" 0 "$prewarm"
  done
fi
for c in $conns; do
  echo "--- $c connection(s) ---"
  for op in $ops; do
    rest "$op" "$c"
    kmip "$op" "$c"
  done
done

load_avg=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
table() { # PROTOCOL: the rows of its cases
  echo "| Case | Connections | Requests/s | p50 (ms) | p99 (ms) | Errors | Server CPU (ms/req) | Load generator CPU (ms/req) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for id in "${cases[@]}"; do
    [[ $id == "$1"-* ]] || continue
    echo "| ${id%@*} | ${id#*@} | ${rps[$id]} | ${p50[$id]} | ${p99[$id]} | ${errs[$id]} | ${server_cpu[$id]} | ${client_cpu[$id]} |"
  done
}

mkdir -p "$(dirname "$out")"
{
  echo "## KMIP beside REST, $(date -u '+%F %H:%M') UTC"
  echo
  echo "Machine: $(machine_summary); $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /'); commit $commit;"
  echo "load average at the end: $load_avg. Each case: ${warmup} s warm-up, then ${seconds} s measured;"
  echo "every case pre-warmed ${prewarm} s first. 1 KiB of plaintext, one AES-256-GCM key."
  echo
  echo "REST: \`wrk -t1\`, HTTP/1.1 on loopback without TLS, \`POST /api/v1/kms/keys/{id}/<op>\` with a bearer token."
  echo
  table rest
  echo
  echo "KMIP: \`KmipLoad\` (DOTNET_PROCESSOR_COUNT=1), KMIP 1.4 over mutual TLS, one request in flight per connection."
  echo
  table kmip
  echo
  echo "| KMIP / REST (same run) | Connections | Requests/s | p50 | Server CPU per request |"
  echo "|---|---:|---:|---:|---:|"
  for c in $conns; do
    for op in $ops; do
      echo "| $op | $c | $(ratio "${rps[kmip-$op@$c]}" "${rps[rest-$op@$c]}") | $(ratio "${p50[kmip-$op@$c]}" "${p50[rest-$op@$c]}") | $(ratio "${server_cpu[kmip-$op@$c]}" "${server_cpu[rest-$op@$c]}") |"
    done
  done
} >"$out"
echo
cat "$out"
echo
echo "written to $out"
