#!/usr/bin/env bash
# Ranged GetObject throughput from the OSS endpoint (loopback HTTP, directory store) against
# reading the same bytes from a file on disk, with 1, 2 and 4 concurrent streams on both
# sides; net/http's own ServeContent of the file (the HTTP ceiling); the OSS SDK v2
# Downloader with its defaults against reading the file the same way; and ListObjectsV2
# over 100 000 objects (page of 1 000). Prints the median of COUNT runs of each case, the
# runs, and the ratios of the medians, by wall clock (MB/s) and by CPU (MB per CPU-second
# of the whole process: client and server are both in it).
# Usage: scripts/bench-oss.sh [COUNT] [BENCHTIME]     (defaults 5 and 2s)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
benchtime=${2:-2s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'RangedGet|ListObjectsV2_100k' -benchtime "$benchtime" -count "$count" ./reference/ossapi | tee "$out" >&2
if grep -q '^--- FAIL\|^FAIL' "$out"; then
  echo "bench-oss.sh: a benchmark failed" >&2
  exit 1
fi
awk '
  /^BenchmarkRangedGet\// { name = $1; sub(/^BenchmarkRangedGet\//, "", name); sub(/-[0-9]+$/, "", name)
    for (i = 2; i <= NF; i++) {
      if ($i == "MB/s") mbs[name] = mbs[name] " " $(i-1)
      if ($i == "MB/cpu-s") cpu[name] = cpu[name] " " $(i-1)
    } }
  /^BenchmarkListObjectsV2_100k/ { for (i = 2; i <= NF; i++) if ($i == "ns/op") list = list " " $(i-1) }
  function median(l,   n, v, i, j, t) {
    n = split(l, v, " ")
    if (n == 0) return 0
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
  function runs(l,   n, v, i, s) { n = split(l, v, " "); s = ""; for (i = 1; i <= n; i++) s = s sprintf(" %.0f", v[i]); return "[" s " ]" }
  END {
    print "ranged GetObject, 8 MiB ranges of a 256 MiB object; N concurrent streams on both sides"
    print "(median MB/s wall clock [runs]; MB per CPU-second in parentheses)"
    for (n = 1; n <= 4; n *= 2) {
      o = "oss/" n; r = "bare/" n; d = "disk/" n
      if (mbs[o] == "") continue
      printf "  N=%d  oss %.0f %s (%.0f)   bare %.0f %s (%.0f)   disk %.0f %s (%.0f)\n", n,
        median(mbs[o]), runs(mbs[o]), median(cpu[o]), median(mbs[r]), runs(mbs[r]), median(cpu[r]),
        median(mbs[d]), runs(mbs[d]), median(cpu[d])
      printf "       oss/disk %s (cpu %s)   bare/disk %s (cpu %s)   oss/bare %s (cpu %s)\n",
        ratio(median(mbs[o]), median(mbs[d])), ratio(median(cpu[o]), median(cpu[d])),
        ratio(median(mbs[r]), median(mbs[d])), ratio(median(cpu[r]), median(cpu[d])),
        ratio(median(mbs[o]), median(mbs[r])), ratio(median(cpu[o]), median(cpu[r]))
    }
    s = "sdkv2/download"; sn = "sdkv2/download-nocrc"; d = "disk/download"
    if (mbs[s] != "") {
      print "whole-object download, 3 parallel ranged GETs of 6 MiB (the OSS SDK v2 Downloader defaults)"
      printf "  sdkv2 Downloader, defaults %.0f %s (%.0f)   without CRC-64 %.0f %s (%.0f)   disk, same parts %.0f %s (%.0f)\n",
        median(mbs[s]), runs(mbs[s]), median(cpu[s]), median(mbs[sn]), runs(mbs[sn]), median(cpu[sn]),
        median(mbs[d]), runs(mbs[d]), median(cpu[d])
      printf "       sdkv2/disk %s (cpu %s)   sdkv2-nocrc/disk %s (cpu %s)\n",
        ratio(median(mbs[s]), median(mbs[d])), ratio(median(cpu[s]), median(cpu[d])),
        ratio(median(mbs[sn]), median(mbs[d])), ratio(median(cpu[sn]), median(cpu[d]))
    }
    if (list != "") printf "ListObjectsV2, 100 000 objects, page of 1 000: %.1f ms per page [%s ns ]\n", median(list) / 1e6, list
  }' "$out"
