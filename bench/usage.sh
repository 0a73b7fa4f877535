#!/usr/bin/env bash
# The key usage benchmark (issue #17): how fast the usage routes answer over 30 days of a busy project's audit
# log, and what counting usage costs the write path, in one run on this machine, with wrk as the load generator.
#
#   bench/usage.sh [--records N] [--seconds N] [--warmup N] [--out FILE]
#
#   --records  audit records seeded into the busy project over the last 30 days (default 1000000)
#   --seconds  length of each measured wrk run (default 10)
#   --warmup   unmeasured wrk run before each case (default 3)
#   --out      where the Markdown results go (default bench/results/usage-<date>.md)
#   --baseline the commit to compare encrypts with (default 61ef27b, the last one without key usage counts)
#   --keep DIR copies the seeded database (and its ROOT_ENCRYPTION_KEY) to DIR, to profile queries on it later
#
# The product is the published Release build, started in Production from an empty folder that is not the app
# folder, on a fresh SQLite file. Two projects get the same 20 keys and 8 machine identities; with the server
# stopped, bench/UsageSeed writes back-dated usage records into them (--records into the busy one, 1,000 into the
# small one) through KmsDbContext, so they are chained as the server chains them and the database's triggers count
# them. Then, with the server up again, wrk measures each usage route at 1 and 4 connections against two
# baselines from the same server (`/api/status`, the first page of the project's audit log), sqlite3 times the
# same 30-day count done directly over the raw records, and two more fresh servers measure what counting costs an
# encrypt: this build against the build of --baseline, the last commit before key usage was counted. Nothing
# asserts a timing.
set -euo pipefail
cd "$(dirname "$0")/.."

records=1000000 seconds=10 warmup=3 out="" keep="" baseline=61ef27b
while (( $# > 0 )); do
  case $1 in
    --records) records=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    -h|--help) sed -n 2,21p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/usage-$(date -u +%F).md"

source bench/lib.sh   # ensure_tools, free_port, start_kms, wait_up, bootstrap_kms, call, ratio, machine_summary
ensure_tools wrk jq openssl python3 sqlite3

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  git worktree remove --force "$work/baseline-src" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "publishing the product and the seeding tool (Release) ..."
dotnet publish InfisicalKms.Web -c Release -o "$work/app" -nologo -clp:ErrorsOnly >/dev/null
dotnet publish bench/UsageSeed -c Release -o "$work/seed" -nologo -clp:ErrorsOnly >/dev/null
echo "publishing the baseline, $baseline (Release) ..."
git worktree add --detach "$work/baseline-src" "$baseline" >/dev/null 2>&1
dotnet publish "$work/baseline-src/InfisicalKms.Web" -c Release -o "$work/baseline" -nologo -clp:ErrorsOnly >/dev/null

# stop_kms: stops the server started last and waits until it has let go of its database.
stop_kms() {
  local pid
  pid=$(pgrep -f -n "$work/app/InfisicalKms.Web.dll" || echo "$kms_pid")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
}

root_key=$(openssl rand -base64 32)   # the same for each start of the seeded server
kms="http://127.0.0.1:$(free_port)"
start_kms "$work/app" "$work/data" "$kms" "$work/kms.log" ROOT_ENCRYPTION_KEY="$root_key"
wait_up "$kms" "$work/kms.log"

