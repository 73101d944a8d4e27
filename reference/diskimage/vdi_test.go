package diskimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func vdiWrite(t testing.TB, src Source, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeVDI(&buf, src, opt); err != nil {
		t.Fatalf("writeVDI: %v", err)
	}
	return buf.Bytes()
}

func TestVDI_RoundTrip(t *testing.T) {
	for name, src := range vmdkTestSources() {
		t.Run(name, func(t *testing.T) {
			b := vdiWrite(t, src, Options{})
			img, err := openVDI(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("openVDI: %v", err)
			}
			if img.Format() != VDI {
				t.Errorf("Format() = %q, want vdi", img.Format())
			}
			requireSameContent(t, img, src)
		})
	}
}

func TestVDI_Layout(t *testing.T) {
	le := binary.LittleEndian
	src := vmdkTestSources()["scattered"] // 71 blocks, data in blocks 0, 1, 3, 31, 32, 40, 70
	b := vdiWrite(t, src, Options{Identity: 5})
	for _, c := range []struct {
		name      string
		off       int
		got, want uint32
	}{
		{"signature", 0x40, le.Uint32(b[0x40:]), vdiSignature},
		{"version", 0x44, le.Uint32(b[0x44:]), 0x00010001},
		{"header size", 0x48, le.Uint32(b[0x48:]), 0x180},
		{"type", 0x4c, le.Uint32(b[0x4c:]), 1},
		{"map offset", 0x154, le.Uint32(b[0x154:]), 0x200},
		{"data offset", 0x158, le.Uint32(b[0x158:]), 1 << 20},
		{"sector size", 0x168, le.Uint32(b[0x168:]), 512},
		{"block size", 0x178, le.Uint32(b[0x178:]), 1 << 20},
		{"blocks", 0x180, le.Uint32(b[0x180:]), 71},
		{"allocated", 0x184, le.Uint32(b[0x184:]), 7},
		{"map[2]", 0x208, le.Uint32(b[0x208:]), vdiBlockFree},
		{"map[3]", 0x20c, le.Uint32(b[0x20c:]), 2},
		{"map[70]", 0x200 + 4*70, le.Uint32(b[0x200+4*70:]), 6},
	} {
		if c.got != c.want {
			t.Errorf("%s at %#x = %#x, want %#x", c.name, c.off, c.got, c.want)
		}
	}
	if want := 1<<20 + 7<<20; len(b) != want {
		t.Errorf("file is %d bytes, want %d (data area + 7 blocks)", len(b), want)
	}
	// UUIDs: version 4 in GUID byte order (the version nibble is in byte 7), derived from Identity.
	if b[0x188+7]>>4 != 4 || b[0x198+7]>>4 != 4 || bytes.Equal(b[0x188:0x198], b[0x198:0x1a8]) {
		t.Errorf("UUIDs % x / % x are not two distinct GUID-ordered v4 UUIDs", b[0x188:0x198], b[0x198:0x1a8])
	}
	if again := vdiWrite(t, src, Options{Identity: 5}); !bytes.Equal(again, b) {
		t.Error("same Identity, different output")
	}
	if other := vdiWrite(t, src, Options{Identity: 6}); bytes.Equal(other[0x188:0x1a8], b[0x188:0x1a8]) {
		t.Error("different Identity, same UUIDs")
	}
}

func TestVDI_Progress(t *testing.T) {
	src := vmdkTestSources()["scattered"]
	var total int64
	for _, e := range src.Extents() {
		total += e.Length
	}
	var last int64
	calls := 0
	vdiWrite(t, src, Options{Progress: func(done, tot int64) {
		calls++
		if tot != total || done < last || done > total {
			t.Errorf("Progress(%d, %d) after %d; total %d", done, tot, last, total)
		}
		last = done
	}})
	if calls == 0 || last != total {
		t.Errorf("progress ended at %d after %d calls, want %d", last, calls, total)
	}
}

func TestVDI_WriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := writeVDI(&buf, NewSynthetic(1<<20+1, nil, 1), Options{}); !errors.Is(err, ErrUnalignedSize) {
		t.Errorf("unaligned size: err = %v, want ErrUnalignedSize", err)
	}
	if err := writeVDI(&buf, NewSynthetic(1<<50, nil, 1), Options{}); err == nil {
		t.Error("1 PiB disk: no error")
	}
	for _, left := range []int{100, 1 << 20, 3 << 20} {
		w := &vmdkFailWriter{left: left}
		if err := writeVDI(w, vmdkTestSources()["scattered"], Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("writer failing after %d bytes: err = %v, want disk full", left, err)
		}
	}
}

func TestVDI_Qemu(t *testing.T) {
	requireQemu(t)
	dir := t.TempDir()
	for name, src := range vmdkTestSources() {
		t.Run(name, func(t *testing.T) {
			raw := writeRawFile(t, src)
			ours := filepath.Join(dir, name+".vdi")
			if err := os.WriteFile(ours, vdiWrite(t, src, Options{}), 0o644); err != nil {
				t.Fatal(err)
			}
			qemuCheck(t, VDI, ours)
			qemuCompare(t, raw, VDI, ours)
			requireSameContent(t, openImage(t, qemuConvert(t, raw, VDI, ""), VDI), src)
		})
	}
}

