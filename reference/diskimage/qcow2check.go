package diskimage

import (
	"encoding/binary"
	"fmt"
)

// qcowHeaderFields are the header fields the consistency check needs.
type qcowHeaderFields struct {
	version           uint32
	l1Off, l1Size     int64
	rtOff, rtClusters int64
	snapshots         uint32
	refcountOrder     uint32
	headerLength      int64
}

// qcowMaxProblems bounds the problems one check lists; the count of the rest is reported.
const qcowMaxProblems = 50

// check runs the checks `qemu-img check` runs on a qcow2 file (qcow2_check_refcounts and
// check_refcounts_l1/l2): header length and extensions; L1 and L2 entries aligned and inside
// the file; every cluster's stored refcount against its actual use (header, L1, L2 tables,
// refcount table and blocks, data); COPIED flags agreeing with refcount 1; metadata and data
// not overlapping. Opening already refused shared clusters and bad L1 entries. Caller holds q.mu.
func (q *qcowImage) check() []string {
	var out []string
	extra := 0
	report := func(format string, a ...any) {
		if len(out) < qcowMaxProblems {
			out = append(out, fmt.Sprintf(format, a...))
		} else {
			extra++
		}
	}
	defer func() {
		if extra > 0 {
			out = append(out, fmt.Sprintf("%d more problems not listed", extra))
		}
	}()
	be := binary.BigEndian
	cl := q.cluster
	h := q.hdr
	fileClusters := ceilDiv(q.fileSize, cl)

	// Header extensions (version 3: after header_length; version 2: after the 72-byte header),
	// up to the end of the first cluster.
	if h.headerLength > cl {
		report("header_length %d exceeds the cluster size %d", h.headerLength, cl)
	} else {
		head := make([]byte, min(cl, q.fileSize))
		if n, _ := q.r.ReadAt(head, 0); int64(n) == int64(len(head)) {
			for off := h.headerLength; ; {
				if off+8 > int64(len(head)) {
					report("header extensions run past the first cluster")
					break
				}
				typ, length := be.Uint32(head[off:]), int64(be.Uint32(head[off+4:]))
				if typ == 0 {
					break
				}
				next := off + 8 + (length+7)/8*8
				if next > int64(len(head)) {
					report("header extension %#x at %d of %d bytes runs past the first cluster", typ, off, length)
					break
				}
				off = next
			}
		}
	}
	// Count the references to every host cluster: a bit per cluster, and a map for the few
	// clusters referenced more than once (clusters holding several compressed clusters, or
	// damage). Memory follows the file's size in clusters / 8.
	var used, copiedSet, flagged hostUse
	multi := map[int64]int64{}
	add := func(first, n int64, what func() string) {
		for c := first; c < first+n; c++ {
			if c >= fileClusters {
				report("%s: cluster %#x is beyond the end of the file (%d bytes)", what(), c*cl, q.fileSize)
				return
			}
			if !used.claim(c, 1) {
				multi[c] = max(multi[c], 1) + 1
			}
		}
	}
	refs := func(c int64) int64 {
		if n, ok := multi[c]; ok {
			return n
		}
		if used.has(c) {
			return 1
		}
		return 0
	}
	named := func(s string) func() string { return func() string { return s } }
	add(0, 1, named("header"))
	l1End := h.l1Off + h.l1Size*8
	if h.l1Size > 0 {
		add(h.l1Off/cl, ceilDiv(l1End, cl)-h.l1Off/cl, named("L1 table"))
	}

	// L1 and L2 entries.
	l2Entries := cl / 8
	// flag records a reference that must carry COPIED exactly when the refcount is 1.
	flag := func(c int64, set bool) {
		flagged.claim(c, 1)
		if set {
			copiedSet.claim(c, 1)
		}
	}
	rawL1 := make([]byte, h.l1Size*8)
	if h.l1Size > 0 {
		if n, _ := q.r.ReadAt(rawL1, h.l1Off); n < len(rawL1) {
			report("L1 table at %#x is cut short by the end of the file", h.l1Off)
			rawL1 = rawL1[:n/8*8]
		}
	}
	for i := 0; i*8 < len(rawL1); i++ {
		e := be.Uint64(rawL1[i*8:])
		off := int64(e & qcowOffsetMask)
		if off == 0 {
			continue
		}
		if e&^(qcowOffsetMask|qcowCopied) != 0 {
			report("L1[%d] = %#x has reserved bits set", i, e)
		}
		if off%cl != 0 || off >= q.fileSize {
			report("L1[%d]: L2 table offset %#x is unaligned or beyond the end of the file", i, off)
			continue
		}
		add(off/cl, 1, func() string { return fmt.Sprintf("L1[%d]", i) })
		flag(off/cl, e&qcowCopied != 0)
		t, err := q.tableLocked(uint64(off))
		if err != nil {
			report("L1[%d]: %v", i, err)
			continue
		}
		for j, e := range t {
			if e == 0 {
				continue
			}
			guest := (int64(i)*l2Entries + int64(j)) * cl
			where := func() string { return fmt.Sprintf("L2 entry for guest offset %d", guest) }
			if e&qcowCompressed != 0 {
				x := 62 - (q.clusterBits - 8)
				host := int64(e & (uint64(1)<<x - 1))
				sectors := int64((e>>x)&(uint64(1)<<(q.clusterBits-8)-1)) + 1
				end := host/512*512 + sectors*512
				if e&qcowCopied != 0 {
					report("%s: compressed cluster with the COPIED flag", where())
				}
				if host >= q.fileSize {
					report("%s: compressed data at %#x is beyond the end of the file", where(), host)
					continue
				}
				add(host/cl, (min(end, q.fileSize)-1)/cl-host/cl+1, where)
				continue
			}
			host := int64(e & qcowOffsetMask)
			if e&^(qcowOffsetMask|qcowCopied|qcowZeroFlag) != 0 {
				report("%s: %#x has reserved bits set", where(), e)
			}
			if host == 0 {
				continue
			}
			if host%cl != 0 {
				report("%s: data cluster offset %#x is not cluster-aligned", where(), host)
				continue
			}
			if guest >= q.size {
				report("%s: maps data past the virtual size %d", where(), q.size)
			}
			add(host/cl, 1, where)
			flag(host/cl, e&qcowCopied != 0)
		}
	}

	// The refcount table and blocks, and every cluster's stored refcount. Internal snapshots
	// share clusters with the active tables (refcount > 1, COPIED clear); their tables are not
	// walked here, so with snapshots the refcounts cannot be compared and are not. (ECS never
	// exports internal snapshots; qemu-img check does walk them.)
	if h.snapshots > 0 {
		return out
	}
	bits := int64(1) << h.refcountOrder
	perBlock := cl * 8 / bits
	if h.rtOff%cl != 0 || h.rtOff == 0 || h.rtOff+h.rtClusters*cl > q.fileSize {
		report("refcount table at %#x (%d clusters) is unaligned or beyond the end of the file", h.rtOff, h.rtClusters)
		return out
	}
	add(h.rtOff/cl, h.rtClusters, named("refcount table"))
	rt := make([]byte, h.rtClusters*cl)
	if err := readFull(q.r, rt, h.rtOff); err != nil {
		report("refcount table: %v", err)
		return out
	}
	blockAt := make([]int64, len(rt)/8) // refcount block offsets, 0 when absent or bad
	for i := range blockAt {
		off := int64(be.Uint64(rt[i*8:]) & qcowOffsetMask)
		if off == 0 {
			continue
		}
		if off%cl != 0 || off+cl > q.fileSize {
			report("refcount table entry %d: refcount block %#x is unaligned or beyond the end of the file", i, off)
			continue
		}
		add(off/cl, 1, func() string { return fmt.Sprintf("refcount block %d", i) })
		blockAt[i] = off
	}
	// Walk the clusters in file order, one refcount block in memory at a time.
	block, blockIdx := make([]byte, cl), int64(-1)
	stored := func(c int64) int64 {
		i := c / perBlock
		if i >= int64(len(blockAt)) || blockAt[i] == 0 {
			return 0
		}
		if i != blockIdx {
			if err := readFull(q.r, block, blockAt[i]); err != nil {
				clear(block)
			}
			blockIdx = i
		}
		idx := c % perBlock
		switch bits {
		case 64:
			return int64(be.Uint64(block[idx*8:]))
		case 32:
			return int64(be.Uint32(block[idx*4:]))
		case 16:
			return int64(be.Uint16(block[idx*2:]))
		case 8:
			return int64(block[idx])
		default:
			shift := (idx * bits) % 8
			return int64(block[idx*bits/8]>>shift) & (1<<bits - 1)
		}
	}
	for c := int64(0); c < fileClusters; c++ {
		got, want := stored(c), refs(c)
		switch {
		case want > 1 && got != want:
			report("cluster %#x is used %d times (metadata or data overlap), refcount %d", c*cl, want, got)
		case got < want:
			report("cluster %#x is in use but its refcount is %d, want %d", c*cl, got, want)
		case got > want && want == 0:
			report("cluster %#x is leaked: refcount %d but unused", c*cl, got)
		case got > want:
			report("cluster %#x has refcount %d, want %d", c*cl, got, want)
		}
		if flagged.has(c) && copiedSet.has(c) != (got == 1) {
			report("cluster %#x: COPIED flag %v but refcount %d", c*cl, copiedSet.has(c), got)
		}
	}
	return out
}
