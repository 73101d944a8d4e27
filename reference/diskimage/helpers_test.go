package diskimage

// Shared test helpers for every format's tests (raw, qcow2, vhd, vmdk, vdi). Keep names stable:
// other test files use them.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
)

// testSource is a named disk for table-driven tests.
type testSource struct {
	name string
	src  Source
}

// testSources is the standard set of disks every format round-trips: empty, dense, scattered,
// extents touching and crossing 64 KiB clusters and 2 MiB blocks, an extent holding only
// zeros, sizes that are not a multiple of the cluster or block size. All sizes are multiples
// of 512 (see ErrUnalignedSize); raw tests add unaligned sizes themselves.
func testSources() []testSource {
	zeros := &memDisk{data: make([]byte, 4*mib), ext: []Extent{{mib, 2 * mib}}}
	mixed := newMemDisk(3*mib+512, []Extent{{0, 64 * kib}, {mib, mib}}, 9)
	clear(mixed.data[mib+64*kib : mib+192*kib]) // zero clusters inside an extent
	return []testSource{
		{"zero-size", NewSynthetic(0, nil, 1)},
		{"empty-1MiB", NewSynthetic(mib, nil, 1)},
		{"dense-3MiB+512", NewSynthetic(3*mib+512, []Extent{{0, 3*mib + 512}}, 2)},
		{"scattered-24MiB", NewSynthetic(24*mib, []Extent{{0, 4 * kib}, {7*mib + 3, 100 * kib}, {12 * mib, 3 * mib}, {23 * mib, mib}}, 3)},
		{"cluster-edges", NewSynthetic(8*mib, []Extent{{64*kib - 1, 2}, {128 * kib, 64 * kib}, {320*kib - 512, 512}, {5*64*kib + 1, 1}}, 4)},
		{"block-edges", NewSynthetic(10*mib, []Extent{{2*mib - 512, 1024}, {4 * mib, 2 * mib}, {8*mib - 1, 1}}, 5)},
		{"odd-tail-5MiB+1536", NewSynthetic(5*mib+1536, []Extent{{5*mib - 100, 1636}}, 6)},
		{"zeros-in-extent", zeros},
		{"zero-clusters-mixed", mixed},
	}
}

// memDisk is an in-memory Source with explicit extents (which may hold zeros).
type memDisk struct {
	data []byte
	ext  []Extent
}

// newMemDisk is a disk of the given size whose extents hold the synthetic pattern for seed.
func newMemDisk(size int64, ext []Extent, seed int64) *memDisk {
	s := NewSynthetic(size, ext, seed)
	d := &memDisk{data: make([]byte, size), ext: s.Extents()}
	_, _ = s.ReadAt(d.data, 0)
	return d
}

