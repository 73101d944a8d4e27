#!/usr/bin/env bash
# bench-images.sh — time the `eic image convert` command (the built binary, as a user runs it)
# against `qemu-img convert` on the same inputs.
#
# Inputs (generated in a temp dir, deleted on exit):
#   sparse4g   4 GiB sparse raw, 256 × 1 MiB random at distinct MiB indices (seeded shuf)
#   dense1g    1 GiB of /dev/urandom
#   sparse64g  64 GiB sparse raw, 256 × 1 MiB random          (work must follow data)
#   dense256m  256 MiB of /dev/urandom                          (same data, no holes)
# For each input and format: one untimed warm-up of each tool, then $RUNS rounds, each running
# both back to back, eic first in odd rounds and qemu-img first in even ones (interleaved, so
# load on a shared machine hits both alike, and neither always follows the other),
# under /usr/bin/time -v. Prints medians, the output's apparent size and the peak RSS as a
# Markdown table.
#
# Two modes per format:
#   page cache   `eic image convert` (no fsync, the default)  vs  `qemu-img convert`
#   durable      `eic image convert --sync`                   vs  `qemu-img convert` then `sync OUT`
# raw.tar.gz has no qemu-img peer: it is compared with GNU tar -S | gzip -1.
#
#   scripts/bench-images.sh                        # RUNS=5 INPUTS="sparse4g dense1g"
#   RUNS=7 INPUTS="sparse4g dense1g sparse64g dense256m" SYNC=0 scripts/bench-images.sh
#   LIB=1 SYNC=0 scripts/bench-images.sh           # the library alone (internal/benchconv), no CLI start-up
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
INPUTS=${INPUTS:-"sparse4g dense1g"}
SYNC=${SYNC:-1}   # 1: also --sync against qemu-img + sync (not for vmdk: qemu-img is far slower there anyway)
TAR=${TAR:-0}     # 1: also raw.tar.gz against GNU tar -S | gzip -1 (slow: minutes per GiB)
LIB=${LIB:-0}     # 1: time reference/diskimage/internal/benchconv (the library) instead of eic
ONLY=${ONLY:-}    # an extended regex: only the formats whose label matches (e.g. ONLY='qcow2|vdi')
command -v qemu-img >/dev/null || { echo "qemu-img missing (apt-get install qemu-utils)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing (apt-get install time)" >&2; exit 1; }

