#!/usr/bin/env bash
# bench-images.sh — time reference/diskimage's converter against `qemu-img convert`.
#
# Inputs (generated in a temp dir, deleted on exit):
#   sparse4g   4 GiB sparse raw, 256 × 1 MiB random at distinct MiB indices (seeded shuf)
#   dense1g    1 GiB of /dev/urandom
#   sparse64g  64 GiB sparse raw, 256 × 1 MiB random          (work must follow data)
#   dense256m  256 MiB of /dev/urandom                          (same data, no holes)
# For each input and format: one warm-up run, then $RUNS timed runs of each tool; prints the
# median wall time, the output's apparent size and the peak RSS (/usr/bin/time -v) as a
# Markdown table. Page-cache timings: neither tool fsyncs.
#
#   scripts/bench-images.sh            # RUNS=3 by default
#   RUNS=5 INPUTS="sparse4g" scripts/bench-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
INPUTS=${INPUTS:-"sparse4g dense1g sparse64g dense256m"}
command -v qemu-img >/dev/null || { echo "qemu-img missing (apt-get install qemu-utils)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing (apt-get install time)" >&2; exit 1; }

tmp=$(mktemp -d /var/tmp/bench-images.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/benchconv" ./reference/diskimage/internal/benchconv

# scatter FILE SIZE_MIB: 256 random 1 MiB chunks at distinct MiB indices.
scatter() {
  truncate -s "$2M" "$1"
  shuf -i "0-$(($2 - 1))" -n 256 --random-source=<(yes 42) | while read -r i; do
    head -c 1M /dev/urandom | dd of="$1" bs=1M seek="$i" conv=notrunc status=none
  done
}
make_input() {
  case $1 in
    sparse4g)  scatter "$tmp/$1.raw" 4096 ;;
    sparse64g) scatter "$tmp/$1.raw" 65536 ;;
    dense1g)   head -c 1G /dev/urandom >"$tmp/$1.raw" ;;
    dense256m) head -c 256M /dev/urandom >"$tmp/$1.raw" ;;
  esac
}

# measure OUT CMD...: warm-up, then RUNS runs; prints "median_ms size_bytes max_rss_kib".
measure() {
  local out=$1; shift
  rm -f "$out"; "$@" >/dev/null 2>&1; rm -f "$out"
  local times=() rss=0 size=0
  for _ in $(seq "$RUNS"); do
    rm -f "$out"
    /usr/bin/time -v -o "$tmp/time.txt" "$@" >/dev/null 2>"$tmp/err.txt" || { cat "$tmp/err.txt" >&2; return 1; }
    local e; e=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
    local ms; ms=$(awk -v t="$e" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%d", s * 1000 }')
    times+=("$ms")
    local r; r=$(awk -F': ' '/Maximum resident/ {print $2}' "$tmp/time.txt")
    (( r > rss )) && rss=$r
    size=$(stat -c %s "$out")
  done
  rm -f "$out"
  local med; med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$med $size $rss [${times[*]}]"
}

# format label | our benchconv -to | qemu-img convert arguments (or a shell pipeline for raw)
FORMATS=(
  "qcow2|qcow2|-O qcow2"
  "vhd (dynamic)|vhd|-O vpc -o force_size=on"
  "vhd (fixed)|vhd-fixed|-O vpc -o subformat=fixed,force_size=on"
  "vmdk (streamOptimized)|vmdk|-O vmdk -o subformat=streamOptimized"
  "vdi|vdi|-O vdi"
  "raw.tar.gz (vs GNU tar -S + gzip -1)|raw|TAR"
)

echo "| input | format | ours ms (median) [runs] | qemu-img ms (median) [runs] | time ours/qemu | ours bytes | qemu bytes | size ours/qemu | ours peak RSS MiB | qemu peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for in in $INPUTS; do
  make_input "$in"
  src="$tmp/$in.raw"
  for f in "${FORMATS[@]}"; do
    IFS='|' read -r label to qargs <<<"$f"
    out="$tmp/out.img"
    read -r oms osz orss oruns < <(measure "$out" "$tmp/benchconv" -to "$to" "$src" "$out")
    if [ "$qargs" = TAR ]; then
      read -r qms qsz qrss qruns < <(measure "$out" sh -c "tar -C '$tmp' -S --format=pax -cf - '$in.raw' | gzip -1 >'$out'")
    else
      # shellcheck disable=SC2086
      read -r qms qsz qrss qruns < <(measure "$out" qemu-img convert -f raw $qargs "$src" "$out")
    fi
    ratio=$(awk -v a="$oms" -v b="$qms" 'BEGIN { if (b == 0) b = 1; printf "%.2f", (a == 0 ? 1 : a) / b }')
    sratio=$(awk -v a="$osz" -v b="$qsz" 'BEGIN { printf "%.2f", a / b }')
    echo "| $in | $label | $oms $oruns | $qms $qruns | $ratio | $osz | $qsz | $sratio | $((orss / 1024)) | $((qrss / 1024)) |"
  done
  rm -f "$src"
done