func (d *memDisk) Size() int64       { return int64(len(d.data)) }
func (d *memDisk) Extents() []Extent { return d.ext }
func (d *memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(d.data)) {
		return 0, io.EOF
	}
	n := copy(p, d.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fuzzSource builds a small disk from fuzz input: size (multiple of align, at most maxSize)
// and extents from the bytes, synthetic content from the seed.
func fuzzSource(data []byte, seed int64, maxSize, align int64) Source {
	next := func() int64 {
		if len(data) < 2 {
			return 0
		}
		v := int64(data[0])<<8 | int64(data[1])
		data = data[2:]
		return v
	}
	size := (next() * 4099 % (maxSize + 1)) / align * align
	var ext []Extent
	for len(data) >= 4 && size > 0 {
		off := next() * 977 % size
		ext = append(ext, Extent{off, next()*131 + 1})
	}
	return NewSynthetic(size, ext, seed)
}

// requireSameContent fails t unless got and want have the same size and bytes, got's extents
// keep the Source contract and cover every non-zero byte. It compares in chunks of an odd
// size, so reads straddle every cluster, grain and block boundary, and fails on short reads.
func requireSameContent(t testing.TB, got, want Source) {
	t.Helper()
	if got.Size() != want.Size() {
		t.Fatalf("size = %d, want %d", got.Size(), want.Size())
	}
	requireExtentsValid(t, got)
	size := want.Size()
	const chunk = 100_003
	a, b := make([]byte, chunk), make([]byte, chunk)
	readOK := func(k, n int, err error, off int64) bool {
		return k == n && (err == nil || errors.Is(err, io.EOF) && off+int64(n) == size)
	}
	for off := int64(0); off < size; off += chunk {
		n := int(min(chunk, size-off))
		if k, err := want.ReadAt(b[:n], off); !readOK(k, n, err, off) {
			t.Fatalf("reading source: ReadAt(%d bytes, %d) = %d, %v", n, off, k, err)
		}
		if k, err := got.ReadAt(a[:n], off); !readOK(k, n, err, off) {
			t.Fatalf("reading image: ReadAt(%d bytes, %d) = %d, %v", n, off, k, err)
		}
		if !bytes.Equal(a[:n], b[:n]) {
			i := 0
			for a[i] == b[i] {
				i++
			}
			t.Fatalf("content differs at byte %d: got %#x, want %#x", off+int64(i), a[i], b[i])
		}
	}
	if n, err := got.ReadAt(a[:1], got.Size()); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("ReadAt(Size) = %d, %v; want 0, io.EOF", n, err)
	}
	// Every byte outside got's extents must be zero: checked by reading want over got's holes.
	pos := int64(0)
	for _, e := range append(got.Extents(), Extent{size, 0}) {
		for off := pos; off < e.Offset; off += chunk {
			n := int(min(chunk, e.Offset-off))
			if err := readFull(want, b[:n], off); err != nil {
				t.Fatal(err)
			}
			if !isZero(b[:n]) {
				t.Fatalf("source has data at %d outside the image's extents %v", off, got.Extents())
			}
		}
		pos = e.End()
	}
}

// requireExtentsValid checks the Source contract on s's extents.
func requireExtentsValid(t testing.TB, s Source) {
	t.Helper()
	var prev int64
	for i, e := range s.Extents() {
		if e.Length <= 0 || e.Offset < prev || e.End() > s.Size() {
			t.Fatalf("extent %d = %+v breaks the contract (prev end %d, size %d)", i, e, prev, s.Size())
		}
		prev = e.End()
	}
}

// writeRawFile writes src as a sparse plain raw file in t.TempDir and returns its path.
func writeRawFile(t testing.TB, src Source) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "src.raw")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for _, e := range src.Extents() {
		for off := e.Offset; off < e.End(); {
			n := min(int64(len(buf)), e.End()-off)
			if err := readFull(src, buf[:n], off); err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(buf[:n], off); err != nil {
				t.Fatal(err)
			}
			off += n
		}
	}
	if err := f.Truncate(src.Size()); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeImage writes src in format f with opt to a file in t.TempDir and returns its path.
