#!/usr/bin/env bash
# Runs the whole test suite: builds, installs what the tests need when it is missing, runs every test
# project on SQLite and the Core and API suites again on PostgreSQL, and ends with one line
# "N passed, N failed". Extra arguments go to `dotnet test` for a single pass instead
# (e.g. ./test.sh --filter FullyQualifiedName~Crypto; KMS_TEST_PROVIDER=Postgres ./test.sh --filter ...).
set -uo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# SoftHSM2 for the HSM tests (Category=Hsm): they create their own tokens and fail without it.
{ command -v softhsm2-util >/dev/null 2>&1 && [ -f /usr/lib/softhsm/libsofthsm2.so ]; } || need_apt+=(softhsm2)
# Debian's Chromium (/usr/bin/chromium) for the browser end-to-end test; playwright-core downloads none.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# PostgreSQL for the PostgreSQL pass and the multi-instance tests: they start their own throw-away cluster
# with initdb and pg_ctl (TestSupport/PostgresServer.cs) and fail without it.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_apt+=(postgresql)
# nginx for the sticky-session test, run as the test's own process with its own configuration.
[ -x /usr/sbin/nginx ] || need_apt+=(nginx)
# PyKMIP 0.10 for the KMIP tests (Kmip/PyKmipTests): a real KMIP client run under /usr/bin/python3; they fail without it.
/usr/bin/python3 -c "import kmip" >/dev/null 2>&1 || need_apt+=(python3-pykmip)
if (( ${#need_apt[@]} > 0 )); then
  echo "installing ${need_apt[*]} ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The official SDK for the compatibility test, exactly as pinned by its lock file.
sdk=InfisicalKms.Tests/Compat/sdk
if [ ! -d "$sdk/node_modules/@infisical/sdk" ]; then
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed in $sdk"; echo "0 passed, 1 failed"; exit 1; }
fi

# playwright-core and axe-core for the browser end-to-end tests, exactly as pinned by their lock file.
browser=InfisicalKms.Tests/E2E/browser
if [ ! -d "$browser/node_modules/playwright-core" ] || [ ! -d "$browser/node_modules/axe-core" ]; then
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed in $browser"; echo "0 passed, 1 failed"; exit 1; }
fi

if ! dotnet build InfisicalKms.sln -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

results=TestResults
rm -rf "$results"
if (( $# > 0 )); then
  # Arguments (a filter): one pass, on the provider KMS_TEST_PROVIDER names (SQLite unless it says Postgres).
  dotnet test InfisicalKms.sln --no-build --nologo --logger trx --results-directory "$results" "$@"
  rc=$?
else
  # Every suite on SQLite, the default provider; then the Core and API suites again on PostgreSQL: the same
  # tests, each host on a database of its own on a real server (TestSupport/TestDatabase.cs).
  dotnet test InfisicalKms.sln --no-build --nologo --logger "trx;LogFileName=sqlite.trx" --results-directory "$results"
  rc=$?
  KMS_TEST_PROVIDER=Postgres dotnet test InfisicalKms.Tests --no-build --nologo --logger "trx;LogFileName=postgres.trx" \
    --results-directory "$results" \
    --filter "(FullyQualifiedName~InfisicalKms.Tests.Core|FullyQualifiedName~InfisicalKms.Tests.Web.Api)&Category!=MultiInstance&Category!=SqliteOnly&Category!=DbCopy"
  rc_pg=$?
  (( rc == 0 )) && rc=$rc_pg
fi

shopt -s nullglob
trx=("$results"/*.trx)
if (( ${#trx[@]} == 0 )); then
  echo "no test results in $results (build or test host failure?)" >&2
  echo "0 passed, 1 failed"
  exit $(( rc == 0 ? 1 : rc ))
fi
# One <UnitTestResult ... outcome="..."> per test; skipped tests are NotExecuted (platform-notes §5).
cat "${trx[@]}" | grep -o '<UnitTestResult [^>]*>' | grep -o ' outcome="[A-Za-z]*"' |
  awk -F'"' '{ n[$2]++ }
    END { if (n["NotExecuted"] > 0) printf "%d skipped\n", n["NotExecuted"]
          printf "%d passed, %d failed\n", n["Passed"], n["Failed"] + n["Error"] + n["Timeout"] + n["Aborted"] }'
exit "$rc"
