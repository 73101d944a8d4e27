package diskimage

// qcow2, version 3 (compat 1.1), 64 KiB clusters, 16-bit refcounts: the same parameters as
// `qemu-img convert -O qcow2`.
//
// Writer layout (everything computable from the list of non-zero guest clusters, so the output
// can be a stream that is never seeked; on a regular file the data clusters are written with
// several positioned writes in flight instead):
//
//	[header] [refcount table] [refcount blocks] [L1] [L2 tables in guest order] [data clusters in guest order]
//
// A pre-pass reads the source's extents once and records the non-zero 64 KiB clusters as runs
// (memory follows the data's shape, not the virtual size); the second pass writes. All-zero
// clusters are left unallocated. Every cluster in the file has refcount 1 and every L1/L2 entry
// carries the COPIED bit, so `qemu-img check` is clean. The last cluster is stored whole.
//
// Reader: versions 2 and 3, any cluster size qemu allows (512 B–2 MiB), normal, zero-flagged
// and compressed (raw deflate) clusters; no backing files, encryption, external data, extended
// L2 or zstd. The input is hostile: every offset is bounded by the file, the L1 table by
// qemu's 32 MiB cap, no host cluster may be referenced twice (two L1 entries sharing an L2
// table, two L2 entries sharing a data cluster, data on metadata), and memory stays below
// ~64 MiB. Problems (qcow2check.go) runs the rest of qemu-img check: refcounts, COPIED flags.

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

const (
	qcowClusterBits   = 16
	qcowCluster       = 1 << qcowClusterBits
	qcowL2Entries     = qcowCluster / 8
	qcowRefcountBits  = 16
	qcowRefsPerBlock  = qcowCluster * 8 / qcowRefcountBits
	qcowHeaderLength  = 112 // as qemu 7.2: 104 + compression_type byte + padding
	qcowCopied        = uint64(1) << 63
	qcowCompressed    = uint64(1) << 62
	qcowZeroFlag      = uint64(1)
	qcowOffsetMask    = uint64(0x00fffffffffffe00)
	qcowMaxL1Bytes    = 32 << 20 // qemu's QCOW_MAX_L1_SIZE
	qcowMaxVirtual    = int64(1) << 56
	qcowMaxExtents    = 1 << 20 // above this, the reader reports coarser extents
	qcowL2CacheTables = 4
)

var qcowMagic = []byte("QFI\xfb")

// qcowLayout is the cluster plan of the file the writer emits.
type qcowLayout struct {
	l1Size                      int64 // entries
	rtClusters, rbClusters      int64
	l1Clusters, l2Tables, nData int64
	rtOff, rbOff, l1Off, l2Off  int64
	dataOff, totalClusters      int64
}