func writeImage(t testing.TB, src Source, f Format, opt Options) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out."+f.Extension())
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(out, src, f, opt); err != nil {
		out.Close()
		t.Fatalf("Write(%s): %v", f, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// openImage opens the image file at path as format f ("" = detect); the file is closed at
// the end of the test.
func openImage(t testing.TB, path string, f Format) Image {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	st, err := file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var img Image
	if f == "" {
		img, err = Open(file, st.Size())
	} else {
		img, err = OpenFormat(file, st.Size(), f)
	}
	if err != nil {
		t.Fatalf("opening %s as %q: %v", filepath.Base(path), f, err)
	}
	return img
}

// requireQemu skips t when qemu-img is not installed and returns its path.
func requireQemu(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Skip("qemu-img not installed (apt-get install qemu-utils)")
	}
	return p
}

// qemuName is qemu-img's driver name for f ("vpc" for vhd).
func qemuName(f Format) string {
	if f == VHD {
		return "vpc"
	}
	return string(f)
}

// runQemu runs qemu-img with args and returns its combined output and exit code.
func runQemu(t testing.TB, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(requireQemu(t), args...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("qemu-img %s: %v", strings.Join(args, " "), err)
	return "", -1
}

// qemuCompare fails t unless qemu-img reads the image at imgPath (format f) as the same
// content as the plain raw file at rawPath.
func qemuCompare(t testing.TB, rawPath string, f Format, imgPath string) {
	t.Helper()
	out, rc := runQemu(t, "compare", "-f", "raw", "-F", qemuName(f), rawPath, imgPath)
	if rc != 0 {
		t.Fatalf("qemu-img compare -f raw -F %s: rc %d: %s", qemuName(f), rc, out)
	}
}

// qemuCheck fails t unless `qemu-img check -f <f>` reports the image clean.
func qemuCheck(t testing.TB, f Format, path string) {
	t.Helper()
	out, rc := runQemu(t, "check", "-f", qemuName(f), path)
	if rc != 0 {
		t.Fatalf("qemu-img check -f %s: rc %d: %s", qemuName(f), rc, out)
	}
}

// qemuConvert converts the raw file at rawPath to format f with extra -o options (e.g.
// "subformat=fixed,force_size=on") and returns the output path.
func qemuConvert(t testing.TB, rawPath string, f Format, options string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "qemu."+string(f))
	args := []string{"convert", "-f", "raw", "-O", qemuName(f)}
	if options != "" {
		args = append(args, "-o", options)
	}
	args = append(args, rawPath, out)
	if msg, rc := runQemu(t, args...); rc != 0 {
		t.Fatalf("qemu-img %s: rc %d: %s", strings.Join(args, " "), rc, msg)
	}
	return out
}

// qemuVirtualSize is the virtual size `qemu-img info` reports for the image.
func qemuVirtualSize(t testing.TB, f Format, path string) int64 {
	t.Helper()
	out, rc := runQemu(t, "info", "--output=json", "-f", qemuName(f), path)
	if rc != 0 {
		t.Fatalf("qemu-img info: rc %d: %s", rc, out)
	}
	i := strings.Index(out, `"virtual-size":`)
	if i < 0 {
		t.Fatalf("qemu-img info: no virtual-size in %s", out)
	}
	var v int64
	if _, err := fmt.Sscanf(strings.TrimSpace(out[i+len(`"virtual-size":`):]), "%d", &v); err != nil {
		t.Fatalf("qemu-img info: %v in %s", err, out)
	}
	return v
}

// fuzzRoundTrip writes src in format f, reads it back from memory, and compares.
func fuzzRoundTrip(t *testing.T, src Source, f Format, opt Options) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, src, f, opt); err != nil {
		t.Fatalf("Write(%s): %v", f, err)
	}
	img, err := OpenFormat(bytes.NewReader(buf.Bytes()), int64(buf.Len()), f)
	if err != nil {
		t.Fatalf("OpenFormat(%s): %v", f, err)
	}
	requireSameContent(t, img, src)
}

// fuzzRead opens arbitrary bytes as format f and, if that works, reads the image's extents
// (up to readCap bytes) and a few other places. It fails on a panic (by crashing), on an
// image breaking the Source contract, or on more than maxAlloc bytes allocated.
func fuzzRead(t *testing.T, b []byte, f Format) {
	t.Helper()
	const readCap, maxAlloc = 8 << 20, 96 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	img, err := OpenFormat(bytes.NewReader(b), int64(len(b)), f)
	if err == nil {
		requireExtentsValid(t, img)
		_ = Inspect(img)
		buf := make([]byte, 64<<10)
		read := 0
		for _, e := range img.Extents() {
			for off := e.Offset; off < e.End() && read < readCap; off += int64(len(buf)) {
				n, _ := img.ReadAt(buf, off)
				if n > len(buf) {
					t.Fatalf("ReadAt returned %d > %d", n, len(buf))
				}
				read += len(buf)
			}
		}
		for _, off := range []int64{0, img.Size() / 2, img.Size() - 1, img.Size(), -1} {
			_, _ = img.ReadAt(buf[:513], off)
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > maxAlloc {
		t.Fatalf("allocated %d bytes reading a %d-byte input", got, len(b))
	}
}

// writeSeedCorpus writes one seed in the `go test fuzz v1` file format to
// testdata/fuzz/<target>/<name>. Only the TestWriteSeedCorpora* tests and
// TestVMDK_WriteFuzzSeeds call it, when asked.
func writeSeedCorpus(t *testing.T, target, name string, values ...any) {
	t.Helper()
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case int64:
			fmt.Fprintf(&b, "int64(%d)\n", v)
		case uint16:
			fmt.Fprintf(&b, "uint16(%d)\n", v)
		case bool:
			fmt.Fprintf(&b, "bool(%v)\n", v)
		default:
			t.Fatalf("unsupported corpus value %T", v)
		}
	}
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
