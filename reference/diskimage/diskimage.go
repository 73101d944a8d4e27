package diskimage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// Write writes src to w as an image of format f, starting where w's offset stands. On an
// io.Writer that is not a regular *os.File it streams: w is never seeked. On a regular file
// (not opened with O_APPEND) the qcow2 and vdi writers write their data with positioned
// writes (WriteAt), several at once, and leave the offset at the end of the image; the vhd
// and plain raw writers skip all-zero 64 KiB runs with Seek (holes) and truncate the file to
// length at the end. The bytes are those of the stream either way.
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