tmp=$(mktemp -d /var/tmp/bench-images.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/eic" ./cmd/eic
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

# once OUT CMD...: one timed run; prints "ms max_rss_kib size_bytes". The untimed sync
# before it writes back what earlier runs left dirty, so no run pays for another's write-back.
once() {
  local out=$1; shift
  rm -f "$out"
  sync
  /usr/bin/time -v -o "$tmp/time.txt" "$@" >/dev/null 2>"$tmp/err.txt" || { cat "$tmp/err.txt" >&2; return 1; }
  awk -F': ' -v size="$(stat -c %s "$out" 2>/dev/null || echo 0)" '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; ms = s * 1000 }
    /Maximum resident/ { rss = $2 }
    END { printf "%d %d %.0f\n", ms, rss, size }' "$tmp/time.txt"
  rm -f "$out"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# compare LABEL OURS_CMD -- PEER_CMD: warm-up, RUNS interleaved rounds, one table row.
compare() {
  local label=$1; shift
  local ours=() peer=()
  while [ "$1" != "--" ]; do ours+=("$1"); shift; done
  shift; peer=("$@")
  local out="$tmp/out.img"
  once "$out" "${ours[@]}" >/dev/null; once "$out" "${peer[@]}" >/dev/null
  local ot=() pt=() orss=0 prss=0 osz=0 psz=0 ms rss sz
  # The order alternates round by round (eic first, then qemu-img first): on this VM a run
  # right after another program deleted a large output writes into the page cache at a
  # fraction of its speed (docs/performance.md), so a fixed order would bias one side.
  for r in $(seq "$RUNS"); do
    if (( r % 2 )); then
      read -r ms rss sz < <(once "$out" "${ours[@]}"); ot+=("$ms"); osz=$sz; (( rss > orss )) && orss=$rss
      read -r ms rss sz < <(once "$out" "${peer[@]}"); pt+=("$ms"); psz=$sz; (( rss > prss )) && prss=$rss
    else
      read -r ms rss sz < <(once "$out" "${peer[@]}"); pt+=("$ms"); psz=$sz; (( rss > prss )) && prss=$rss
      read -r ms rss sz < <(once "$out" "${ours[@]}"); ot+=("$ms"); osz=$sz; (( rss > orss )) && orss=$rss
    fi
  done
  local om pm; om=$(median "${ot[@]}"); pm=$(median "${pt[@]}")
  local ratio; ratio=$(awk -v a="$om" -v b="$pm" 'BEGIN { if (b == 0) b = 1; printf "%.2f", (a == 0 ? 1 : a) / b }')
  local sratio; sratio=$(awk -v a="$osz" -v b="$psz" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }')
  echo "| $in | $label | $om [${ot[*]}] | $pm [${pt[*]}] | **$ratio** | $osz | $psz | $sratio | $((orss / 1024)) | $((prss / 1024)) |"
}

# format label | eic flags | qemu-img convert output arguments
FORMATS=(
  "qcow2|--to qcow2|-O qcow2"
  "vhd (dynamic)|--to vhd|-O vpc -o force_size=on"
  "vhd (fixed)|--to vhd --vhd-fixed|-O vpc -o subformat=fixed,force_size=on"
  "vmdk (streamOptimized)|--to vmdk|-O vmdk -o subformat=streamOptimized"
  "vdi|--to vdi|-O vdi"
)

echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; qemu-img $(qemu-img --version | head -1 | awk '{print $3}'); RUNS=$RUNS"
echo
echo "| input | format / mode | eic ms (median) [runs] | peer ms (median) [runs] | time eic/peer | eic bytes | peer bytes | size eic/peer | eic peak RSS MiB | peer peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# Start-up: what every invocation pays before converting anything.
in=none
compare "start-up: eic image help vs qemu-img --help" "$tmp/eic" image help -- qemu-img --help
for in in $INPUTS; do
  make_input "$in"
  src="$tmp/$in.raw"
  out="$tmp/out.img"
  for f in "${FORMATS[@]}"; do
    IFS='|' read -r label eflags qargs <<<"$f"
    [ -z "$ONLY" ] || [[ $label =~ $ONLY ]] || continue
    if [ "$LIB" = 1 ]; then
      to=${eflags#--to }; to=${to/ --vhd-fixed/-fixed}
      # shellcheck disable=SC2086
      compare "$label (library)" "$tmp/benchconv" -to "$to" "$src" "$out" -- qemu-img convert -f raw $qargs "$src" "$out"
      continue
    fi
    # shellcheck disable=SC2086
    compare "$label" "$tmp/eic" image convert --progress off $eflags "$src" "$out" -- qemu-img convert -f raw $qargs "$src" "$out"
    if [ "$SYNC" = 1 ] && [[ $label != vmdk* ]]; then
      # shellcheck disable=SC2086
      compare "$label, --sync vs qemu-img + sync" "$tmp/eic" image convert --progress off --sync $eflags "$src" "$out" -- \
        sh -c "qemu-img convert -f raw $qargs '$src' '$out' && sync '$out'"
    fi
  done
  if [ "$TAR" = 1 ]; then
    compare "raw.tar.gz vs GNU tar -S + gzip -1" "$tmp/eic" image convert --progress off --to raw.tar.gz "$src" "$out" -- \
      sh -c "tar -C '$tmp' -S --format=pax -cf - '$in.raw' | gzip -1 >'$out'"
  fi
  rm -f "$src"
done
