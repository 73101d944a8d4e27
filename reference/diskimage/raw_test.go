package diskimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// rawSources adds sizes that are not a multiple of 512, which raw.tar.gz keeps exactly.
func rawSources() []testSource {
	return append(testSources(),
		testSource{"unaligned-1MiB+100", NewSynthetic(mib+100, []Extent{{mib - 10, 110}}, 11)},
		testSource{"unaligned-dense-777", NewSynthetic(777, []Extent{{0, 777}}, 12)},
	)
}

func TestRaw_RoundTrip(t *testing.T) {
	for _, workers := range []int{1, 3} {
		for _, tc := range rawSources() {
			t.Run(tc.name, func(t *testing.T) {
				path := writeImage(t, tc.src, Raw, Options{Workers: workers})
				img := openImage(t, path, "")
				if img.Format() != Raw {
					t.Fatalf("detected %s, want raw", img.Format())
				}
				requireSameContent(t, img, tc.src)
			})
		}
	}
}

func requireTar(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("tar", "--version").Output(); err != nil || !bytes.Contains(out, []byte("GNU tar")) {
		t.Skip("GNU tar not installed")
	}
}

// TestRaw_GNUTarExtracts is the outside oracle: GNU tar restores the disk, holes included.
func TestRaw_GNUTarExtracts(t *testing.T) {
	requireTar(t)
	for _, tc := range rawSources() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeImage(t, tc.src, Raw, Options{Name: "system.raw"})
			dir := t.TempDir()
			if out, err := exec.Command("tar", "-xzf", path, "-C", dir).CombinedOutput(); err != nil {
				t.Fatalf("tar -xzf: %v: %s", err, out)
			}
			f, err := os.Open(filepath.Join(dir, "system.raw"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := FileSource(f)
			if err != nil {
				t.Fatal(err)
			}
			requireSameContent(t, got, tc.src)
			if out, err := exec.Command("tar", "-tzvf", path).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("system.raw")) {
				t.Fatalf("tar -tzvf: %v: %s", err, out)
			}
		})
	}
}

// TestRaw_ReadsGNUTar reads archives GNU tar wrote: PAX sparse (1.0) and plain entries.
func TestRaw_ReadsGNUTar(t *testing.T) {
	requireTar(t)
	for _, args := range [][]string{
		{"--sparse", "--format=pax", "--sparse-version=1.0"},
		{"--format=pax"},
		{"--format=ustar"},
	} {
		for _, tc := range rawSources() {
			t.Run(args[0]+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				if args[0] != "--sparse" && tc.src.Size() > 16*mib {
					t.Skip("a non-sparse archive stores every zero; keep the test fast")
				}
				raw := writeRawFile(t, tc.src)
				out := filepath.Join(t.TempDir(), "gnu.raw.tar.gz")
				cmd := exec.Command("tar", append(append([]string{"-czf", out, "-C", filepath.Dir(raw)}, args...), filepath.Base(raw))...)
				if msg, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("tar: %v: %s", err, msg)
				}
				requireSameContent(t, openImage(t, out, Raw), tc.src)
			})
		}
	}
}

// TestRaw_RandomAccess reads a multi-member archive in random order and backwards.
func TestRaw_RandomAccess(t *testing.T) {
	src := NewSynthetic(24*mib, []Extent{{0, 9 * mib}, {12 * mib, 5 * mib}, {20*mib + 5, 3 * mib}}, 21)
	img := openImage(t, writeImage(t, src, Raw, Options{}), Raw)
	if n := len(img.(*rawTarImage).checks); n < 10 {
		t.Fatalf("%d checkpoints, want one per MiB of stream", n)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	got, want := make([]byte, 100*kib), make([]byte, 100*kib)
	for range 200 {
		off := rng.Int64N(src.Size() - int64(len(got)))
		if _, err := img.ReadAt(got, off); err != nil {
			t.Fatal(err)
		}
		_, _ = src.ReadAt(want, off)
		if !bytes.Equal(got, want) {
			t.Fatalf("content differs in [%d,+%d)", off, len(got))
		}
	}
}

func TestRaw_OpensPlainRaw(t *testing.T) {
	src := NewSynthetic(3*mib, []Extent{{mib, 4096}}, 3)
	img := openImage(t, writeRawFile(t, src), "")
	if img.Format() != Raw {
		t.Fatalf("format = %s, want raw", img.Format())
	}
	requireSameContent(t, img, src)
	if ext := img.Extents(); len(ext) != 1 || ext[0].Offset > mib || ext[0].End() < mib+4096 || ext[0].Length > mib {
		t.Fatalf("extents = %v, want one small extent around the data (SEEK_DATA)", ext)
	}
}

func TestRaw_Hostile(t *testing.T) {
	src := NewSynthetic(3*mib, []Extent{{mib, mib}}, 1)
	good, err := os.ReadFile(writeImage(t, src, Raw, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	plain := gunzip(t, good)
	regz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	cases := map[string][]byte{
		"truncated gzip":    good[:len(good)/2],
		"only gzip header":  good[:10],
		"corrupt gzip body": func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 0xff; return b }(),
		"empty tar":         regz(make([]byte, 1024)),
		"bad tar checksum":  regz(func() []byte { b := bytes.Clone(plain); b[0]++; return b }()),
		"bad sparse map":    regz(func() []byte { b := bytes.Clone(plain); b[1536] = 'x'; return b }()),
		"huge realsize":     regz(bytes.Replace(plain, []byte("realsize=3145728"), []byte("realsize=9999999999999999"), 1)),
		"map past size":     regz(bytes.Replace(plain, []byte("realsize=3145728"), []byte("realsize=1000000"), 1)),
		"cut data":          regz(plain[:2048+512*kib]),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := OpenFormat(bytes.NewReader(b), int64(len(b)), Raw); err == nil {
				t.Fatal("opened, want an error")
			}
		})
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func FuzzRoundTripRaw(f *testing.F) {
	f.Add([]byte{}, int64(1))
	f.Add([]byte{0xff, 0xff, 0, 0, 0xff, 0xff}, int64(2))
	f.Fuzz(func(t *testing.T, data []byte, seed int64) {
		fuzzRoundTrip(t, fuzzSource(data, seed, 3*mib, 1), Raw, Options{Workers: 2})
	})
}

func FuzzReadRaw(f *testing.F) {
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) { fuzzRead(t, b, Raw) })
}

