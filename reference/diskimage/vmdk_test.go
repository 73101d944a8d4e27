package diskimage

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vmdkTestSources are the shapes every writer test runs over: sizes that are not multiples of
// a grain or block, extents crossing grain (64 KiB), block (1 MiB) and grain-table (32 MiB)
// boundaries, and extents holding nothing but zeros.
func vmdkTestSources() map[string]Source {
	const K, M = 1 << 10, 1 << 20
	zeros := &memDisk{data: make([]byte, 3*M+512), ext: []Extent{{0, 2 * M}}}
	mixed := newMemDisk(2*M+64*K+1536, []Extent{{100, 5000}, {M - 3, 70 * K}, {2*M + 64*K, 1536}}, 9)
	mixed.ext = []Extent{{0, mixed.Size()}} // one extent holding the data and the zeros between
	return map[string]Source{
		"empty":        NewSynthetic(3*M+512, nil, 1),
		"zero-extents": zeros,
		"dense":        NewSynthetic(2*M+64*K+3*512, []Extent{{0, 2*M + 64*K + 3*512}}, 2),
		"mixed-zeros":  mixed,
		"scattered": NewSynthetic(70*M+7*512, []Extent{
			{0, 1}, {64*K - 10, 20}, {128 * K, 64 * K}, {M - 1, 2}, {3 * M, M},
			{32*M - 700, 1400}, {40*M + 5, 3 * 64 * K}, {70*M + 6*512, 512},
		}, 3),
		"single-sector": NewSynthetic(512, []Extent{{0, 512}}, 4),
	}
}

func vmdkWrite(t testing.TB, src Source, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeVMDK(&buf, src, opt); err != nil {
		t.Fatalf("writeVMDK: %v", err)
	}
	return buf.Bytes()
}

func TestVMDK_RoundTrip(t *testing.T) {
	for name, src := range vmdkTestSources() {
		t.Run(name, func(t *testing.T) {
			b := vmdkWrite(t, src, Options{Workers: 3})
			img, err := openVMDK(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("openVMDK: %v", err)
			}
			if img.Format() != VMDK {
				t.Errorf("Format() = %q, want vmdk", img.Format())
			}
			requireSameContent(t, img, src)
		})
	}
}

func TestVMDK_Layout(t *testing.T) {
	src := vmdkTestSources()["scattered"]
	b := vmdkWrite(t, src, Options{})
	h, err := parseVMDKHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.version != 3 || h.flags != 0x30001 || h.compress != 1 || h.grainSize != 128 || h.gdOffset != vmdkGDAtEnd {
		t.Errorf("header = %+v, want version 3, flags 0x30001, deflate, 128-sector grains, GD at end", h)
	}
	if !bytes.Contains(b[512:1024], []byte(`createType="streamOptimized"`)) {
		t.Errorf("descriptor lacks createType streamOptimized:\n%s", b[512:1024])
	}
	eos := b[len(b)-512:]
	if !isZero(eos) {
		t.Error("file does not end with an end-of-stream marker")
	}
	// First grain: a marker for lba 0 at the overhead, zlib data (0x78 ...).
	g := b[vmdkOverhead*512:]
	if lba := binary.LittleEndian.Uint64(g); lba != 0 || g[12] != 0x78 {
		t.Errorf("first grain marker lba %d, data starts %#x; want lba 0 and a zlib header", lba, g[12])
	}
	// Zero grains are skipped: the 70 MiB disk's extents touch 26 grains in 3 grain tables.
	if n := len(b); n > 26*(64<<10+1024)+(200<<10) {
		t.Errorf("file is %d bytes, more than the 26 data grains need", n)
	}
}

func TestVMDK_Deterministic(t *testing.T) {
	src := vmdkTestSources()["scattered"]
	a := vmdkWrite(t, src, Options{Workers: 1, Identity: 7})
	b := vmdkWrite(t, src, Options{Workers: 8, Identity: 7})
	if !bytes.Equal(a, b) {
		t.Error("output depends on the worker count")
	}
	c := vmdkWrite(t, src, Options{Workers: 2, Identity: 8})
	if bytes.Equal(a[:2048], c[:2048]) {
		t.Error("a different Identity gave the same CID")
	}
}

func TestVMDK_Progress(t *testing.T) {
	src := vmdkTestSources()["scattered"]
	var total int64
	for _, e := range src.Extents() {
		total += e.Length
	}
	var last, calls int64
	opt := Options{Progress: func(done, tot int64) {
		calls++
		if tot != total || done < last || done > total {
			t.Errorf("Progress(%d, %d) after %d; total %d", done, tot, last, total)
		}
		last = done
	}}
	vmdkWrite(t, src, opt)
	if calls == 0 || last != total {
		t.Errorf("progress ended at %d after %d calls, want %d", last, calls, total)
	}
}

