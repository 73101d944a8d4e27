package diskimage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
)

// Format names one export format, spelled as ExportImage's ImageFormat parameter spells it.
type Format string

// The five formats ExportImage documents.
const (
	Raw   Format = "raw"
	VHD   Format = "vhd"
	QCOW2 Format = "qcow2"
	VMDK  Format = "vmdk"
	VDI   Format = "vdi"
)

// Formats lists every supported format in the order the document gives them.
var Formats = []Format{Raw, VHD, QCOW2, VMDK, VDI}

// Extension is the object-name suffix an export in this format gets (protocol.md F):
// "raw.tar.gz" for raw, the format name otherwise.
func (f Format) Extension() string {
	if f == Raw {
		return "raw.tar.gz"
	}
	return string(f)
}

// ParseFormat accepts exactly the lower-case names of Formats.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("diskimage: unknown format %q", s)
}

// Extent is the byte range [Offset, Offset+Length) of a disk.
type Extent struct {
	Offset int64
	Length int64
}

// End is the first byte past the extent.
func (e Extent) End() int64 { return e.Offset + e.Length }

// Source is a disk to export or a disk read back from an image file.
//
// Contract: Size is the virtual size in bytes. Extents are sorted, non-overlapping, non-empty
// and inside [0, Size); every byte outside them reads as zero. An extent may still contain
// zeros (it marks where data may be, not where it is). ReadAt follows io.ReaderAt and reads
// zeros in holes; reading at or past Size returns io.EOF.
type Source interface {
	io.ReaderAt
	Size() int64
	Extents() []Extent
}

// Options tune a writer. The zero value is valid.
type Options struct {
	// Progress, if set, is called from the writing goroutine as the writer consumes the
	// source's extents: done is the running count of extent bytes consumed, total the sum of
	// all extent lengths. done never decreases and ends equal to total on success.
	Progress func(done, total int64)
	// VHDFixed writes a fixed VHD instead of a dynamic one.
	VHDFixed bool
	// Identity seeds the values some formats embed that are otherwise random or time-based
	// (VHD timestamp and UUID, VDI UUIDs, VMDK CID), so output can be made reproducible.
	// Zero means "derive from the source size", which is deterministic too.
	Identity int64
	// Workers bounds the goroutines a compressing writer (vmdk, raw.tar.gz) may use;
	// 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Name is the file name of the disk inside a raw.tar.gz (and the extent file name a
	// vmdk descriptor mentions); "" means "disk.raw".
	Name string
}

// Image is a disk read back from an image file: its guest view plus the format it was stored in.
type Image interface {
	Source
	Format() Format
}

// checker is implemented by images whose reader found non-fatal problems (for example a
// VHD whose backup footer differs from the primary one). Inspect reports them.
type checker interface {
	Problems() []string
}

// Info is what Inspect reports about an image.
type Info struct {
	Format Format
	// VirtualSize is the guest-visible size in bytes.
	VirtualSize int64
	// AllocatedBytes is the sum of the image's extent lengths: the bytes the image stores
	// (or may store) data for. Holes are not counted.
	AllocatedBytes int64
	// Problems lists what is wrong with the image; empty means none found.
	Problems []string
}

// Inspect summarises img: its format, sizes, and any problems: extents breaking the Source
// contract, plus the format's consistency checks — those `qemu-img check` runs (qcow2
// refcounts and tables, vmdk grain markers, vdi block map) and what its reader noticed while
// opening (vhd footer copies). Problems that make an image unreadable are refused by Open.
func Inspect(img Image) Info {
	info := Info{Format: img.Format(), VirtualSize: img.Size()}
	var prev int64
	for i, e := range img.Extents() {
		switch {
		case e.Length <= 0:
			info.Problems = append(info.Problems, fmt.Sprintf("extent %d is empty", i))
		case e.Offset < prev:
			info.Problems = append(info.Problems, fmt.Sprintf("extent %d at %d overlaps or is out of order", i, e.Offset))
		case e.End() > img.Size():
			info.Problems = append(info.Problems, fmt.Sprintf("extent %d ends at %d, past the virtual size %d", i, e.End(), img.Size()))
		}
		info.AllocatedBytes += max(e.Length, 0)
		prev = e.End()
	}
	if c, ok := img.(checker); ok {
		info.Problems = append(info.Problems, c.Problems()...)
	}
	return info
}

