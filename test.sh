#!/usr/bin/env bash
# Runs the whole test suite: builds, installs what the tests need when it is missing, runs every test
# project, and ends with one line "N passed, N failed". Extra arguments go to `dotnet test`
# (e.g. ./test.sh --filter FullyQualifiedName~Crypto).
set -uo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# SoftHSM2 for the HSM tests (Category=Hsm): they create their own tokens and fail without it.
{ command -v softhsm2-util >/dev/null 2>&1 && [ -f /usr/lib/softhsm/libsofthsm2.so ]; } || need_apt+=(softhsm2)
# Debian's Chromium (/usr/bin/chromium) for the browser end-to-end test; playwright-core downloads none.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if (( ${#need_apt[@]} > 0 )); then
  echo "installing ${need_apt[*]} ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The official SDK for the compatibility test, exactly as pinned by its lock file.
sdk=InfisicalKms.Tests/Compat/sdk
if [ ! -d "$sdk/node_modules/@infisical/sdk" ]; then
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed in $sdk"; echo "0 passed, 1 failed"; exit 1; }
fi

# playwright-core for the browser end-to-end test, exactly as pinned by its lock file.
browser=InfisicalKms.Tests/E2E/browser
if [ ! -d "$browser/node_modules/playwright-core" ]; then
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed in $browser"; echo "0 passed, 1 failed"; exit 1; }
fi

if ! dotnet build InfisicalKms.sln -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

results=TestResults
rm -rf "$results"
dotnet test InfisicalKms.sln --no-build --nologo --logger trx --results-directory "$results" "$@"
rc=$?

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
