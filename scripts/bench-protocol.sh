#!/usr/bin/env bash
# Throughput of a V3-signed (and V1-signed) request over loopback against a bare net/http
# handler, measured in the same run on the same machine. Prints the median of COUNT runs of
# each benchmark (req/s, p99 latency) and the ratio signed/bare. Usage:
#   scripts/bench-protocol.sh [COUNT]     (default 6)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# One run of each case per round, rounds in a row: on a shared machine the load drifts, and
# adjacent runs of bare, v3 and v1 see the same load.
for _ in $(seq "$count"); do
  go test -run '^$' -bench 'Loopback' -benchtime 2s -count 1 ./reference/api | tee -a "$out" >&2
done
awk '
  /^BenchmarkLoopback\// {
    split($1, a, "/"); name = a[2]; sub(/-[0-9]+$/, "", name)
    for (i = 2; i <= NF; i++) { if ($i == "req/s") rps[name] = rps[name] " " $(i-1); if ($i == "p99-µs") p99[name] = p99[name] " " $(i-1) }
  }
  function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  END {
    printf "%-6s %10s %10s %8s\n", "case", "req/s", "p99 µs", "vs bare"
    b = median(rps["bare"])
    for (k in rps) printf "%-6s %10.0f %10.0f %8.2f\n", k, median(rps[k]), median(p99[k]), median(rps[k]) / b
  }' "$out"
