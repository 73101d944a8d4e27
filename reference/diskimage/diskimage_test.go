package diskimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"testing"
)

func TestChecksum(t *testing.T) {
	for _, tc := range testSources() {
		t.Run(tc.name, func(t *testing.T) {
			all := make([]byte, tc.src.Size())
			if _, err := tc.src.ReadAt(all, 0); err != nil && !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			sum := sha256.Sum256(all)
			got, err := Checksum(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if want := hex.EncodeToString(sum[:]); got != want {
				t.Fatalf("Checksum = %s, want %s", got, want)
			}
		})
	}
}

// TestChecksum_SameAcrossFormats: every image of a disk has the disk's checksum.
func TestChecksum_SameAcrossFormats(t *testing.T) {
	src := testSources()[3].src // scattered-24MiB
	want, err := Checksum(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		img := openImage(t, writeImage(t, src, f, Options{}), f)
		if got, err := Checksum(img); err != nil || got != want {
			t.Fatalf("%s: Checksum = %s, %v; want %s", f, got, err, want)
		}
	}
}

func TestWrite_UnalignedSize(t *testing.T) {
	src := NewSynthetic(mib+100, []Extent{{0, 10}}, 1)
	for _, f := range Formats {
		err := Write(io.Discard, src, f, Options{})
		if f == Raw {
			if err != nil {
				t.Fatalf("raw: %v", err)
			}
			continue
		}
		if !errors.Is(err, ErrUnalignedSize) {
			t.Fatalf("%s: err = %v, want ErrUnalignedSize", f, err)
		}
	}
}

func TestWrite_Progress(t *testing.T) {
	src := testSources()[3].src
	var total int64
	for _, e := range src.Extents() {
		total += e.Length
	}
	for _, f := range []Format{Raw, QCOW2, VHD} {
		for _, opt := range []Options{{}, {VHDFixed: true}} {
			var calls int
			var last int64
			opt.Progress = func(done, tot int64) {
				calls++
				if done < last || tot != total || done > tot {
					t.Fatalf("%s: progress(%d, %d) after %d, total %d", f, done, tot, last, total)
				}
				last = done
			}
			if err := Write(io.Discard, src, f, opt); err != nil {
				t.Fatal(err)
			}
			if calls == 0 || last != total {
				t.Fatalf("%s: %d calls, last done %d, want %d", f, calls, last, total)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	src := NewSynthetic(4*mib, []Extent{{mib, mib}}, 1)
	for _, f := range Formats {
		for _, opt := range []Options{{}, {VHDFixed: true}} {
			var buf bytes.Buffer
			if err := Write(&buf, src, f, opt); err != nil {
				t.Fatal(err)
			}
			img, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if img.Format() != f {
				t.Fatalf("detected %s, want %s", img.Format(), f)
			}
			info := Inspect(img)
			if info.VirtualSize != src.Size() || len(info.Problems) != 0 || info.AllocatedBytes < mib {
				t.Fatalf("%s: Inspect = %+v", f, info)
			}
		}
	}
	// Anything else is plain raw.
	if f, err := Detect(bytes.NewReader([]byte("hello")), 5); err != nil || f != Raw {
		t.Fatalf("Detect(hello) = %s, %v", f, err)
	}
}

func TestFileSource(t *testing.T) {
	src := NewSynthetic(64*mib, []Extent{{3 * mib, 5000}, {40 * mib, 2 * mib}}, 8)
	f, err := os.Open(writeRawFile(t, src))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := FileSource(f)
	if err != nil {
		t.Fatal(err)
	}
	requireSameContent(t, got, src)
	var data int64
	for _, e := range got.Extents() {
		data += e.Length
	}
	if data > 8*mib {
		t.Fatalf("extents cover %d bytes; SEEK_DATA should find about 2 MiB", data)
	}
}

func TestInspect_ReportsBrokenExtents(t *testing.T) {
	img := &plainRaw{r: bytes.NewReader(make([]byte, 1024)), size: 1024, extents: []Extent{{0, 512}, {100, 10}, {1000, 100}}}
	if got := len(Inspect(img).Problems); got != 2 {
		t.Fatalf("%d problems, want 2: %v", got, Inspect(img).Problems)
	}
}

// benchWrite writes a 256 MiB disk holding 64 MiB of data (64 scattered 1 MiB extents) per
// iteration; b.SetBytes counts the data bytes, so MB/s is data throughput.
func benchWrite(b *testing.B, f Format, opt Options) {
	var ext []Extent
	for i := range int64(64) {
		ext = append(ext, Extent{i * 4 * mib, mib})
	}
	src := newMemDisk(256*mib, ext, 1)
	b.SetBytes(64 * mib)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, src, f, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteRaw(b *testing.B)      { benchWrite(b, Raw, Options{}) }
func BenchmarkWriteQCOW2(b *testing.B)    { benchWrite(b, QCOW2, Options{}) }
func BenchmarkWriteVHD(b *testing.B)      { benchWrite(b, VHD, Options{}) }
func BenchmarkWriteVHDFixed(b *testing.B) { benchWrite(b, VHD, Options{VHDFixed: true}) }