func planQCOW2(size int64, m *unitMap) qcowLayout {
	var p qcowLayout
	p.l1Size = ceilDiv(size, qcowCluster*qcowL2Entries)
	p.l1Clusters = ceilDiv(p.l1Size*8, qcowCluster) // 0 for an empty disk: an L1 cluster would leak
	last := int64(-1)
	for _, r := range m.runs {
		lo, hi := r.first/qcowL2Entries, (r.first+r.n-1)/qcowL2Entries
		if lo == last {
			lo++
		}
		if hi >= lo {
			p.l2Tables += hi - lo + 1
		}
		last = hi
	}
	p.nData = m.count
	p.rbClusters, p.rtClusters = 1, 1
	for {
		total := 1 + p.rtClusters + p.rbClusters + p.l1Clusters + p.l2Tables + p.nData
		rb := ceilDiv(total, qcowRefsPerBlock)
		rt := max(1, ceilDiv(rb*8, qcowCluster))
		if rb == p.rbClusters && rt == p.rtClusters {
			p.totalClusters = total
			break
		}
		p.rbClusters, p.rtClusters = rb, rt
	}
	p.rtOff = qcowCluster
	p.rbOff = p.rtOff + p.rtClusters*qcowCluster
	p.l1Off = p.rbOff + p.rbClusters*qcowCluster
	p.l2Off = p.l1Off + p.l1Clusters*qcowCluster
	p.dataOff = p.l2Off + p.l2Tables*qcowCluster
	return p
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func writeQCOW2(w io.Writer, src Source, opt Options) error {
	size := src.Size()
	if size > qcowMaxVirtual {
		return fmt.Errorf("diskimage: qcow2: virtual size %d too large", size)
	}
	m, err := scanUnits(src, qcowCluster)
	if err != nil {
		return err
	}
	p := planQCOW2(size, m)
	// On a regular file the metadata is written from offset 0 and the data clusters by
	// writesInFlight positioned writes at once; on anything else everything is one stream.
	fa, bw := imageOut(w, 1<<20)
	cl := make([]byte, qcowCluster)
	be := binary.BigEndian
	flush := func() error {
		_, err := bw.Write(cl)
		clear(cl)
		return err
	}

	// Header.
	copy(cl, qcowMagic)
	be.PutUint32(cl[4:], 3)
	be.PutUint32(cl[20:], qcowClusterBits)
	be.PutUint64(cl[24:], uint64(size))
	be.PutUint32(cl[36:], uint32(p.l1Size))
	be.PutUint64(cl[40:], uint64(p.l1Off))
	be.PutUint64(cl[48:], uint64(p.rtOff))
	be.PutUint32(cl[56:], uint32(p.rtClusters))
	be.PutUint32(cl[96:], 4) // refcount_order: 16-bit
	be.PutUint32(cl[100:], qcowHeaderLength)
	if err := flush(); err != nil {
		return err
	}

	// Refcount table, then refcount blocks: clusters [0, total) have refcount 1.
	for i := int64(0); i < p.rtClusters*qcowL2Entries; i++ {
		if i < p.rbClusters {
			be.PutUint64(cl[(i%qcowL2Entries)*8:], uint64(p.rbOff+i*qcowCluster))
		}
		if (i+1)%qcowL2Entries == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for b := int64(0); b < p.rbClusters; b++ {
		for j := int64(0); j < qcowRefsPerBlock && b*qcowRefsPerBlock+j < p.totalClusters; j++ {
			be.PutUint16(cl[j*2:], 1)
		}
		if err := flush(); err != nil {
			return err
		}
	}

	// L1: one entry per 512 MiB range that holds data.
	l1 := make([]byte, p.l1Clusters*qcowCluster)
	next, last := p.l2Off, int64(-1)
	_ = m.each(func(i int64) error {
		if t := i / qcowL2Entries; t != last {
			be.PutUint64(l1[t*8:], uint64(next)|qcowCopied)
			next += qcowCluster
			last = t
		}
		return nil
	})
	if _, err := bw.Write(l1); err != nil {
		return err
	}

	// L2 tables: data clusters are numbered in guest order from dataOff.
	ord, last := int64(0), -1
	err = m.each(func(i int64) error {
		t := i / qcowL2Entries
		if t != last && last >= 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		last = t
		be.PutUint64(cl[(i%qcowL2Entries)*8:], uint64(p.dataOff+ord*qcowCluster)|qcowCopied)
		ord++
		return nil
	})
	if err != nil {
		return err
	}
	if last >= 0 {
		if err := flush(); err != nil {
			return err
		}
	}

	// Data clusters, read a run (up to a chunk) at a time, in guest order from dataOff.
	prog := newProgress(opt.Progress, src)
	chunk := int64(copyChunk)
	if fa != nil {
		chunk = 2 * copyChunk
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if _, err := copyRuns(src, size, m.runs, qcowCluster, chunk/qcowCluster, p.dataOff, fa, bw, prog); err != nil {
		return err
	}
	if fa != nil {
		err = fa.end(p.totalClusters * qcowCluster)
	} else {
		err = bw.Flush()
	}
	if err != nil {
		return err
	}
	prog.finish()
	return nil
}

// qcowImage reads a qcow2 file.
type qcowImage struct {
	r           io.ReaderAt
	fileSize    int64
	size        int64
	clusterBits uint
	cluster     int64
	l1          []uint64
	extents     []Extent
	problems    []string
	used        hostUse // host clusters referenced so far (reader-side duplicate check)
	hdr         qcowHeaderFields
	checked     bool

	mu      sync.Mutex
	l2cache map[uint64][]uint64
	l2order []uint64
	zbuf    []byte // last decompressed cluster
	zoff    uint64 // its descriptor (0 = none)
}

func (q *qcowImage) Size() int64       { return q.size }
func (q *qcowImage) Extents() []Extent { return q.extents }
func (q *qcowImage) Format() Format    { return QCOW2 }
func (q *qcowImage) Problems() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.checked {
		q.checked = true
		q.problems = append(q.problems, q.check()...)
	}
	return q.problems
}

func qcowErr(format string, a ...any) error {
	return fmt.Errorf("diskimage: qcow2: "+format, a...)
}

func openQCOW2(r io.ReaderAt, fileSize int64) (Image, error) {
	var h [112]byte
	if fileSize < 72 {
		return nil, qcowErr("file of %d bytes is too short for a header", fileSize)
	}
	n, err := r.ReadAt(h[:min(int64(len(h)), fileSize)], 0)
	if n < 72 {
		return nil, qcowErr("reading header: %v", err)
	}
	be := binary.BigEndian
	if !bytes.Equal(h[:4], qcowMagic) {
		return nil, qcowErr("bad magic %q", h[:4])
	}
	version := be.Uint32(h[4:])
	if version != 2 && version != 3 {
		return nil, qcowErr("unsupported version %d", version)
	}
	if be.Uint64(h[8:]) != 0 {
		return nil, qcowErr("backing files are not supported")
	}
	q := &qcowImage{r: r, fileSize: fileSize, l2cache: map[uint64][]uint64{}}
	cb := be.Uint32(h[20:])
	if cb < 9 || cb > 21 {
		return nil, qcowErr("cluster_bits %d outside 9..21", cb)
	}
	q.clusterBits, q.cluster = uint(cb), int64(1)<<cb
	vs := be.Uint64(h[24:])
	if vs > uint64(qcowMaxVirtual) {
		return nil, qcowErr("virtual size %d too large", vs)
	}
	q.size = int64(vs)
	if be.Uint32(h[32:]) != 0 {
		return nil, qcowErr("encrypted images are not supported")
	}
	l1Size := int64(be.Uint32(h[36:]))
	l1Off := be.Uint64(h[40:])
	q.hdr = qcowHeaderFields{version: version, l1Off: int64(l1Off), l1Size: l1Size,
		rtOff: int64(be.Uint64(h[48:])), rtClusters: int64(be.Uint32(h[56:])),
		snapshots: be.Uint32(h[60:]), refcountOrder: 4, headerLength: 72}
	if version == 3 {
		q.hdr.refcountOrder = be.Uint32(h[96:])
		q.hdr.headerLength = int64(be.Uint32(h[100:]))
	}
	if version == 3 {
		if n < 104 {
			return nil, qcowErr("version 3 header truncated")
		}
		incompat := be.Uint64(h[72:])
		hlen := be.Uint32(h[100:])
		if hlen < 104 || hlen%8 != 0 {
			return nil, qcowErr("header_length %d", hlen)
		}
		if incompat&^3 != 0 {
			return nil, qcowErr("unsupported incompatible features %#x (external data, compression type, extended L2)", incompat)
		}
		if incompat&1 != 0 {
			q.problems = append(q.problems, "dirty bit set: refcounts may be stale")
		}
		if incompat&2 != 0 {
			q.problems = append(q.problems, "corrupt bit set")
		}
		if hlen > 104 && n > 104 && h[104] != 0 {
			return nil, qcowErr("compression type %d is not supported", h[104])
		}
		if ro := be.Uint32(h[96:]); ro > 6 {
			return nil, qcowErr("refcount_order %d", ro)
		}
	}
	l2Entries := q.cluster / 8
	need := ceilDiv(q.size, q.cluster*l2Entries)
	if l1Size < need {
		return nil, qcowErr("l1_size %d cannot map virtual size %d (need %d)", l1Size, q.size, need)
	}
	if l1Size*8 > qcowMaxL1Bytes {
		return nil, qcowErr("l1_size %d exceeds the 32 MiB limit", l1Size)
	}
	if l1Size > 0 {
		if l1Off%uint64(q.cluster) != 0 || l1Off == 0 || l1Off > uint64(fileSize) || int64(l1Off)+l1Size*8 > fileSize {
			return nil, qcowErr("L1 table at %d (%d entries) outside the file of %d bytes", l1Off, l1Size, fileSize)
		}
		raw := make([]byte, l1Size*8)
		if _, err := r.ReadAt(raw, int64(l1Off)); err != nil && !errors.Is(err, io.EOF) {
			return nil, qcowErr("reading L1: %v", err)
		}
		// Only the entries that map the virtual size matter.
		q.l1 = make([]uint64, need)
		for i := range q.l1 {
			q.l1[i] = be.Uint64(raw[i*8:])
		}
	}
	l1End := int64(l1Off) + l1Size*8
	// Every host cluster the image references — header, L1, L2 tables, data — may be
	// referenced once: a second reference is refused (qemu-img check counts it as an error),
	// so a small file never maps a huge allocated disk.
	q.used.claim(0, 1)
	if l1Size > 0 {
		q.used.claim(int64(l1Off)/q.cluster, ceilDiv(l1End, q.cluster)-int64(l1Off)/q.cluster)
	}
	seen := make(map[uint64]int, 16)
	for i, e := range q.l1 {
		off := e & qcowOffsetMask
		if off == 0 {
			q.l1[i] = 0
			continue
		}
		switch {
		case off%uint64(q.cluster) != 0:
			return nil, qcowErr("L1[%d]: L2 table offset %#x not cluster-aligned", i, off)
		case int64(off) > fileSize-q.cluster:
			return nil, qcowErr("L1[%d]: L2 table at %#x beyond the end of the file", i, off)
		case off < uint64(q.cluster):
			return nil, qcowErr("L1[%d]: L2 table overlaps the header", i)
		case int64(off) < l1End && int64(off)+q.cluster > int64(l1Off):
			return nil, qcowErr("L1[%d]: L2 table overlaps the L1 table", i)
		}
		if j, dup := seen[off]; dup {
			return nil, qcowErr("L1[%d] and L1[%d] share the L2 table at %#x", j, i, off)
		}
		seen[off] = i
		if !q.used.claim(int64(off)/q.cluster, 1) {
			return nil, qcowErr("L1[%d]: L2 table at %#x overlaps other metadata", i, off)
		}
		q.l1[i] = off
	}
	if err := q.buildExtents(); err != nil {
		return nil, err
	}
	return q, nil
}

// buildExtents walks every L2 table once, validating entries and recording allocated clusters.
func (q *qcowImage) buildExtents() error {
	l2Entries := q.cluster / 8
	var ext []Extent
	coarse := false
	for i, l2off := range q.l1 {
		if l2off == 0 {
			continue
		}
		base := int64(i) * l2Entries * q.cluster
		l2, err := q.table(l2off)
		if err != nil {
			return err
		}
		if coarse {
			ext = append(ext, Extent{base, min(l2Entries*q.cluster, q.size-base)})
		}
		for j, e := range l2 {
			off := base + int64(j)*q.cluster
			if off >= q.size {
				break
			}
			if host := e & qcowOffsetMask; e&qcowCompressed == 0 && host != 0 && host%uint64(q.cluster) == 0 {
				if !q.used.claim(int64(host)/q.cluster, 1) {
					return qcowErr("guest offset %d: host cluster %#x is referenced twice (shared with another cluster or metadata)", off, host)
				}
			}
			if coarse || !q.allocated(e) {
				continue
			}
			length := min(q.cluster, q.size-off)
			if n := len(ext); n > 0 && ext[n-1].End() == off {
				ext[n-1].Length += length
			} else {
				ext = append(ext, Extent{off, length})
			}
		}
		if len(ext) > qcowMaxExtents {
			coarse = true
			ext = mergeExtents(coarsen(ext, l2Entries*q.cluster, q.size))
		}
	}
	q.extents = mergeExtents(ext)
	return nil
}

// coarsen widens every extent to whole multiples of unit (clipped to size).
func coarsen(ext []Extent, unit, size int64) []Extent {
	for i, e := range ext {
		lo := e.Offset / unit * unit
		hi := min(ceilDiv(e.End(), unit)*unit, size)
		ext[i] = Extent{lo, hi - lo}
	}
	return ext
}

// allocated reports whether an L2 entry maps data (not unallocated, not zero-flagged), after
// validating it; invalid entries count as allocated so reads report the error.
func (q *qcowImage) allocated(e uint64) bool {
	if e&qcowCompressed != 0 {
		return true
	}
	if e&qcowZeroFlag != 0 {
		return false
	}
	return e&qcowOffsetMask != 0
}

// table returns the L2 table at off, from a small cache. Caller holds no lock; table locks.
func (q *qcowImage) table(off uint64) ([]uint64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.tableLocked(off)
}

func (q *qcowImage) tableLocked(off uint64) ([]uint64, error) {
	if t, ok := q.l2cache[off]; ok {
		return t, nil
	}
	raw := make([]byte, q.cluster)
	if _, err := q.r.ReadAt(raw, int64(off)); err != nil && !errors.Is(err, io.EOF) {
		return nil, qcowErr("reading L2 table at %#x: %v", off, err)
	}
	t := make([]uint64, q.cluster/8)
	for i := range t {
		t[i] = binary.BigEndian.Uint64(raw[i*8:])
	}
	if len(q.l2order) >= qcowL2CacheTables {
		delete(q.l2cache, q.l2order[0])
		q.l2order = q.l2order[1:]
	}
	q.l2cache[off] = t
	q.l2order = append(q.l2order, off)
	return t, nil
}

func (q *qcowImage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, qcowErr("negative offset %d", off)
	}
	if off >= q.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), q.size-off)
	q.mu.Lock()
	defer q.mu.Unlock()
	done := int64(0)
	for done < want {
		pos := off + done
		in := pos % q.cluster
		n := min(q.cluster-in, want-done)
		if err := q.readCluster(p[done:done+n], pos/q.cluster, in); err != nil {
			return int(done), err
		}
		done += n
	}
	if want < int64(len(p)) {
		return int(done), io.EOF
	}
	return int(done), nil
}

