package diskimage

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damaged is one broken image: a format, the bytes of a good image and what to break.
type damaged struct {
	name   string
	format Format
	damage func(b []byte) []byte
}

// checkFinds is what `eic image info` does: open the file as format f and inspect it. It
// returns the problems found, with a refusal to open as the one problem.
func checkFinds(t *testing.T, path string, f Format) []string {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	img, err := OpenFormat(file, st.Size(), f)
	if err != nil {
		return []string{"refused: " + err.Error()}
	}
	return Inspect(img).Problems
}

// qemuFinds runs `qemu-img check` (or, for vpc, which has no check, `qemu-img info`) and
// reports whether qemu found errors or refused the file. Leaks alone (rc 3) are not errors.
func qemuFinds(t *testing.T, path string, f Format) (bool, string) {
	out, rc := runQemu(t, "check", "-f", qemuName(f), path)
	if rc == 63 { // "This image format does not support checks"
		out, rc = runQemu(t, "info", "-f", qemuName(f), path)
		return rc != 0, out
	}
	return rc == 1 || rc == 2, out
}

// TestInspect_AgainstQemuCheck holds Inspect (what `eic image info` reports) against
// `qemu-img check` on a corpus of damaged images: whenever qemu-img finds errors or refuses
// the file, Inspect must find a problem too. Undamaged images must be clean for both.
func TestInspect_AgainstQemuCheck(t *testing.T) {
	requireQemu(t)
	src := newMemDisk(8*mib, []Extent{{0, 64 * kib}, {mib, 192 * kib}, {4 * mib, 64 * kib}, {8*mib - 64*kib, 64 * kib}}, 21)
	be, le := binary.BigEndian, binary.LittleEndian
	truncate := func(keep func(n int) int) func([]byte) []byte {
		return func(b []byte) []byte { return b[:keep(len(b))] }
	}
	put64 := func(at func(b []byte) int64, v func(b []byte, old uint64) uint64) func([]byte) []byte {
		return func(b []byte) []byte {
			o := at(b)
			be.PutUint64(b[o:], v(b, be.Uint64(b[o:])))
			return b
		}
	}
	l2 := func(i int64) func(b []byte) int64 {
		return func(b []byte) int64 { _, l2, _ := qcowTables(b); return l2 + i*8 }
	}
	l1 := func(b []byte) int64 { l1, _, _ := qcowTables(b); return l1 }
	// refcountOf is the offset of the 16-bit refcount of the host cluster at host.
	refcountOf := func(b []byte, host uint64) int64 {
		_, _, rt := qcowTables(b)
		block := int64(be.Uint64(b[rt:]))
		return block + int64(host/qcowCluster)*2
	}
	dataHost := func(b []byte) uint64 { _, l2, _ := qcowTables(b); return be.Uint64(b[l2:]) & qcowOffsetMask }
	fromFooter := func(b []byte) int64 { return int64(len(b)) - 512 }
	dyn := func(b []byte) int64 { return int64(be.Uint64(b[len(b)-512+16:])) }

	corpus := []damaged{
		// qcow2: truncations.
		{"truncated-half", QCOW2, truncate(func(n int) int { return n / 2 })},
		{"truncated-last-cluster", QCOW2, truncate(func(n int) int { return n - qcowCluster })},
		{"truncated-to-metadata", QCOW2, func(b []byte) []byte { _, l2, _ := qcowTables(b); return b[:l2+qcowCluster] }},
		{"truncated-header", QCOW2, truncate(func(int) int { return 100 })},
		// qcow2: wrong table entries.
		{"l2-beyond-eof", QCOW2, put64(l2(0), func(b []byte, _ uint64) uint64 { return uint64(len(b)+8*qcowCluster) | qcowCopied })},
		{"l2-unaligned", QCOW2, put64(l2(0), func(_ []byte, old uint64) uint64 { return old + 512 })},
		{"l2-reserved-bits", QCOW2, put64(l2(0), func(_ []byte, old uint64) uint64 { return old | 1<<60 })},
		{"l2-copied-cleared", QCOW2, put64(l2(0), func(_ []byte, old uint64) uint64 { return old &^ qcowCopied })},
		{"l1-copied-cleared", QCOW2, put64(l1, func(_ []byte, old uint64) uint64 { return old &^ qcowCopied })},
		{"l1-unaligned", QCOW2, put64(l1, func(_ []byte, old uint64) uint64 { return old + 512 })},
		{"l1-beyond-eof", QCOW2, put64(l1, func(b []byte, _ uint64) uint64 { return uint64(len(b)+qcowCluster) | qcowCopied })},
		// qcow2: shared clusters and overlaps.
		{"l2-shared-data", QCOW2, put64(l2(16), func(b []byte, _ uint64) uint64 { _, l2, _ := qcowTables(b); return be.Uint64(b[l2:]) })},
		{"l2-points-at-l1", QCOW2, put64(l2(0), func(b []byte, _ uint64) uint64 { return be.Uint64(b[40:]) | qcowCopied })},
		{"l2-points-at-refcount-table", QCOW2, put64(l2(0), func(b []byte, _ uint64) uint64 { return be.Uint64(b[48:]) | qcowCopied })},
		{"l2-points-at-header", QCOW2, put64(l2(0), func([]byte, uint64) uint64 { return qcowCopied })},
		{"l1-points-at-refcount-block", QCOW2, put64(l1, func(b []byte, _ uint64) uint64 { _, _, rt := qcowTables(b); return be.Uint64(b[rt:]) | qcowCopied })},
		// qcow2: refcounts.
		{"refcount-zero", QCOW2, func(b []byte) []byte { be.PutUint16(b[refcountOf(b, dataHost(b)):], 0); return b }},
		{"refcount-two", QCOW2, func(b []byte) []byte { be.PutUint16(b[refcountOf(b, dataHost(b)):], 2); return b }},
		{"refcount-block-dropped", QCOW2, func(b []byte) []byte { _, _, rt := qcowTables(b); be.PutUint64(b[rt:], 0); return b }},
		{"refcount-table-unaligned", QCOW2, func(b []byte) []byte { be.PutUint64(b[48:], be.Uint64(b[48:])+512); return b }},
		{"refcount-header-cluster-zero", QCOW2, func(b []byte) []byte { be.PutUint16(b[refcountOf(b, 0):], 0); return b }},
		// qcow2: header.
		{"header-length-huge", QCOW2, func(b []byte) []byte { be.PutUint32(b[100:], 1<<20); return b }},
		{"header-extension-overruns", QCOW2, func(b []byte) []byte {
			be.PutUint32(b[112:], 0x12345678)
			be.PutUint32(b[116:], qcowCluster)
			return b
		}},
		{"l1-size-too-small", QCOW2, func(b []byte) []byte { be.PutUint64(b[24:], 1<<40); return b }},
		{"unknown-incompatible-feature", QCOW2, func(b []byte) []byte { be.PutUint64(b[72:], 1<<10); return b }},
		{"corrupt-bit", QCOW2, func(b []byte) []byte { be.PutUint64(b[72:], 2); return b }},
		{"bad-version", QCOW2, func(b []byte) []byte { be.PutUint32(b[4:], 4); return b }},

		// vmdk (streamOptimized).
		{"truncated-half", VMDK, truncate(func(n int) int { return n / 2 })},
		{"truncated-footer", VMDK, truncate(func(n int) int { return n - 512 })},
		{"gte-beyond-eof", VMDK, func(b []byte) []byte { le.PutUint32(b[vmdkFirstGT(b):], uint32(len(b)/512+100)); return b }},
		{"gte-shared", VMDK, func(b []byte) []byte { gt := vmdkFirstGT(b); copy(b[gt+16*4:], b[gt:gt+4]); return b }},
		{"gte-points-at-header", VMDK, func(b []byte) []byte {
			le.PutUint32(b[vmdkFirstGT(b)+4*16:], 0)
			le.PutUint32(b[vmdkFirstGT(b):], 2)
			return b
		}},
		{"grain-marker-lba", VMDK, func(b []byte) []byte {
			e := int64(le.Uint32(b[vmdkFirstGT(b)+16*4:])) * 512
			le.PutUint64(b[e:], 12345)
			return b
		}},
		{"grain-marker-size", VMDK, func(b []byte) []byte {
			e := int64(le.Uint32(b[vmdkFirstGT(b)+16*4:])) * 512
			le.PutUint32(b[e+8:], 1<<30)
			return b
		}},
		{"gd-beyond-eof", VMDK, func(b []byte) []byte {
			footer := b[len(b)-1024:]
			gd := int64(le.Uint64(footer[56:])) * 512
			le.PutUint32(b[gd:], uint32(len(b)/512+100))
			return b
		}},
		{"grain-size-bad", VMDK, func(b []byte) []byte { le.PutUint64(b[len(b)-1024+20:], 3); le.PutUint64(b[20:], 3); return b }},

		// vhd (dynamic).
		{"footer-checksums", VHD, func(b []byte) []byte { b[fromFooter(b)+70]++; b[70]++; return b }},
		{"dynamic-header-checksum", VHD, func(b []byte) []byte { b[dyn(b)+40]++; return b }},
		{"bat-beyond-eof", VHD, func(b []byte) []byte { be.PutUint32(b[vhdBAT(b):], uint32(len(b)/512+100)); return b }},
		{"bat-shared", VHD, func(b []byte) []byte { bat := vhdBAT(b); copy(b[bat+4*2:], b[bat:bat+4]); return b }},
		{"bat-points-at-bat", VHD, func(b []byte) []byte { bat := vhdBAT(b); be.PutUint32(b[bat:], uint32(bat/512)); return b }},
		{"truncated-half", VHD, truncate(func(n int) int { return n / 2 })},

		// vdi.
		{"map-shared", VDI, func(b []byte) []byte { m := vdiMap(b); copy(b[m+4*4:], b[m:m+4]); return b }},
		{"map-past-blocks", VDI, func(b []byte) []byte { le.PutUint32(b[vdiMap(b)+4*4:], 100); return b }},
		{"allocated-count", VDI, func(b []byte) []byte { le.PutUint32(b[0x184:], le.Uint32(b[0x184:])+1); return b }},
		{"truncated-half", VDI, truncate(func(n int) int { return n / 2 })},
		{"bad-signature", VDI, func(b []byte) []byte { b[0x40]++; return b }},
	}
	if len(corpus) < 30 {
		t.Fatalf("corpus of %d, want at least 30", len(corpus))
	}
	dir := t.TempDir()
	good := map[Format][]byte{}
	for _, f := range []Format{QCOW2, VMDK, VHD, VDI} {
		good[f] = imageBytes(t, src, f, Options{})
		path := filepath.Join(dir, "good."+string(f))
		if err := os.WriteFile(path, good[f], 0o644); err != nil {
			t.Fatal(err)
		}
		if bad, out := qemuFinds(t, path, f); bad {
			t.Fatalf("qemu-img finds errors in our undamaged %s: %s", f, out)
		}
		if p := checkFinds(t, path, f); len(p) > 0 {
			t.Fatalf("Inspect finds problems in the undamaged %s: %q", f, p)
		}
	}
	qemuErrors := 0
	for _, d := range corpus {
		t.Run(string(d.format)+"/"+d.name, func(t *testing.T) {
			b := d.damage(append([]byte(nil), good[d.format]...))
			path := filepath.Join(dir, d.name+"."+string(d.format))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			qemuBad, qemuOut := qemuFinds(t, path, d.format)
			ours := checkFinds(t, path, d.format)
			if qemuBad {
				qemuErrors++
			}
			switch {
			case qemuBad && len(ours) == 0:
				t.Errorf("qemu-img finds errors, Inspect none:\n%s", qemuOut)
			case !qemuBad && len(ours) > 0:
				t.Logf("stricter than qemu-img: %s", strings.Join(ours, "; "))
			case len(ours) == 0:
				t.Logf("neither qemu-img nor Inspect finds a problem")
			}
		})
	}
	t.Logf("%d damaged files, qemu-img finds errors in %d", len(corpus), qemuErrors)
}

