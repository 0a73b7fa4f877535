#!/usr/bin/env bash
# Encrypt throughput over HTTP with auditing on (as shipped) and off (a discarding audit sink, benchmark
# host only), both in one run: Release build, Kestrel on loopback, a fresh SQLite file per server.
# Arguments go to the benchmark: --clients 1,16,64 --seconds 3 --warmup 2 --pairs 5 (the defaults).
# Prints the machine and date, one line per round, a Markdown table for bench/README.md and the audit
# check; exits 1 on a failed request or when the records do not match the answered requests.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/AuditThroughput -nologo -clp:ErrorsOnly -c Release >/dev/null
dotnet bench/AuditThroughput/bin/Release/net10.0/AuditThroughput.dll "$@"