echo "setting up: two projects with 20 keys and 8 machine identities each ..."
bootstrap=$(curl -sSf -X POST "$kms/api/v1/admin/bootstrap" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"benchmark passphrase","organization":"Bench"}')
token=$(jq -r .identity.credentials.token <<<"$bootstrap")
org=$(jq -r .organization.id <<<"$bootstrap")
identities=()
for i in 1 2 3 4 5 6 7 8; do
  identities+=("$(call POST /api/v1/identities "{\"name\":\"service-$i\",\"organizationId\":\"$org\"}" | jq -r .identity.id)")
done
# make_project NAME: a project with the 8 identities as members and 20 keys (12 AES, 4 ECDSA, 4 HMAC); prints its ID.
make_project() {
  local project i
  project=$(call POST /api/v1/projects "{\"projectName\":\"$1\"}" | jq -r .project.id)
  for i in "${identities[@]}"; do
    call POST "/api/v1/projects/$project/identity-memberships/$i" '{"role":"member"}' >/dev/null
  done
  for i in $(seq -w 1 12); do
    call POST /api/v1/kms/keys "{\"projectId\":\"$project\",\"name\":\"data-$i\",\"keyUsage\":\"encrypt-decrypt\",\"algorithm\":\"aes-256-gcm\"}" >/dev/null
  done
  for i in 1 2 3 4; do
    call POST /api/v1/kms/keys "{\"projectId\":\"$project\",\"name\":\"signing-$i\",\"keyUsage\":\"sign-verify\",\"algorithm\":\"ECC_NIST_P256\"}" >/dev/null
    call POST /api/v1/kms/keys "{\"projectId\":\"$project\",\"name\":\"mac-$i\",\"keyUsage\":\"generate-verify-mac\",\"algorithm\":\"HMAC_SHA_256\"}" >/dev/null
  done
  echo "$project"
}
busy=$(make_project "busy")
small=$(make_project "small")
# RecordMix gives the first encrypt-decrypt key by name the most traffic.
busiest=$(call GET "/api/v1/kms/keys?projectId=$busy&limit=100" | jq -r '.keys[] | select(.name == "data-01") | .id')

echo "stopping the server to seed $records + 1,000 records over 30 days ..."
stop_kms
seed_start=$(date +%s.%N)
dotnet "$work/seed/UsageSeed.dll" --db "$work/data/data/kms.db" --project "$busy" --records "$records" | tee "$work/seed.log"
seed_seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.0f}')" "$seed_start" "$(date +%s.%N)")
dotnet "$work/seed/UsageSeed.dll" --db "$work/data/data/kms.db" --project "$small" --records 1000 >/dev/null
sqlite3 "$work/data/data/kms.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
db_mb=$(du -m "$work/data/data/kms.db" | cut -f1)
usage_rows=$(sqlite3 "$work/data/data/kms.db" 'SELECT (SELECT COUNT(*) FROM KeyUsageHours) || " hourly counts, " || (SELECT COUNT(*) FROM KeyUsageActorHours) || " hourly actor counts"')

# The same 30-day question asked of the raw records: usage by key, day, operation and outcome.
project_blob=$(python3 -c "import uuid, sys; print(str(uuid.UUID(sys.argv[1])).upper())" "$busy")
since=$(date -u -d '30 days ago' '+%Y-%m-%d 00:00:00')
naive_sql="SELECT KeyId, substr(CreatedAt, 1, 10) AS day, EventType, Outcome, COUNT(*) FROM AuditEvents
  WHERE ProjectId = '$project_blob' AND CreatedAt >= '$since' AND KeyId IS NOT NULL GROUP BY 1, 2, 3, 4;"
naive_rows=$(sqlite3 "$work/data/data/kms.db" "$naive_sql" | wc -l)
naive_time=$(printf '.timer on\n%s\n' "$naive_sql" | sqlite3 "$work/data/data/kms.db" | awk '/^Run Time/ {print $4}')
echo "  raw GROUP BY over the busy project's records: $naive_rows groups in $naive_time s (sqlite3)"

if [ -n "$keep" ]; then
  mkdir -p "$keep" && cp "$work/data/data/kms.db" "$keep/" && echo "$root_key" >"$keep/root-key" && echo "$busy" >"$keep/project"
fi
start_kms "$work/app" "$work/data" "$kms" "$work/kms.log" ROOT_ENCRYPTION_KEY="$root_key"
wait_up "$kms" "$work/kms.log"

declare -A rps p50 p99 errs
cases=()
# load NAME CONNS URL [METHOD] [BODY_FILE]: one wrk case with the admin token.
load() {
  local name=$1 c=$2 url=$3 method=${4:-GET} body=${5:-} line
  local -a vars=(WRK_METHOD="$method" WRK_BODY_FILE="$body" WRK_TOKEN="$token" WRK_THREADS=1)
  (( warmup > 0 )) && env "${vars[@]}" wrk -t1 -c"$c" -d"${warmup}s" --timeout 10s -s bench/wrk/request.lua "$url" >/dev/null
  line=$(env "${vars[@]}" wrk -t1 -c"$c" -d"${seconds}s" --timeout 10s -s bench/wrk/request.lua "$url" | grep '^RESULT')
  read -r _ rps["$name@$c"] p50["$name@$c"] p99["$name@$c"] errs["$name@$c"] _ <<<"$line"
  cases+=("$name@$c")
  printf '  %-34s %2s conns  %9s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$name" "$c" "${rps[$name@$c]}" \
    "${p50[$name@$c]}" "${p99[$name@$c]}" "${errs[$name@$c]}"
}

from=$(date -u -d '30 days ago' '+%Y-%m-%dT%H:00:00Z')
p="/api/v1/projects"
for c in 1 4; do
  echo "--- $c connection(s) ---"
  load "status (baseline)" "$c" "$kms/api/status"
  load "audit log, first page (baseline)" "$c" "$kms$p/$busy/audit-logs"
  for size in busy small; do
    project=${!size}
    load "$size: project, 30 days by day" "$c" "$kms$p/$project/usage?bucket=day"
    load "$size: project, 30 days by hour" "$c" "$kms$p/$project/usage?bucket=hour&from=$from"
  done
  load "busy: busiest key, 30 days by day" "$c" "$kms/api/v1/kms/keys/$busiest/usage?bucket=day"
  load "busy: busiest key, 30 days by hour" "$c" "$kms/api/v1/kms/keys/$busiest/usage?bucket=hour&from=$from"
  load "busy: busiest key, 24 hours" "$c" "$kms/api/v1/kms/keys/$busiest/usage"