// ErrUnalignedSize is returned by writers of sector-based formats (everything but raw) for a
// source whose size is not a multiple of 512. Every qemu driver works in 512-byte sectors and
// would silently round such a disk up, so the writers refuse rather than change the disk.
// Raw (raw.tar.gz) keeps any byte size.
var ErrUnalignedSize = errors.New("diskimage: virtual size is not a multiple of 512 bytes")

// SectorSize is the sector size of every format here.
const SectorSize = 512

// Write streams src to w as an image of format f. Writers never seek w unless it is an
// *os.File opened on a regular file, where long zero runs of raw-layout output (fixed VHD)
// are skipped with Seek and the file is truncated to length at the end.
func Write(w io.Writer, src Source, f Format, opt Options) error {
	if src.Size() < 0 {
		return fmt.Errorf("diskimage: negative virtual size %d", src.Size())
	}
	if f != Raw && src.Size()%SectorSize != 0 {
		return fmt.Errorf("%w: %d", ErrUnalignedSize, src.Size())
	}
	switch f {
	case Raw:
		return writeRaw(w, src, opt)
	case QCOW2:
		return writeQCOW2(w, src, opt)
	case VHD:
		return writeVHD(w, src, opt)
	case VMDK:
		return writeVMDK(w, src, opt)
	case VDI:
		return writeVDI(w, src, opt)
	}
	return fmt.Errorf("diskimage: unknown format %q", f)
}

// Open detects the format of the image in r (size bytes long) from its magic bytes and opens
// it: qcow2 "QFI\xfb" and vmdk "KDMV" at 0, the vdi signature at 0x40, a vhd "conectix"
// footer at 0 (dynamic) or in the last 512 bytes (fixed), a gzip header (raw.tar.gz);
// anything else is plain raw.
func Open(r io.ReaderAt, size int64) (Image, error) {
	f, err := Detect(r, size)
	if err != nil {
		return nil, err
	}
	return OpenFormat(r, size, f)
}

// Detect names the format Open would use for r.
func Detect(r io.ReaderAt, size int64) (Format, error) {
	if size < 0 {
		return "", fmt.Errorf("diskimage: negative image size %d", size)
	}
	var head [512]byte
	n, err := r.ReadAt(head[:min(int64(len(head)), size)], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("diskimage: reading header: %w", err)
	}
	h := head[:n]
	switch {
	case bytes.HasPrefix(h, []byte("QFI\xfb")):
		return QCOW2, nil
	case bytes.HasPrefix(h, []byte("KDMV")):
		return VMDK, nil
	case len(h) >= 0x44 && bytes.Equal(h[0x40:0x44], []byte{0x7f, 0x10, 0xda, 0xbe}):
		return VDI, nil
	case bytes.HasPrefix(h, []byte("conectix")):
		return VHD, nil
	case bytes.HasPrefix(h, []byte{0x1f, 0x8b}):
		return Raw, nil
	}
	if size >= 512 {
		var tail [8]byte
		if _, err := r.ReadAt(tail[:], size-512); err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("diskimage: reading footer: %w", err)
		}
		if string(tail[:]) == "conectix" {
			return VHD, nil
		}
	}
	return Raw, nil
}

// OpenFormat opens r as format f. For Raw it accepts both the exported raw.tar.gz (detected by
// its gzip magic) and a plain raw disk (every other input).
func OpenFormat(r io.ReaderAt, size int64, f Format) (Image, error) {
	if size < 0 {
		return nil, fmt.Errorf("diskimage: negative image size %d", size)
	}
	switch f {
	case Raw:
		var magic [2]byte
		if n, _ := r.ReadAt(magic[:], 0); n == 2 && magic == [2]byte{0x1f, 0x8b} {
			return openRawTarGz(r, size)
		}
		return openPlainRaw(r, size)
	case QCOW2:
		return openQCOW2(r, size)
	case VHD:
		return openVHD(r, size)
	case VMDK:
		return openVMDK(r, size)
	case VDI:
		return openVDI(r, size)
	}
	return nil, fmt.Errorf("diskimage: unknown format %q", f)
}

// Checksum is the lower-case hex SHA-256 of src's whole virtual disk. Holes are hashed from a
// shared zero buffer without reading the source; only extents are read.
func Checksum(src Source) (string, error) { return ChecksumContext(context.Background(), src) }