func TestVMDK_WriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := writeVMDK(&buf, NewSynthetic(1000, nil, 1), Options{}); !errors.Is(err, ErrUnalignedSize) {
		t.Errorf("unaligned size: err = %v, want ErrUnalignedSize", err)
	}
	if err := writeVMDK(&buf, NewSynthetic(1<<60, nil, 1), Options{}); err == nil {
		t.Error("1 EiB disk: no error")
	}
	src := vmdkTestSources()["scattered"]
	w := &vmdkFailWriter{left: 100 << 10}
	if err := writeVMDK(w, src, Options{Workers: 2}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: err = %v, want disk full", err)
	}
}

type vmdkFailWriter struct{ left int }

func (w *vmdkFailWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errors.New("disk full")
	}
	w.left -= len(p)
	return len(p), nil
}

func TestVMDK_Qemu(t *testing.T) {
	requireQemu(t)
	dir := t.TempDir()
	for name, src := range vmdkTestSources() {
		t.Run(name, func(t *testing.T) {
			raw := writeRawFile(t, src)
			ours := filepath.Join(dir, name+".vmdk")
			if err := os.WriteFile(ours, vmdkWrite(t, src, Options{}), 0o644); err != nil {
				t.Fatal(err)
			}
			qemuCheck(t, VMDK, ours)
			qemuCompare(t, raw, VMDK, ours)
			for _, opts := range []string{"subformat=streamOptimized", "" /* monolithicSparse */} {
				requireSameContent(t, openImage(t, qemuConvert(t, raw, VMDK, opts), VMDK), src)
			}
		})
	}
}

// vmdkMiniImage is a compact streamOptimized image in qemu's shape (GD at the front): header,
// GD at sector 1, GT at sector 2, one grain at sector 6 holding data. Hostile-input tests
// mutate it; its fields are at fixed offsets.
func vmdkMiniImage(capacity uint64, data []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	b := make([]byte, 6*512+(12+z.Len()+511)/512*512)
	h := vmdkHeader{version: 3, flags: 0x30001, capacity: capacity, grainSize: 128, gtesPerGT: 512,
		gdOffset: 1, overHead: 6, compress: 1}
	h.marshal(b)
	binary.LittleEndian.PutUint32(b[512:], 2) // GD[0] = GT at sector 2
	binary.LittleEndian.PutUint32(b[1024:], 6)
	binary.LittleEndian.PutUint64(b[3072:], 0)
	binary.LittleEndian.PutUint32(b[3072+8:], uint32(z.Len()))
	copy(b[3072+12:], z.Bytes())
	return b
}

// vmdkReadAll opens b and reads at most limit bytes of it through a fixed buffer.
func vmdkReadAll(b []byte, open func(io.ReaderAt, int64) (Image, error), limit int64) error {
	img, err := open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for _, e := range img.Extents() {
		for off := e.Offset; off < e.End() && limit > 0; off += int64(len(buf)) {
			n := min(int64(len(buf)), e.End()-off)
			if _, err := img.ReadAt(buf[:n], off); err != nil && err != io.EOF {
				return err
			}
			limit -= n
		}
	}
	return nil
}

