#!/usr/bin/env bash
# Starts a throw-away server (Production, random ROOT_ENCRYPTION_KEY, temporary SQLite) on loopback,
# bootstraps it and runs the RSA creation load script against it. Prints the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build InfisicalKms.Web -nologo -clp:ErrorsOnly -c Release >/dev/null
dir=$(mktemp -d)
port=${PORT:-5399}
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
ASPNETCORE_ENVIRONMENT=Production ROOT_ENCRYPTION_KEY=$(openssl rand -base64 32) \
  ConnectionStrings__Kms="Data Source=$dir/kms.db" Logging__LogLevel__Default=Warning \
  dotnet InfisicalKms.Web/bin/Release/net10.0/InfisicalKms.Web.dll --urls "http://127.0.0.1:$port" >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/api/status" >/dev/null && break; sleep 0.5; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/admin/bootstrap" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"benchmark passphrase","organization":"Bench"}' | jq -r .identity.credentials.token)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); date: $(date -u +%F)"
KMS_URL="http://127.0.0.1:$port" KMS_ADMIN_TOKEN="$token" node bench/rsa-create-latency.mjs "${1:-10}"