// ChecksumContext is Checksum that stops, returning ctx.Err(), within one chunk of ctx being
// done: a terabyte of holes takes minutes to hash.
func ChecksumContext(ctx context.Context, src Source) (string, error) {
	h := sha256.New()
	buf := make([]byte, copyChunk)
	var pos int64
	hashZeros := func(n int64) error {
		for n > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := min(n, int64(len(zeroChunk)))
			h.Write(zeroChunk[:c])
			n -= c
		}
		return nil
	}
	for _, e := range src.Extents() {
		if e.Offset < pos || e.End() > src.Size() {
			return "", fmt.Errorf("diskimage: source extents break the contract at %d", e.Offset)
		}
		if err := hashZeros(e.Offset - pos); err != nil {
			return "", err
		}
		for off := e.Offset; off < e.End(); {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			n := int(min(int64(len(buf)), e.End()-off))
			if err := readFull(src, buf[:n], off); err != nil {
				return "", err
			}
			h.Write(buf[:n])
			off += int64(n)
		}
		pos = e.End()
	}
	if err := hashZeros(src.Size() - pos); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyChunk is the read size writers use over extents.
const copyChunk = 1 << 20

// zeroChunk is a shared, never-written buffer of zeros.
var zeroChunk = make([]byte, copyChunk)

// isZero reports whether p holds only zero bytes.
func isZero(p []byte) bool {
	for len(p) > 0 {
		n := min(len(p), len(zeroChunk))
		if !bytes.Equal(p[:n], zeroChunk[:n]) {
			return false
		}
		p = p[n:]
	}
	return true
}

// readFull reads exactly len(p) bytes of src at off; an io.EOF after a full read is not an error.
func readFull(src io.ReaderAt, p []byte, off int64) error {
	n, err := src.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("diskimage: reading source at %d: %w", off, err)
}

// unitRun is a run [first, first+n) of allocation-unit indices.
type unitRun struct{ first, n int64 }

// unitMap lists the non-zero allocation units of a source as sorted runs. Its memory follows
// the number of runs (the data's shape), never the virtual size.
type unitMap struct {
	unit  int64
	runs  []unitRun
	count int64
}

func (m *unitMap) add(i int64) {
	m.count++
	if k := len(m.runs); k > 0 && m.runs[k-1].first+m.runs[k-1].n == i {
		m.runs[k-1].n++
		return
	}
	m.runs = append(m.runs, unitRun{i, 1})
}

