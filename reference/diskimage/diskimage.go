package diskimage

import (
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
}