// TestWriteSeedCorporaRaw regenerates the committed seed corpora when EIC_UPDATE_CORPUS=1.
func TestWriteSeedCorporaRaw(t *testing.T) {
	if os.Getenv("EIC_UPDATE_CORPUS") == "" {
		t.Skip("set EIC_UPDATE_CORPUS=1 to rewrite testdata/fuzz")
	}
	writeSeedCorpus(t, "FuzzRoundTripRaw", "empty", []byte{}, int64(1))
	writeSeedCorpus(t, "FuzzRoundTripRaw", "dense-unaligned", []byte{0x0b, 0xb9, 0, 0, 0, 0x10}, int64(2))
	writeSeedCorpus(t, "FuzzRoundTripRaw", "scattered", []byte{0x0b, 0xb8, 0x01, 0x0c, 0x00, 0x08, 0x03, 0x5b, 0x02, 0x00}, int64(3))
	var ours bytes.Buffer
	if err := Write(&ours, newMemDisk(200*kib+3, []Extent{{100, 200}, {130 * kib, 10}}, 5), Raw, Options{}); err != nil {
		t.Fatal(err)
	}
	writeSeedCorpus(t, "FuzzReadRaw", "ours-sparse", ours.Bytes())
	// The GNU-shaped seeds are built here, not by the system tar, with fixed names, owners and
	// times, so regenerating them gives the same bytes on every machine.
	disk := make([]byte, 8*kib)
	copy(disk[10:], bytes.Repeat([]byte{0xa5}, 20))
	const mtime = 1700000000
	records := paxRecords([][2]string{
		{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.name", "seed.raw"},
		{"GNU.sparse.realsize", "8192"}, {"mtime", "1700000000"}, {"atime", "1700000000"}, {"ctime", "1700000000"},
	})
	mapBlock := padTar([]byte("2\n0\n512\n8192\n0\n"))
	var sparse bytes.Buffer
	sparse.Write(tarHeader("./PaxHeaders/seed.raw", 'x', int64(len(records)), mtime))
	sparse.Write(padTar(records))
	sparse.Write(tarHeader("./GNUSparseFile.0/seed.raw", '0', int64(len(mapBlock))+512, mtime))
	sparse.Write(mapBlock)
	sparse.Write(disk[:512])
	sparse.Write(make([]byte, 2*tarBlock))
	requireSeedReads(t, gzipFixed(t, sparse.Bytes()), disk)
	writeSeedCorpus(t, "FuzzReadRaw", "gnu-pax-sparse", gzipFixed(t, sparse.Bytes()))

	var ustar bytes.Buffer
	tw := tar.NewWriter(&ustar)
	hdr := &tar.Header{Name: "seed.raw", Mode: 0o644, Size: int64(len(disk)), ModTime: time.Unix(mtime, 0), Format: tar.FormatUSTAR, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(disk); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	requireSeedReads(t, gzipFixed(t, ustar.Bytes()), disk)
	writeSeedCorpus(t, "FuzzReadRaw", "gnu-ustar", gzipFixed(t, ustar.Bytes()))
}

// requireSeedReads fails unless archive reads back as disk.
func requireSeedReads(t *testing.T, archive, disk []byte) {
	t.Helper()
	img, err := OpenFormat(bytes.NewReader(archive), int64(len(archive)), Raw)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(disk)+1)
	if n, _ := img.ReadAt(got, 0); n != len(disk) || !bytes.Equal(got[:n], disk) {
		t.Fatalf("seed reads back %d bytes, not the disk", n)
	}
}

// gzipFixed compresses b with a fixed gzip header (no name, no time).
func gzipFixed(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