done
busy_total=$(call GET "$p/$busy/usage?bucket=day" | jq '.usage.total.success + .usage.total.failure')
stop_kms

echo "--- what counting usage costs an encrypt: this build and $baseline, each on a fresh database ---"
plaintext=$(head -c 1024 /dev/urandom | base64 -w0)
printf '{"plaintext":"%s"}' "$plaintext" >"$work/encrypt.json"
declare -A enc_url
for variant in with without; do
  url="http://127.0.0.1:$(free_port)"
  app="$work/app"
  [ "$variant" = without ] && app="$work/baseline"
  start_kms "$app" "$work/$variant" "$url" "$work/$variant.log" ROOT_ENCRYPTION_KEY="$root_key"
  wait_up "$url" "$work/$variant.log"
  kms=$url
  token_variant=$(bootstrap_kms "$url")
  token=$token_variant
  project=$(call POST /api/v1/projects '{"projectName":"write path"}' | jq -r .project.id)
  key=$(call POST /api/v1/kms/keys "{\"projectId\":\"$project\",\"name\":\"aes\",\"keyUsage\":\"encrypt-decrypt\",\"algorithm\":\"aes-256-gcm\"}" | jq -r .key.id)
  enc_url[$variant]="$url/api/v1/kms/keys/$key/encrypt $token_variant"
  # Pre-warmed, unmeasured: the JIT's later tiers arrive only after some seconds of load.
  WRK_METHOD=POST WRK_BODY_FILE="$work/encrypt.json" WRK_TOKEN="$token_variant" \
    wrk -t2 -c64 -d10s --timeout 10s -s bench/wrk/request.lua "$url/api/v1/kms/keys/$key/encrypt" >/dev/null
done
# Alternated, twice, in turn first, so a burst of load from elsewhere on the machine lands on both variants alike.
for round in 1 2; do
  for c in 16 64; do
    order="with without"
    (( round == 2 )) && order="without with"
    for variant in $order; do
      read -r url token <<<"${enc_url[$variant]}"
      load "encrypt, counting $variant (round $round)" "$c" "$url" POST "$work/encrypt.json"
    done
  done
done

machine=$(machine_summary)
load_avg=$(cut -d' ' -f1-3 /proc/loadavg)
mean() { python3 -c "import sys; v = [float(x) for x in sys.argv[1:]]; print(f'{sum(v) / len(v):.1f}')" "$@"; }
mkdir -p "$(dirname "$out")"
{
  echo "## Key usage, $(date -u '+%F %H:%M') UTC"
  echo
  echo "Machine: $machine; $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /'); load average at the end: $load_avg."
  echo "Each case: ${warmup} s warm-up, then ${seconds} s measured with wrk (one thread)."
  echo
  echo "Seeded $(printf "%'d" "$records") usage records into the busy project over 30 days in $seed_seconds s"
  echo "($(tail -n 2 "$work/seed.log" | head -n 1 | awk '{print $(NF - 1)}') records/s through KmsDbContext, the triggers counting each), and 1,000"
  echo "into the small one. Database: $db_mb MB; $usage_rows. The busy project's 30-day"
  echo "chart counts $busy_total operations. The same count straight from the raw records (sqlite3, GROUP BY key,"
  echo "day, operation and outcome, $naive_rows groups): $naive_time s."
  echo
  echo "| Case | Connections | Requests/s | p50 (ms) | p99 (ms) | Errors |"
  echo "|---|---:|---:|---:|---:|---:|"
  for id in "${cases[@]}"; do
    echo "| ${id%@*} | ${id#*@} | ${rps[$id]} | ${p50[$id]} | ${p99[$id]} | ${errs[$id]} |"
  done
  echo
  echo "| Encrypt 1 KiB, mean of 2 rounds | Counting usage (this build) | Without ($baseline) | Ratio |"
  echo "|---|---:|---:|---:|"
  for c in 16 64; do
    with=$(mean "${rps[encrypt, counting with (round 1)@$c]}" "${rps[encrypt, counting with (round 2)@$c]}")
    without=$(mean "${rps[encrypt, counting without (round 1)@$c]}" "${rps[encrypt, counting without (round 2)@$c]}")
    echo "| $c connections | $with/s | $without/s | $(ratio "$with" "$without") |"
  done
} >"$out"
echo
cat "$out"
echo
echo "written to $out"
