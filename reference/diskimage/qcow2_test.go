package diskimage

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func TestQCOW2_RoundTrip(t *testing.T) {
	for _, tc := range testSources() {
		t.Run(tc.name, func(t *testing.T) {
			path := writeImage(t, tc.src, QCOW2, Options{})
			img := openImage(t, path, "")
			if img.Format() != QCOW2 {
				t.Fatalf("detected %s, want qcow2", img.Format())
			}
			requireSameContent(t, img, tc.src)
		})
	}
}

func TestQCOW2_QemuReadsOurs(t *testing.T) {
	requireQemu(t)
	for _, tc := range testSources() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := writeRawFile(t, tc.src)
			path := writeImage(t, tc.src, QCOW2, Options{})
			qemuCheck(t, QCOW2, path)
			qemuCompare(t, raw, QCOW2, path)
			if got := qemuVirtualSize(t, QCOW2, path); got != tc.src.Size() {
				t.Fatalf("qemu virtual size = %d, want %d", got, tc.src.Size())
			}
		})
	}
}

func TestQCOW2_ReadsQemus(t *testing.T) {
	requireQemu(t)
	for _, opts := range []string{"", "compat=0.10,cluster_size=4096", "cluster_size=2M"} {
		for _, tc := range testSources() {
			t.Run(opts+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				raw := writeRawFile(t, tc.src)
				requireSameContent(t, openImage(t, qemuConvert(t, raw, QCOW2, opts), QCOW2), tc.src)
			})
		}
	}
}

func TestQCOW2_ReadsQemuCompressed(t *testing.T) {
	requireQemu(t)
	for _, tc := range testSources() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := writeRawFile(t, tc.src)
			out := t.TempDir() + "/c.qcow2"
			if msg, rc := runQemu(t, "convert", "-c", "-f", "raw", "-O", "qcow2", raw, out); rc != 0 {
				t.Fatalf("qemu-img convert -c: %s", msg)
			}
			requireSameContent(t, openImage(t, out, QCOW2), tc.src)
		})
	}
}

func TestQCOW2_SkipsZeroClusters(t *testing.T) {
	src := testSources()[len(testSources())-1].src // zero-clusters-mixed
	path := writeImage(t, src, QCOW2, Options{})
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// 64 KiB + (1 MiB - 128 KiB) of non-zero data = 15 data clusters, plus header, refcount
	// table, refcount block, L1 and one L2 table.
	if got, want := st.Size(), int64(15+5)*qcowCluster; got != want {
		t.Fatalf("file size = %d, want %d", got, want)
	}
	img := openImage(t, path, QCOW2)
	if got, want := Inspect(img).AllocatedBytes, int64(15)*qcowCluster; got != want {
		t.Fatalf("allocated = %d, want %d", got, want)
	}
}