// each calls fn for every unit index in ascending order.
func (m *unitMap) each(fn func(i int64) error) error {
	for _, r := range m.runs {
		for i := r.first; i < r.first+r.n; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkExtents returns an error naming format f unless exts keep the Source contract on a
// disk of size bytes: sorted, not overlapping, non-empty and within the disk.
func checkExtents(f Format, exts []Extent, size int64) error {
	var prev int64
	for _, e := range exts {
		if e.Offset < prev || e.Length <= 0 || e.End() > size {
			return fmt.Errorf("diskimage: %s: source extent [%d,%d) breaks the contract", f, e.Offset, e.End())
		}
		prev = e.End()
	}
	return nil
}

// unitWalk yields, in ascending order and once each, the indices of the allocation units
// of size unit that sorted extents touch.
type unitWalk struct {
	ext  []Extent
	unit int64
	i    int
	pos  int64
}

func (w *unitWalk) next() (int64, bool) {
	for w.i < len(w.ext) && w.ext[w.i].End() <= w.pos*w.unit {
		w.i++
	}
	if w.i >= len(w.ext) {
		return 0, false
	}
	u := max(w.pos, w.ext[w.i].Offset/w.unit)
	w.pos = u + 1
	return u, true
}

// maxListExtents bounds the extent list an extentList builds (the vmdk and vdi readers);
// beyond it extents are coarsened (allowed: extents say where data may be, not where it is).
const maxListExtents = 1 << 16

// extentList builds a sorted extent list from ascending ranges, merging touching ones and
// coarsening (merging across ever larger gaps) whenever it grows past maxListExtents.
type extentList struct {
	ext []Extent
	gap int64
}

func (l *extentList) add(lo, hi, unit int64) {
	if n := len(l.ext); n > 0 && lo-l.ext[n-1].End() <= l.gap {
		l.ext[n-1].Length = max(hi, l.ext[n-1].End()) - l.ext[n-1].Offset
		return
	}
	l.ext = append(l.ext, Extent{lo, hi - lo})
	for len(l.ext) > maxListExtents {
		l.gap = max(2*l.gap, unit)
		out := l.ext[:1]
		for _, e := range l.ext[1:] {
			if last := &out[len(out)-1]; e.Offset-last.End() <= l.gap {
				last.Length = e.End() - last.Offset
				continue
			}
			out = append(out, e)
		}
		l.ext = out
	}
}

// scanProbe is how much of a unit scanUnits reads first: data almost never starts with 4 KiB
// of zeros, so most allocated units are recognised without reading the rest of them.
const scanProbe = 4 << 10

// scanUnits finds the allocation units of size unit that overlap src's extents and hold a
// non-zero byte. The last unit may be short (clipped at Size). Each unit is probed with its
// first scanProbe bytes and read whole only when the probe is all zeros, so the pre-pass of
// a writer costs a small fraction of the data on dense disks.
func scanUnits(src Source, unit int64) (*unitMap, error) {
	m := &unitMap{unit: unit}
	if unit <= scanProbe {
		return scanSmallUnits(src, unit, m)
	}
	buf := make([]byte, copyChunk)
	size := src.Size()
	next := int64(0) // first unit index not yet scanned
	for _, e := range src.Extents() {
		if e.Offset < 0 || e.Length <= 0 || e.End() > size {
			return nil, fmt.Errorf("diskimage: source extent [%d,%d) breaks the contract", e.Offset, e.End())
		}
		first, last := max(e.Offset/unit, next), (e.End()-1)/unit
		for i := first; i <= last; i++ {
			nonZero, err := unitHasData(src, buf, i*unit, min(unit, size-i*unit))
			if err != nil {
				return nil, err
			}
			if nonZero {
				m.add(i)
			}
		}
		next = max(next, last+1)
	}
	return m, nil
}

// unitHasData reads [off, off+n) probe first and stops at the first chunk with data.
func unitHasData(src io.ReaderAt, buf []byte, off, n int64) (bool, error) {
	step := min(int64(scanProbe), n)
	for done := int64(0); done < n; {
		if err := readFull(src, buf[:step], off+done); err != nil {
			return false, err
		}
		if !isZero(buf[:step]) {
			return true, nil
		}
		done += step
		step = min(int64(len(buf)), n-done)
	}
	return false, nil
}

// scanSmallUnits reads units no larger than a probe several at a time.
func scanSmallUnits(src Source, unit int64, m *unitMap) (*unitMap, error) {
	buf := make([]byte, max(unit, copyChunk))
	size := src.Size()
	next := int64(0)
	for _, e := range src.Extents() {
		if e.Offset < 0 || e.Length <= 0 || e.End() > size {
			return nil, fmt.Errorf("diskimage: source extent [%d,%d) breaks the contract", e.Offset, e.End())
		}
		first, last := max(e.Offset/unit, next), (e.End()-1)/unit
		for i := first; i <= last; {
			k := min(last-i+1, int64(len(buf))/unit)
			off := i * unit
			n := min(k*unit, size-off)
			if err := readFull(src, buf[:n], off); err != nil {
				return nil, err
			}
			for j := int64(0); j < k; j++ {
				lo, hi := j*unit, min((j+1)*unit, n)
				if !isZero(buf[lo:hi]) {
					m.add(i + j)
				}
			}
			i += k
		}
		next = max(next, last+1)
	}
	return m, nil
}

// progress turns guest offsets reached by a writer into Options.Progress calls.
type progress struct {
	fn      func(done, total int64)
	ext     []Extent
	i       int
	before  int64 // extent bytes in ext[:i]
	total   int64
	lastOut int64
}

func newProgress(fn func(done, total int64), src Source) *progress {
	p := &progress{fn: fn, ext: src.Extents()}
	for _, e := range p.ext {
		p.total += e.Length
	}
	return p
}

// reach reports that everything below guest offset off has been consumed.
func (p *progress) reach(off int64) {
	if p == nil || p.fn == nil {
		return
	}
	for p.i < len(p.ext) && p.ext[p.i].End() <= off {
		p.before += p.ext[p.i].Length
		p.i++
	}
	done := p.before
	if p.i < len(p.ext) && p.ext[p.i].Offset < off {
		done += off - p.ext[p.i].Offset
	}
	if done > p.lastOut {
		p.lastOut = done
		p.fn(done, p.total)
	}
}

// finish reports completion.
func (p *progress) finish() {
	if p == nil || p.fn == nil {
		return
	}
	if p.lastOut < p.total || p.total == 0 {
		p.lastOut = p.total
		p.fn(p.total, p.total)
	}
}

// plainRaw is a raw disk image: the bytes are the disk.
type plainRaw struct {
	r       io.ReaderAt
	size    int64
	extents []Extent
}

func openPlainRaw(r io.ReaderAt, size int64) (Image, error) {
	p := &plainRaw{r: r, size: size}
	if f, ok := r.(*os.File); ok {
		ext, err := fileExtents(f, size)
		if err != nil {
			return nil, err
		}
		p.extents = ext
	} else if size > 0 {
		p.extents = []Extent{{0, size}}
	}
	return p, nil
}

func (p *plainRaw) Size() int64       { return p.size }
func (p *plainRaw) Extents() []Extent { return p.extents }
func (p *plainRaw) Format() Format    { return Raw }
func (p *plainRaw) ReadAt(b []byte, off int64) (int, error) {
	return readClipped(p.r, p.size, b, off)
}

// readClipped reads r as a disk of the given size: short reads inside the size are errors,
// reads reaching the size return io.EOF.
func readClipped(r io.ReaderAt, size int64, b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("diskimage: negative offset %d", off)
	}
	if off >= size {
		return 0, io.EOF
	}
	want := min(int64(len(b)), size-off)
	n, err := r.ReadAt(b[:want], off)
	if int64(n) < want {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	if want < int64(len(b)) {
		return n, io.EOF
	}
	return n, nil
}

// readUnits serves ReadAt(p, off) for an image of size bytes stored in units of unit bytes
// (vmdk grains, vdi blocks): it clips the read at size, returning io.EOF when p reaches past
// it, and fills p piece by piece, calling fill with each piece dst, the index u of the unit
// holding it and the offset in of dst within that unit. f names the format in errors.
func readUnits(f Format, p []byte, off, size, unit int64, fill func(dst []byte, u, in int64) error) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("diskimage: %s: negative offset %d", f, off)
	}
	if off >= size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), size-off)
	done := int64(0)
	for done < want {
		u := (off + done) / unit
		in := (off + done) % unit
		n := min(want-done, unit-in)
		if err := fill(p[done:done+n], u, in); err != nil {
			return int(done), err
		}
		done += n
	}
	if want < int64(len(p)) {
		return int(done), io.EOF
	}
	return int(done), nil
}

