#!/usr/bin/env bash
# The hot-path benchmark (issue #13): the product as shipped against a bare ASP.NET Core app and
# `openssl speed`, in one run on this machine, with wrk as the load generator.
#
#   bench/hotpath.sh [--seconds N] [--warmup N] [--prewarm N] [--conns "1 16 64"] [--keys N] [--out FILE]
#
#   --seconds  length of each measured wrk run (default 10)
#   --warmup   unmeasured wrk run before each case (default 3)
#   --prewarm  unmeasured run of every product case, once, before any measurement (default 5 s each):
#              the JIT's later tiers arrive only after some seconds of load
#   --conns    connection counts for every case (default "1 16 64")
#   --keys     size of the large project for the many-keys cases (default 100000; 0 skips them)
#   --out      where the Markdown results go (default bench/results/hotpath-<date>.md)
#
# The product is the published Release build, started in Production from an empty folder that is not the
# app folder, on a fresh SQLite file (the shipped `Data Source=data/kms.db`), auditing on and logging as
# shipped. The bare app (bench/BareApp) is a slim builder with no logging and two routes: a status route
# and one that parses {"plaintext": ...} and AES-256-GCM-encrypts it. Nothing here asserts a timing: the
# script prints the table and the ratios and writes them to --out.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=10 warmup=3 prewarm=5 conns="1 16 64" keys=100000 out=""
while (( $# > 0 )); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --prewarm) prewarm=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/hotpath-$(date -u +%F).md"

source bench/lib.sh   # ensure_tools, free_port, start_kms, wait_up, bootstrap_kms, call, ratio, machine_summary
ensure_tools wrk jq openssl python3

# dotnet-gcdump measures the live managed heap (after a full collection) for the memory figure.
export PATH="$PATH:$HOME/.dotnet/tools"
if (( keys > 0 )) && ! command -v dotnet-gcdump >/dev/null; then
  echo "installing dotnet-gcdump ..."
  dotnet tool install -g dotnet-gcdump >/dev/null
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "publishing the product and the bare app (Release) ..."
dotnet publish InfisicalKms.Web -c Release -o "$work/app" -nologo -clp:ErrorsOnly >/dev/null
dotnet publish bench/BareApp -c Release -o "$work/bare" -nologo -clp:ErrorsOnly >/dev/null

kms="http://127.0.0.1:$(free_port)"
bare="http://127.0.0.1:$(free_port)"
start_kms "$work/app" "$work/data" "$kms" "$work/kms.log"
(cd "$work" && exec dotnet "$work/bare/BareApp.dll" --urls "$bare" >"$work/bare.log" 2>&1) &
pids+=($!)
wait_up "$kms" "$work/kms.log"
wait_up "$bare" "$work/bare.log"
# `dotnet` execs the app, so the server's PID is the subshell's; its RSS is what an operator sees.
server_pid=$(pgrep -f -n "$work/app/InfisicalKms.Web.dll" || echo "$kms_pid")

echo "setting up: bootstrap, a project, AES-256-GCM, ECC_NIST_P256 and RSA_4096 keys ..."
token=$(bootstrap_kms "$kms")
project=$(call POST /api/v1/projects '{"projectName":"hot path"}' | jq -r .project.id)
create_key() { call POST /api/v1/kms/keys "{\"projectId\":\"$project\",\"name\":\"$1\",\"keyUsage\":\"$2\",\"algorithm\":\"$3\"}" | jq -r .key.id; }
aes=$(create_key aes encrypt-decrypt aes-256-gcm)
ecc=$(create_key ecdsa sign-verify ECC_NIST_P256)
rsa=$(create_key rsa sign-verify RSA_4096)

plaintext=$(head -c 1024 /dev/urandom | base64 -w0)
printf '{"plaintext":"%s"}' "$plaintext" >"$work/encrypt.json"
ciphertext=$(call POST "/api/v1/kms/keys/$aes/encrypt" "@$work/encrypt.json" | jq -r .ciphertext)
printf '{"ciphertext":"%s"}' "$ciphertext" >"$work/decrypt.json"
printf '{"signingAlgorithm":"ECDSA_SHA_256","data":"%s"}' "$plaintext" >"$work/sign-ecdsa.json"
printf '{"signingAlgorithm":"RSASSA_PKCS1_V1_5_SHA_256","data":"%s"}' "$plaintext" >"$work/sign-rsa.json"
python3 -c 'import json,sys; print(json.dumps({"items": [{"plaintext": sys.argv[1]}] * 1000}))' "$plaintext" >"$work/batch.json"
# Each body is sent once before the load, so a refusal stops the run here rather than as wrk's error count.
call POST "/api/v1/kms/keys/$aes/decrypt" "@$work/decrypt.json" >/dev/null
call POST "/api/v1/kms/keys/$ecc/sign" "@$work/sign-ecdsa.json" >/dev/null
call POST "/api/v1/kms/keys/$rsa/sign" "@$work/sign-rsa.json" >/dev/null
call POST "/api/v1/kms/keys/$aes/encrypt/batch" "@$work/batch.json" >/dev/null

declare -A rps p50 p99 errs total
cases=()
# load NAME CONNS URL METHOD [BODY_FILE] [TOKEN] [PATHS_FILE] [ORDER] [WARMUP]; $duration overrides --seconds
load() {
  local name=$1 c=$2 url=$3 method=$4 body=${5:-} tok=${6:-} paths=${7:-} order=${8:-} warm=${9:-$warmup}
  local t=$(( c < 2 ? 1 : 2 ))
  local -a vars=(WRK_METHOD="$method" WRK_BODY_FILE="$body" WRK_TOKEN="$tok" WRK_PATHS_FILE="$paths" WRK_PATHS_ORDER="$order" WRK_THREADS="$t")
  if (( warm > 0 )); then env "${vars[@]}" wrk -t"$t" -c"$c" -d"${warm}s" --timeout 10s -s bench/wrk/request.lua "$url" >/dev/null; fi
  local line
  line=$(env "${vars[@]}" wrk -t"$t" -c"$c" -d"${duration:-$seconds}s" --timeout 10s -s bench/wrk/request.lua "$url" | grep '^RESULT')
  read -r _ rps["$name@$c"] p50["$name@$c"] p99["$name@$c"] errs["$name@$c"] total["$name@$c"] <<<"$line"
  cases+=("$name@$c")
  printf '  %-22s %3s conns  %10s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$name" "$c" "${rps[$name@$c]}" \
    "${p50[$name@$c]}" "${p99[$name@$c]}" "${errs[$name@$c]}"
}

k="/api/v1/kms/keys"
top=${conns##* }
if (( prewarm > 0 )); then
  echo "--- pre-warming every product case for $prewarm s at $top connections (not measured) ---"
  for path in "$k/$aes/encrypt encrypt" "$k/$aes/decrypt decrypt" "$k/$ecc/sign sign-ecdsa" "$k/$rsa/sign sign-rsa" "$k/$aes/encrypt/batch batch"; do
    read -r url body <<<"$path"
    WRK_METHOD=POST WRK_BODY_FILE="$work/$body.json" WRK_TOKEN="$token" \
      wrk -t2 -c"$top" -d"${prewarm}s" --timeout 10s -s bench/wrk/request.lua "$kms$url" >/dev/null
  done
  WRK_METHOD=GET WRK_TOKEN="$token" wrk -t2 -c"$top" -d"${prewarm}s" -s bench/wrk/request.lua "$kms$k/$aes" >/dev/null
  WRK_METHOD=GET wrk -t2 -c"$top" -d"${prewarm}s" -s bench/wrk/request.lua "$kms/api/status" >/dev/null
fi
for c in $conns; do
  echo "--- $c connection(s) ---"
  load bare-status "$c" "$bare/api/status" GET
  load bare-encrypt "$c" "$bare/encrypt" POST "$work/encrypt.json"
  load status "$c" "$kms/api/status" GET
  load encrypt "$c" "$kms$k/$aes/encrypt" POST "$work/encrypt.json" "$token"
  load decrypt "$c" "$kms$k/$aes/decrypt" POST "$work/decrypt.json" "$token"
  load ecdsa-sign "$c" "$kms$k/$ecc/sign" POST "$work/sign-ecdsa.json" "$token"
  load rsa-sign "$c" "$kms$k/$rsa/sign" POST "$work/sign-rsa.json" "$token"
  load get-key "$c" "$kms$k/$aes" GET "" "$token"
  load batch-encrypt-1000 "$c" "$kms$k/$aes/encrypt/batch" POST "$work/batch.json" "$token"
done

cores=$(nproc)
echo "--- openssl speed -multi $cores rsa4096 ---"
openssl_rsa=$(openssl speed -seconds "$seconds" -multi "$cores" rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ {print $6}')
echo "  openssl RSA-4096 sign: $openssl_rsa/s"

rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status"; }
# The live managed heap in MB: dotnet-gcdump forces a full collection first, so garbage left by earlier
# cases does not count. Unwrapped key material lives in pinned arrays on that heap.
heap_mb() {
  dotnet-gcdump collect -p "$server_pid" -o "$work/heap.gcdump" >/dev/null 2>&1
  dotnet-gcdump report "$work/heap.gcdump" | awk '/GC Heap bytes/ {gsub(",", "", $1); printf "%.0f", $1 / 1048576}'
}
if (( keys > 0 )); then
  echo "--- $keys keys in one project ---"
  many=$(call POST /api/v1/projects '{"projectName":"many keys"}' | jq -r .project.id)
  few=$(call POST /api/v1/projects '{"projectName":"hundred keys"}' | jq -r .project.id)
  start=$(date +%s)
  python3 bench/seed-keys.py "$kms" "$token" "$many" "$keys" "$work/many.ids" 4
  python3 bench/seed-keys.py "$kms" "$token" "$few" 100 "$work/few.ids" 1
  echo "  imported $keys + 100 keys in $(( $(date +%s) - start )) s"
  head -n 1 "$work/many.ids" | sed "s|.*|$k/&/encrypt|" >"$work/hot.paths"
  shuf -n 10000 "$work/many.ids" | sed "s|.*|$k/&/encrypt|" >"$work/spread.paths"
  sed "s|.*|$k/&/encrypt|" "$work/many.ids" >"$work/all.paths"

  # Spread first gets a longer warm-up: its 10,000 keys are each unwrapped once before they are warm.
  load hot-key 64 "$kms" POST "$work/encrypt.json" "$token" "$work/hot.paths"
  load spread-10000-keys 64 "$kms" POST "$work/encrypt.json" "$token" "$work/spread.paths" "" $(( warmup * 4 ))
  load list-100-keys 1 "$kms$k?projectId=$few" GET "" "$token"
  load list-$keys-keys 1 "$kms$k?projectId=$many" GET "" "$token"
  load list-100-keys 16 "$kms$k?projectId=$few" GET "" "$token"
  load list-$keys-keys 16 "$kms$k?projectId=$many" GET "" "$token"

  # Memory: the server's resident set before and after one encrypt with every key of the large project.
  # Each wrk thread stops once its share of the keys has had a request (wrk itself still waits out -d,
  # here enough for 1,000 first uses a second); the table reports how many keys the walk reached.
  rss_before=$(rss_mb)
  heap_before=$(heap_mb)
  duration=$(( keys / 1000 + 20 ))
  load warm-all-$keys-keys 16 "$kms" POST "$work/encrypt.json" "$token" "$work/all.paths" sequential 0
  walked=$(( ${total[warm-all-$keys-keys@16]} < keys ? ${total[warm-all-$keys-keys@16]} : keys ))
  unset duration
  rss_after=$(rss_mb)
  heap_after=$(heap_mb)
  echo "  server RSS: $rss_before MB before, $rss_after MB after encrypting with $walked of the $keys keys"
  echo "  live managed heap: $heap_before MB before, $heap_after MB after"
fi

machine=$(machine_summary)
load_avg=$(cut -d' ' -f1-3 /proc/loadavg)
mid=$(echo "$conns" | awk '{print $(NF > 1 ? NF - 1 : 1)}')

mkdir -p "$(dirname "$out")"
{
  echo "## Hot path, $(date -u '+%F %H:%M') UTC"
  echo
  echo "Machine: $machine; $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /'); $(openssl version | cut -d' ' -f1-2);"
  echo "load average at the end: $load_avg. Each case: ${warmup} s warm-up, then ${seconds} s measured with wrk;"
  echo "every product case pre-warmed ${prewarm} s first. Audit commit delay: ${Kms__Audit__CommitDelayMs:-as shipped} (Kms__Audit__CommitDelayMs)."
  echo
  echo "| Case | Connections | Requests/s | p50 (ms) | p99 (ms) | Errors |"
  echo "|---|---:|---:|---:|---:|---:|"
  for id in "${cases[@]}"; do
    echo "| ${id%@*} | ${id#*@} | ${rps[$id]} | ${p50[$id]} | ${p99[$id]} | ${errs[$id]} |"
  done
  echo "| openssl speed -multi $cores rsa4096 (sign) | $cores processes | $openssl_rsa | | | |"
  echo
  echo "| Ratio (same run) | Value | Target |"
  echo "|---|---:|---:|"
  echo "| encrypt / bare encrypt, $top conns | $(ratio "${rps[encrypt@$top]}" "${rps[bare-encrypt@$top]}") | ≥ 0.30 |"
  echo "| decrypt / bare encrypt, $top conns | $(ratio "${rps[decrypt@$top]}" "${rps[bare-encrypt@$top]}") | ≥ 0.30 |"
  echo "| /api/status / bare status, $top conns | $(ratio "${rps[status@$top]}" "${rps[bare-status@$top]}") | ≥ 0.80 |"
  echo "| ECDSA P-256 sign / bare encrypt, $top conns | $(ratio "${rps[ecdsa-sign@$top]}" "${rps[bare-encrypt@$top]}") | ≥ 0.25 |"
  echo "| RSA-4096 sign, $top conns / openssl speed -multi $cores | $(ratio "${rps[rsa-sign@$top]}" "$openssl_rsa") | ≥ 0.80 |"
  echo "| encrypt p99 / p50, $mid conns | $(ratio "${p99[encrypt@$mid]}" "${p50[encrypt@$mid]}") | ≤ 3 |"
  echo "| bare encrypt p99 / p50, $mid conns (the machine's own spread) | $(ratio "${p99[bare-encrypt@$mid]}" "${p50[bare-encrypt@$mid]}") | |"
  if (( keys > 0 )); then
    echo "| encrypt spread over 10,000 of $keys keys / one hot key, 64 conns | $(ratio "${rps[spread-10000-keys@64]}" "${rps[hot-key@64]}") | ≥ 0.80 |"
    echo "| list first page, p50 with $keys keys / with 100 keys, 1 conn | $(ratio "${p50[list-$keys-keys@1]}" "${p50[list-100-keys@1]}") | ≤ 2 |"
    echo "| live managed heap after one encrypt with each of $walked keys − before (MB) | $(( heap_after - heap_before )) ($heap_before → $heap_after) | reported |"
    echo "| server RSS after − before (MB; the collector also returns memory) | $(( rss_after - rss_before )) ($rss_before → $rss_after) | |"
  fi
} >"$out"
echo
cat "$out"
echo
echo "written to $out"