// vdiMiniImage is a compact dynamic VDI: header, map at 0x200 (blocks entries), data at
// 0x400, with block i of the map pointing at data block i when it has data.
func vdiMiniImage(size int64, blocks int, data []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 0x400+len(data))
	le.PutUint32(b[0x40:], vdiSignature)
	le.PutUint32(b[0x44:], vdiVersion)
	le.PutUint32(b[0x48:], vdiHeaderSize)
	le.PutUint32(b[0x4c:], vdiDynamic)
	le.PutUint32(b[0x154:], 0x200)
	le.PutUint32(b[0x158:], 0x400)
	le.PutUint32(b[0x168:], 512)
	le.PutUint64(b[0x170:], uint64(size))
	le.PutUint32(b[0x178:], vdiBlockSize)
	le.PutUint32(b[0x180:], uint32(blocks))
	for i := range blocks {
		le.PutUint32(b[0x200+4*i:], vdiBlockFree)
	}
	if len(data) > 0 {
		le.PutUint32(b[0x200:], 0)
		le.PutUint32(b[0x184:], 1)
	}
	copy(b[0x400:], data)
	return b
}

func TestVDI_Hostile(t *testing.T) {
	le := binary.LittleEndian
	good := vdiMiniImage(4096, 1, bytes.Repeat([]byte{7}, 4096))
	img, err := openVDI(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatalf("the unmutated image fails: %v", err)
	}
	requireSameContent(t, img, &memDisk{data: bytes.Repeat([]byte{7}, 4096), ext: []Extent{{0, 4096}}})
	mut := func(f func(b []byte)) []byte { b := bytes.Clone(good); f(b); return b }
	cases := map[string][]byte{
		"empty":            {},
		"short header":     good[:0x100],
		"bad signature":    mut(func(b []byte) { b[0x40] = 0 }),
		"version 1.0":      mut(func(b []byte) { le.PutUint32(b[0x44:], 0x00010000) }),
		"header size":      mut(func(b []byte) { le.PutUint32(b[0x48:], 0x10) }),
		"type 4":           mut(func(b []byte) { le.PutUint32(b[0x4c:], 4) }),
		"map unaligned":    mut(func(b []byte) { le.PutUint32(b[0x154:], 0x201) }),
		"map in header":    mut(func(b []byte) { le.PutUint32(b[0x154:], 0) }),
		"data over map":    mut(func(b []byte) { le.PutUint32(b[0x158:], 0x200) }),
		"sector size":      mut(func(b []byte) { le.PutUint32(b[0x168:], 4096) }),
		"block size":       mut(func(b []byte) { le.PutUint32(b[0x178:], 2<<20) }),
		"block extra":      mut(func(b []byte) { le.PutUint32(b[0x17c:], 512) }),
		"size > blocks":    mut(func(b []byte) { le.PutUint64(b[0x170:], 2<<20) }),
		"absurd size":      mut(func(b []byte) { le.PutUint64(b[0x170:], 1<<63) }),
		"absurd blocks":    mut(func(b []byte) { le.PutUint32(b[0x180:], 0xffffffff) }),
		"map beyond EOF":   mut(func(b []byte) { le.PutUint32(b[0x180:], 1<<20) }),
		"block beyond EOF": mut(func(b []byte) { le.PutUint32(b[0x200:], 5) }),
		"linked":           mut(func(b []byte) { b[0x1a8] = 1 }),
		"truncated block":  good[:len(good)-1],
		"duplicate block": func() []byte {
			b := vdiMiniImage(2<<20, 2, make([]byte, 1<<20))
			le.PutUint32(b[0x204:], 0)
			return b
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			err := vmdkReadAll(b, openVDI, 1<<20)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "diskimage: vdi: ") {
				t.Errorf("error %q does not say it is the vdi reader's", err)
			}
		})
	}
	// Entries 0xFFFFFFFE (zero block) read as zeros.
	z := mut(func(b []byte) { le.PutUint32(b[0x200:], vdiBlockZero) })
	img, err = openVDI(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	requireSameContent(t, img, NewSynthetic(4096, nil, 0))
}

func FuzzRoundTripVDI(f *testing.F) {
	f.Add(uint16(4097), []byte{0, 0, 0xff, 0xff, 0x10, 0x10, 0x20, 0}, int64(1))
	f.Fuzz(func(t *testing.T, sectors uint16, spec []byte, seed int64) {
		src := vmdkFuzzSource(sectors, spec, seed)
		b := vdiWrite(t, src, Options{})
		img, err := openVDI(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("openVDI: %v", err)
		}
		requireSameContent(t, img, src)
	})
}

func FuzzReadVDI(f *testing.F) {
	f.Add(vdiMiniImage(4096, 1, []byte("hello")))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = vmdkReadAll(b, openVDI, 4<<20)
	})
}

func BenchmarkWriteVDI(b *testing.B) { vmdkBench(b, writeVDI) }