func TestVMDK_Hostile(t *testing.T) {
	data := bytes.Repeat([]byte("eic!"), 16<<10)
	good := vmdkMiniImage(128, data)
	if err := vmdkReadAll(good, openVMDK, 1<<20); err != nil {
		t.Fatalf("the unmutated image fails: %v", err)
	}
	le := binary.LittleEndian
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	var bomb bytes.Buffer
	zw := zlib.NewWriter(&bomb)
	zw.Write(make([]byte, 2<<20)) // 32 grains of zeros in about 2 KiB
	zw.Close()
	ours := vmdkWrite(t, vmdkTestSources()["dense"], Options{})
	cases := map[string][]byte{
		"empty":          {},
		"short header":   good[:300],
		"bad magic":      mut(func(b []byte) []byte { b[0] = 'X'; return b }),
		"descriptor":     []byte("# Disk DescriptorFile\nversion=1\n" + strings.Repeat(" ", 600)),
		"version 9":      mut(func(b []byte) []byte { le.PutUint32(b[4:], 9); return b }),
		"absurd cap":     mut(func(b []byte) []byte { le.PutUint64(b[12:], 1<<62); return b }),
		"huge GD":        mut(func(b []byte) []byte { le.PutUint64(b[12:], 1<<40); return b }),
		"grain size 3":   mut(func(b []byte) []byte { le.PutUint64(b[20:], 3); return b }),
		"grain size 1G":  mut(func(b []byte) []byte { le.PutUint64(b[20:], 1<<21); return b }),
		"0 GTEs":         mut(func(b []byte) []byte { le.PutUint32(b[44:], 0); return b }),
		"GD beyond EOF":  mut(func(b []byte) []byte { le.PutUint64(b[56:], 1<<40); return b }),
		"GT beyond EOF":  mut(func(b []byte) []byte { le.PutUint32(b[512:], 1<<30); return b }),
		"grain past EOF": mut(func(b []byte) []byte { le.PutUint32(b[1024:], 1<<31); return b }),
		"clen too big":   mut(func(b []byte) []byte { le.PutUint32(b[3072+8:], 1<<30); return b }),
		"clen zero":      mut(func(b []byte) []byte { le.PutUint32(b[3072+8:], 0); return b }),
		"wrong lba":      mut(func(b []byte) []byte { le.PutUint64(b[3072:], 128); return b }),
		"corrupt zlib":   mut(func(b []byte) []byte { b[3072+40] ^= 0xff; return b }),
		"compress 7":     mut(func(b []byte) []byte { le.PutUint16(b[77:], 7); return b }),
		"bomb": mut(func(b []byte) []byte {
			b = append(b[:3072], make([]byte, 12+bomb.Len())...)
			le.PutUint32(b[3072+8:], uint32(bomb.Len()))
			copy(b[3072+12:], bomb.Bytes())
			return b
		}),
		"short grain":      vmdkMiniImage(128, data[:1000]),
		"truncated stream": ours[:len(ours)-700],
		"no footer":        ours[:len(ours)-1536],
		"footer GD at end": func() []byte {
			b := bytes.Clone(ours)
			le.PutUint64(b[len(b)-1024+56:], vmdkGDAtEnd)
			return b
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			err := vmdkReadAll(b, openVMDK, 1<<20)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "diskimage: vmdk: ") {
				t.Errorf("error %q does not say it is the vmdk reader's", err)
			}
		})
	}
}

// vmdkMiniStream is a compact streamOptimized image in VMware's shape, with 4 KiB grains:
// header (GD at end) | grain 0 at sector 1 | GT marker + GT | GD marker + GD | footer | EOS.
func vmdkMiniStream(data []byte) []byte {
	le := binary.LittleEndian
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	grain := (12 + z.Len() + 511) / 512 * 512
	b := make([]byte, 512+grain+5*512+2*512+3*512)
	h := vmdkHeader{version: 3, flags: 0x30001, capacity: 8, grainSize: 8, gtesPerGT: 512,
		gdOffset: vmdkGDAtEnd, overHead: 1, compress: 1}
	h.marshal(b)
	le.PutUint32(b[512+8:], uint32(z.Len()))
	copy(b[512+12:], z.Bytes())
	gt := 512 + grain
	vmdkMarker(b[gt:], 4, vmdkMarkerGT)
	le.PutUint32(b[gt+512:], 1) // GTE 0 = sector 1
	gd := gt + 5*512
	vmdkMarker(b[gd:], 1, vmdkMarkerGD)
	le.PutUint32(b[gd+512:], uint32(gt/512+1))
	vmdkMarker(b[gd+1024:], 1, vmdkMarkerFooter)
	h.gdOffset = uint64(gd/512 + 1)
	h.marshal(b[gd+1536:])
	return b
}

// vmdkMiniSparse is a compact monolithicSparse image with 4 KiB grains: header, GD at
// sector 1, GT at 2, grain 0 (uncompressed) at 6.
func vmdkMiniSparse(data []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 6*512+4096)
	h := vmdkHeader{version: 1, flags: 3, capacity: 8, grainSize: 8, gtesPerGT: 512,
		rgdOffset: 1, gdOffset: 1, overHead: 6}
	h.marshal(b)
	le.PutUint32(b[512:], 2)
	le.PutUint32(b[1024:], 6)
	copy(b[3072:], data)
	return b
}