// TestQCOW2_Hostile feeds broken headers and tables; each must fail to open with an error.
func TestQCOW2_Hostile(t *testing.T) {
	good, err := os.ReadFile(writeImage(t, NewSynthetic(3*mib, []Extent{{0, 3 * mib}}, 1), QCOW2, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	l1Off := int64(be.Uint64(good[40:]))
	mutate := map[string]func(b []byte) []byte{
		"truncated header": func(b []byte) []byte { return b[:50] },
		"version 4":        func(b []byte) []byte { be.PutUint32(b[4:], 4); return b },
		"cluster bits 30":  func(b []byte) []byte { be.PutUint32(b[20:], 30); return b },
		"absurd size":      func(b []byte) []byte { be.PutUint64(b[24:], 1<<62); return b },
		"l1 too small":     func(b []byte) []byte { be.PutUint64(b[24:], 1<<40); return b },
		"l1 size huge":     func(b []byte) []byte { be.PutUint32(b[36:], 1<<30); return b },
		"l1 beyond file":   func(b []byte) []byte { be.PutUint64(b[40:], 1<<40); return b },
		"l1 unaligned":     func(b []byte) []byte { be.PutUint64(b[40:], uint64(l1Off+8)); return b },
		"backing file":     func(b []byte) []byte { be.PutUint64(b[8:], 512); return b },
		"encrypted":        func(b []byte) []byte { be.PutUint32(b[32:], 1); return b },
		"extended l2":      func(b []byte) []byte { be.PutUint64(b[72:], 1<<4); return b },
		"zstd":             func(b []byte) []byte { b[104] = 1; return b },
		"l2 beyond file":   func(b []byte) []byte { be.PutUint64(b[l1Off:], 1<<40|qcowCopied); return b },
		"l2 unaligned":     func(b []byte) []byte { be.PutUint64(b[l1Off:], 1<<9|qcowCopied); return b },
		"l2 on l1":         func(b []byte) []byte { be.PutUint64(b[l1Off:], uint64(l1Off)); return b },
		"tables cut off":   func(b []byte) []byte { return b[:l1Off+qcowCluster/2] },
		"l1 entries shared": func(b []byte) []byte {
			be.PutUint64(b[24:], 1<<30) // two L1 entries needed
			be.PutUint32(b[36:], 2)
			copy(b[l1Off+8:], b[l1Off:l1Off+8])
			return b
		},
	}
	for name, f := range mutate {
		t.Run(name, func(t *testing.T) {
			b := f(bytes.Clone(good))
			if _, err := OpenFormat(bytes.NewReader(b), int64(len(b)), QCOW2); err == nil {
				t.Fatal("opened, want an error")
			}
		})
	}
	t.Run("data beyond file", func(t *testing.T) {
		b := bytes.Clone(good)
		l2 := int64(be.Uint64(b[l1Off:]) & qcowOffsetMask)
		be.PutUint64(b[l2:], 1<<44|qcowCopied)
		img, err := OpenFormat(bytes.NewReader(b), int64(len(b)), QCOW2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := img.ReadAt(make([]byte, 512), 0); err == nil {
			t.Fatal("read succeeded, want an error")
		}
	})
}

func FuzzRoundTripQCOW2(f *testing.F) {
	f.Add([]byte{}, int64(1))
	f.Add([]byte{0xff, 0xff, 0, 0, 0xff, 0xff}, int64(2))
	f.Fuzz(func(t *testing.T, data []byte, seed int64) {
		fuzzRoundTrip(t, fuzzSource(data, seed, 3*mib, SectorSize), QCOW2, Options{})
	})
}

func FuzzReadQCOW2(f *testing.F) {
	f.Add([]byte("QFI\xfb\x00\x00\x00\x03"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzRead(t, b, QCOW2) })
}

// TestWriteSeedCorporaQCOW2 regenerates the committed seed corpora when EIC_UPDATE_CORPUS=1.
func TestWriteSeedCorporaQCOW2(t *testing.T) {
	if os.Getenv("EIC_UPDATE_CORPUS") == "" {
		t.Skip("set EIC_UPDATE_CORPUS=1 to rewrite testdata/fuzz")
	}
	writeSeedCorpus(t, "FuzzRoundTripQCOW2", "empty", []byte{}, int64(1))
	writeSeedCorpus(t, "FuzzRoundTripQCOW2", "dense", []byte{0x0b, 0xb8, 0, 0, 0, 0x10}, int64(2))
	writeSeedCorpus(t, "FuzzRoundTripQCOW2", "boundaries", []byte{0x0b, 0xb8, 0x01, 0x0c, 0x00, 0x08, 0x03, 0x5b, 0x02, 0x00}, int64(3))
	src := newMemDisk(64*kib, []Extent{{512, 700}, {40 * kib, 3 * kib}}, 4)
	raw := writeRawFile(t, src)
	for name, args := range map[string][]string{
		"qemu-512-clusters": {"-o", "cluster_size=512"},
		"qemu-compressed":   {"-c", "-o", "cluster_size=4096"},
		"qemu-v2":           {"-o", "cluster_size=512,compat=0.10"},
	} {
		out := filepath.Join(t.TempDir(), "seed.qcow2")
		if msg, rc := runQemu(t, append(append([]string{"convert", "-f", "raw", "-O", "qcow2"}, args...), raw, out)...); rc != 0 {
			t.Fatal(msg)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		writeSeedCorpus(t, "FuzzReadQCOW2", name, bytes.TrimRight(b, "\x00"))
	}
}