// TestInspect_QemuImagesClean: images qemu-img writes (and checks clean) have no problems.
func TestInspect_QemuImagesClean(t *testing.T) {
	requireQemu(t)
	raw := writeRawFile(t, newMemDisk(8*mib, []Extent{{0, 64 * kib}, {mib, 192 * kib}, {4 * mib, 64 * kib}}, 22))
	for _, c := range []struct {
		f        Format
		options  string
		extra    []string
		snapshot bool // then take an internal snapshot (refcounts 2, COPIED clear)
	}{
		{QCOW2, "", nil, false},
		{QCOW2, "cluster_size=512", nil, false},
		{QCOW2, "cluster_size=4096", []string{"-c"}, false},
		{QCOW2, "compat=0.10", nil, false},
		{QCOW2, "refcount_bits=1", nil, false},
		{QCOW2, "refcount_bits=64", nil, false},
		{QCOW2, "", []string{}, true},
		{VMDK, "subformat=streamOptimized", nil, false},
		{VMDK, "subformat=monolithicSparse", nil, false},
		{VHD, "", nil, false},
		{VDI, "", nil, false},
	} {
		t.Run(fmt.Sprintf("%s/%s%s/snapshot=%v", c.f, c.options, strings.Join(c.extra, ""), c.snapshot), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "qemu."+string(c.f))
			args := append([]string{"convert", "-f", "raw", "-O", qemuName(c.f)}, c.extra...)
			if c.options != "" {
				args = append(args, "-o", c.options)
			}
			if msg, rc := runQemu(t, append(args, raw, out)...); rc != 0 {
				t.Fatal(msg)
			}
			if c.snapshot {
				if msg, rc := runQemu(t, "snapshot", "-c", "s1", out); rc != 0 {
					t.Fatal(msg)
				}
			}
			if p := checkFinds(t, out, c.f); len(p) > 0 {
				t.Errorf("problems in qemu-img's own image: %q", p)
			}
		})
	}
}
