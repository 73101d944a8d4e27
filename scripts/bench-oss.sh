#!/usr/bin/env bash
# Ranged GetObject throughput from the OSS endpoint (loopback HTTP, directory store) against
# reading the same bytes from a file on disk, and ListObjectsV2 over 100 000 objects (page of
# 1 000), measured in the same run. Prints the median of COUNT runs and the ratio oss/disk.
# Usage: scripts/bench-oss.sh [COUNT]     (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'RangedGet|ListObjectsV2_100k' -benchtime 2s -count "$count" ./reference/ossapi | tee "$out" >&2
awk '
  /^BenchmarkRangedGet\// { split($1, a, "/"); name = a[2]; sub(/-[0-9]+$/, "", name)
    for (i = 2; i <= NF; i++) if ($i == "MB/s") mbs[name] = mbs[name] " " $(i-1) }
  /^BenchmarkListObjectsV2_100k/ { for (i = 2; i <= NF; i++) if ($i == "ns/op") list = list " " $(i-1) }
  function median(l,   n, v, i, j, t) {
    n = split(l, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  END {
    printf "ranged GetObject (8 MiB ranges): oss %.0f MB/s [%s ], disk %.0f MB/s [%s ], oss/disk %.2f\n",
      median(mbs["oss"]), mbs["oss"], median(mbs["disk"]), mbs["disk"], median(mbs["oss"]) / median(mbs["disk"])
    if (mbs["bare"] != "") printf "ceiling: net/http ServeContent of the same file over loopback %.0f MB/s [%s ], oss/bare %.2f, bare/disk %.2f\n",
      median(mbs["bare"]), mbs["bare"], median(mbs["oss"]) / median(mbs["bare"]), median(mbs["bare"]) / median(mbs["disk"])
    printf "ListObjectsV2, 100 000 objects, page of 1 000: %.1f ms per page [%s ns ]\n", median(list) / 1e6, list
  }' "$out"
