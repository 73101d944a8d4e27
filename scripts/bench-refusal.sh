#!/usr/bin/env bash
# Server time of refused large requests against a valid small one (BenchmarkRefusal, in
# process, no network), one run of every case per round so adjacent runs see the same load on
# a shared machine. Prints the median ns/op of COUNT rounds per case and its ratio to
# valid-small. Usage:
#   scripts/bench-refusal.sh [COUNT]     (default 6)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$count"); do
  go test -run '^$' -bench 'Refusal' -count 1 ./reference/api | tee -a "$out" >&2
done
awk '
  /^BenchmarkRefusal\// {
    split($1, a, "/"); name = a[2]; sub(/-[0-9]+$/, "", name)
    ns[name] = ns[name] " " $3
  }
  function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  END {
    printf "%-24s %12s %10s\n", "case", "µs/request", "÷ valid"
    b = median(ns["valid-small"])
    for (k in ns) printf "%-24s %12.0f %10.1f\n", k, median(ns[k]) / 1000, median(ns[k]) / b
  }' "$out"