func TestVMDK_MiniImages(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	want := &memDisk{data: data, ext: []Extent{{0, 4096}}}
	for name, b := range map[string][]byte{"stream": vmdkMiniStream(data), "sparse": vmdkMiniSparse(data)} {
		img, err := openVMDK(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		requireSameContent(t, img, want)
	}
}

// vmdkFuzzSource turns fuzz input into a small disk: up to 2 MiB + 512 bytes, extents from
// spec (4 bytes each), content from seed; extents with an odd length hold only zeros.
func vmdkFuzzSource(sectors uint16, spec []byte, seed int64) Source {
	size := int64(sectors%4098) * 512
	var ext []Extent
	var zeroed []Extent
	for i := 0; i+4 <= len(spec) && i < 4*64; i += 4 {
		e := Extent{int64(binary.LittleEndian.Uint16(spec[i:])) * 37, int64(binary.LittleEndian.Uint16(spec[i+2:]))%70000 + 1}
		ext = append(ext, e)
		if e.Length%2 == 1 {
			zeroed = append(zeroed, e)
		}
	}
	m := newMemDisk(size, ext, seed)
	for _, e := range zeroed {
		if e.Offset < size {
			clear(m.data[e.Offset:min(e.End(), size)])
		}
	}
	return m
}

func FuzzRoundTripVMDK(f *testing.F) {
	f.Add(uint16(4097), []byte{0, 0, 0xff, 0xff, 0x10, 0x10, 0x20, 0}, int64(1))
	f.Fuzz(func(t *testing.T, sectors uint16, spec []byte, seed int64) {
		src := vmdkFuzzSource(sectors, spec, seed)
		b := vmdkWrite(t, src, Options{Workers: 2})
		img, err := openVMDK(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("openVMDK: %v", err)
		}
		requireSameContent(t, img, src)
	})
}

func FuzzReadVMDK(f *testing.F) {
	f.Add(vmdkMiniImage(128, []byte("hello")))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Any outcome but a panic (or an allocation beyond the reader's bounds) is fine.
		_ = vmdkReadAll(b, openVMDK, 4<<20)
	})
}

// TestVMDK_WriteFuzzSeeds regenerates the committed seed corpora of the vmdk and vdi fuzz
// targets when EIC_UPDATE_CORPUS=1.
func TestVMDK_WriteFuzzSeeds(t *testing.T) {
	if os.Getenv("EIC_UPDATE_CORPUS") == "" {
		t.Skip("set EIC_UPDATE_CORPUS=1 to rewrite testdata/fuzz")
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	writeSeedCorpus(t, "FuzzReadVMDK", "qemu-shape", vmdkMiniImage(128, data))
	writeSeedCorpus(t, "FuzzReadVMDK", "vmware-shape", vmdkMiniStream(data))
	writeSeedCorpus(t, "FuzzReadVMDK", "monolithic-sparse", vmdkMiniSparse(data))
	writeSeedCorpus(t, "FuzzReadVMDK", "short-grain", vmdkMiniImage(128, data[:100]))
	writeSeedCorpus(t, "FuzzReadVDI", "one-block", vdiMiniImage(4096, 1, data))
	writeSeedCorpus(t, "FuzzReadVDI", "zero-block", vdiMiniImage(3<<20, 3, nil))
	for _, target := range []string{"FuzzRoundTripVMDK", "FuzzRoundTripVDI"} {
		writeSeedCorpus(t, target, "empty", uint16(0), []byte(nil), int64(0))
		writeSeedCorpus(t, target, "dense", uint16(4097), []byte{0, 0, 0xff, 0xff, 0, 0x80, 0xff, 0xff}, int64(2))
		writeSeedCorpus(t, target, "boundaries", uint16(2177), []byte{
			0xbb, 0x06, 20, 0, // 64 KiB - 13, odd length: zeros
			0x5c, 0x6c, 0x10, 0, // about 1 MiB - 12
			0x00, 0x80, 0x01, 0, // 1.16 MiB, 1 byte, zeros
			0x60, 0xe6, 0x00, 0x20, // near the end
		}, int64(3))
	}
}

// vmdkBenchSources are a sparse disk (1 GiB, 32 MiB of data in 1 MiB pieces scattered
// over it) and a dense one (64 MiB of data), both of pseudo-random, incompressible content.
func vmdkBenchSources() map[string]Source {
	var ext []Extent
	for i := int64(0); i < 32; i++ {
		ext = append(ext, Extent{(i*37%1024)<<20 + i*4096, 1 << 20})
	}
	return map[string]Source{
		"sparse": NewSynthetic(1<<30, ext, 1),
		"dense":  NewSynthetic(64<<20, []Extent{{0, 64 << 20}}, 2),
	}
}

func vmdkBench(b *testing.B, write func(io.Writer, Source, Options) error) {
	for name, src := range vmdkBenchSources() {
		b.Run(name, func(b *testing.B) {
			var data int64
			for _, e := range src.Extents() {
				data += e.Length
			}
			b.SetBytes(data)
			var out int64
			for b.Loop() {
				w := &vmdkCountingWriter{}
				if err := write(w, src, Options{}); err != nil {
					b.Fatal(err)
				}
				out = w.n
			}
			b.ReportMetric(float64(out), "out-bytes")
		})
	}
}

type vmdkCountingWriter struct{ n int64 }

func (w *vmdkCountingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkWriteVMDK(b *testing.B) { vmdkBench(b, writeVMDK) }
