package diskimage

// Reading sources: the plain raw image (a file's bytes are the disk, extents from
// SEEK_DATA/SEEK_HOLE), and the helpers every reader uses to serve ReadAt.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
)

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