// readCluster fills p with guest cluster c's bytes from offset in. Caller holds q.mu.
func (q *qcowImage) readCluster(p []byte, c, in int64) error {
	l2Entries := q.cluster / 8
	l2off := q.l1[c/l2Entries]
	if l2off == 0 {
		clear(p)
		return nil
	}
	t, err := q.tableLocked(l2off)
	if err != nil {
		return err
	}
	e := t[c%l2Entries]
	switch {
	case e&qcowCompressed != 0:
		data, err := q.decompress(e)
		if err != nil {
			return err
		}
		copy(p, data[in:])
		return nil
	case e&qcowZeroFlag != 0 || e&qcowOffsetMask == 0:
		clear(p)
		return nil
	}
	host := e & qcowOffsetMask
	if host%uint64(q.cluster) != 0 {
		return qcowErr("data cluster offset %#x not cluster-aligned", host)
	}
	if host < uint64(q.cluster) || host >= uint64(q.fileSize) {
		return qcowErr("data cluster at %#x outside the file", host)
	}
	at := int64(host) + in
	n, err := q.r.ReadAt(p, at)
	if n < len(p) {
		// qemu may leave the tail of the last cluster unwritten; it reads as zeros.
		if at+int64(n) >= q.fileSize && (err == nil || errors.Is(err, io.EOF)) {
			clear(p[n:])
			return nil
		}
		return qcowErr("reading data at %#x: %v", at, err)
	}
	return nil
}

// decompress returns the guest bytes of a compressed cluster (raw deflate). Caller holds q.mu.
func (q *qcowImage) decompress(e uint64) ([]byte, error) {
	if q.zoff == e && q.zbuf != nil {
		return q.zbuf, nil
	}
	x := 62 - (q.clusterBits - 8)
	host := int64(e & (uint64(1)<<x - 1))
	sectors := int64((e>>x)&(uint64(1)<<(q.clusterBits-8)-1)) + 1
	csize := sectors*512 - host%512
	if host >= q.fileSize || host < 0 {
		return nil, qcowErr("compressed cluster at %#x outside the file", host)
	}
	csize = min(csize, q.fileSize-host)
	in := make([]byte, csize)
	if n, err := q.r.ReadAt(in, host); int64(n) < csize {
		return nil, qcowErr("reading compressed cluster at %#x: %v", host, err)
	}
	if q.zbuf == nil {
		q.zbuf = make([]byte, q.cluster)
	}
	q.zoff = 0
	zr := flate.NewReader(bytes.NewReader(in))
	if _, err := io.ReadFull(zr, q.zbuf); err != nil {
		return nil, qcowErr("inflating compressed cluster at %#x: %v", host, err)
	}
	q.zoff = e
	return q.zbuf, nil
}