// FileSource turns a regular file into a Source whose extents come from SEEK_DATA/SEEK_HOLE,
// so holes in a sparse file cost nothing. On file systems without them (EINVAL) the whole file
// is one extent. The extents are taken once, here: the file must not change afterwards.
func FileSource(f *os.File) (Source, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("diskimage: %w", err)
	}
	img, err := openPlainRaw(f, st.Size())
	if err != nil {
		return nil, err
	}
	return img, nil
}

// Whence values for lseek that package os does not name.
const (
	seekData = 3
	seekHole = 4
)

// fileExtents lists f's data regions in [0, size) with SEEK_DATA/SEEK_HOLE.
func fileExtents(f *os.File, size int64) ([]Extent, error) {
	if size == 0 {
		return nil, nil
	}
	whole := []Extent{{0, size}}
	var ext []Extent
	for off := int64(0); off < size; {
		start, err := f.Seek(off, seekData)
		if err != nil {
			if errors.Is(err, syscall.ENXIO) {
				break
			}
			if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ESPIPE) || errors.Is(err, syscall.ENOTSUP) {
				return whole, nil
			}
			return nil, fmt.Errorf("diskimage: SEEK_DATA: %w", err)
		}
		if start >= size {
			break
		}
		end, err := f.Seek(start, seekHole)
		if err != nil {
			return nil, fmt.Errorf("diskimage: SEEK_HOLE: %w", err)
		}
		end = min(end, size)
		if end <= start {
			return whole, nil // a file system lying about holes; be safe
		}
		ext = append(ext, Extent{start, end - start})
		off = end
	}
	// ReadAt does not use the file offset, but leave it where a reader expects it.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("diskimage: %w", err)
	}
	return ext, nil
}

// mergeExtents sorts and merges touching extents (in place) and drops empty ones.
func mergeExtents(ext []Extent) []Extent {
	sort.Slice(ext, func(i, j int) bool { return ext[i].Offset < ext[j].Offset })
	out := ext[:0]
	for _, e := range ext {
		if e.Length <= 0 {
			continue
		}
		if n := len(out); n > 0 && e.Offset <= out[n-1].End() {
			out[n-1].Length = max(out[n-1].End(), e.End()) - out[n-1].Offset
			continue
		}
		out = append(out, e)
	}
	return out
}

// identitySeed is the seed for generated identifiers (see Options.Identity).
func identitySeed(opt Options, src Source) uint64 {
	if opt.Identity != 0 {
		return uint64(opt.Identity)
	}
	return uint64(src.Size())
}

// diskName is the disk's file name inside archives and descriptors.
func (o Options) diskName() string {
	if o.Name == "" {
		return "disk.raw"
	}
	return o.Name
}
