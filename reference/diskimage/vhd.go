package diskimage

// VHD (Microsoft Virtual Hard Disk Image Format Specification v1.0), dynamic and fixed.
//
// Size: the exact virtual size, the way `qemu-img convert -O vpc -o force_size=on` writes it:
// creator application "qem2", geometry 65535/16/255, current_size = original_size = source
// size. qemu (and Hyper-V) then take the size from current_size; no CHS rounding happens.
//
// Dynamic layout (sequential; a pre-pass finds the non-zero 2 MiB blocks to fill the BAT):
//
//	[footer copy 512] [dynamic header 1024] [BAT, padded to 512] { [bitmap 512, all 0xFF] [2 MiB data] }... [footer 512]
//
// Fixed layout: the disk's bytes, then the footer. Written to a seekable regular *os.File,
// zero runs become holes (Seek) and the file is truncated to length, so a sparse disk stays
// sparse and the work follows the data.
//
// Reader: both kinds, size from current_size (qemu instead uses C×H×S for "vpc "/"qemu"
// creators; those write current_size = C×H×S anyway). Footer and dynamic-header checksums are
// verified; a bad end footer falls back to the copy at 0 and is reported by Inspect. Sector
// bitmaps are ignored, as qemu does. Differencing disks are refused.

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

const (
	vhdBlock        = 2 << 20
	vhdBitmap       = 512 // 2 MiB / 512 / 8, already sector-aligned
	vhdMaxSize      = int64(0xFF000000) * 512
	vhdTypeFixed    = 2
	vhdTypeDynamic  = 3
	vhdTypeDiff     = 4
	vhdUnallocated  = 0xFFFFFFFF
	vhdEpoch        = 946684800 // 2000-01-01 UTC in Unix seconds
	vhdMaxBATBytes  = 32 << 20
	vhdMaxBlockSize = 256 << 20
)

var (
	vhdCookie    = []byte("conectix")
	vhdDynCookie = []byte("cxsparse")
)

// vhdChecksum is the one's complement of the byte sum, with the checksum field (4 bytes at
// at) counted as zero.
func vhdChecksum(b []byte, at int) uint32 {
	var sum uint32
	for i, c := range b {
		if i < at || i >= at+4 {
			sum += uint32(c)
		}
	}
	return ^sum
}

func vhdFooter(size int64, diskType uint32, dataOffset uint64, seed uint64) []byte {
	f := make([]byte, 512)
	be := binary.BigEndian
	copy(f, vhdCookie)
	be.PutUint32(f[8:], 2)
	be.PutUint32(f[12:], 0x00010000)
	be.PutUint64(f[16:], dataOffset)
	// A deterministic timestamp within 2020..2030, derived from the identity seed.
	be.PutUint32(f[24:], uint32(1577836800-vhdEpoch)+uint32(mix(seed)%(10*365*86400)))
	copy(f[28:], "qem2")
	be.PutUint32(f[32:], 0x00050003)
	copy(f[36:], "Wi2k")
	be.PutUint64(f[40:], uint64(size))
	be.PutUint64(f[48:], uint64(size))
	be.PutUint16(f[56:], 65535)
	f[58], f[59] = 16, 255
	be.PutUint32(f[60:], diskType)
	be.PutUint64(f[68:], mix(seed^0x5648445f75756964))
	be.PutUint64(f[76:], mix(seed^0x5648445f75756965))
	f[74] = f[74]&0x0f | 0x40 // UUID version 4
	f[76] = f[76]&0x3f | 0x80 // RFC 4122 variant
	be.PutUint32(f[64:], vhdChecksum(f, 64))
	return f
}

func writeVHD(w io.Writer, src Source, opt Options) error {
	size := src.Size()
	if size > vhdMaxSize {
		return fmt.Errorf("diskimage: vhd: virtual size %d exceeds the 2040 GiB limit", size)
	}
	seed := identitySeed(opt, src)
	if opt.VHDFixed {
		return writeVHDFixed(w, src, opt, seed)
	}
	m, err := scanUnits(src, vhdBlock)
	if err != nil {
		return err
	}
	nBlocks := ceilDiv(size, vhdBlock)
	batBytes := ceilDiv(nBlocks*4, 512) * 512
	// On a regular file, zero runs inside blocks become holes (as qemu-img leaves them) rather
	// than written zeros; on a stream they are written.
	out, err := newRawOut(w)
	if err != nil {
		return err
	}
	footer := vhdFooter(size, vhdTypeDynamic, 512, seed)
	be := binary.BigEndian

	dyn := make([]byte, 1024)
	copy(dyn, vhdDynCookie)
	be.PutUint64(dyn[8:], ^uint64(0))
	be.PutUint64(dyn[16:], 1536)
	be.PutUint32(dyn[24:], 0x00010000)
	be.PutUint32(dyn[28:], uint32(nBlocks))
	be.PutUint32(dyn[32:], vhdBlock)
	be.PutUint32(dyn[36:], vhdChecksum(dyn, 36))

	bat := make([]byte, batBytes)
	for i := int64(0); i < nBlocks; i++ {
		be.PutUint32(bat[i*4:], vhdUnallocated)
	}
	sector := (1536 + batBytes) / 512
	_ = m.each(func(i int64) error {
		be.PutUint32(bat[i*4:], uint32(sector))
		sector += (vhdBitmap + vhdBlock) / 512
		return nil
	})
	for _, b := range [][]byte{footer, dyn, bat} {
		if err := out.data(b); err != nil {
			return err
		}
	}

	// Each block: its sector bitmap, then its data read in chunks one ahead of the writes.
	prog := newProgress(opt.Progress, src)
	bitmap := bytes.Repeat([]byte{0xff}, vhdBitmap)
	var chunks []Extent
	_ = m.each(func(i int64) error {
		for off := i * vhdBlock; off < (i+1)*vhdBlock; off += copyChunk {
			chunks = append(chunks, Extent{Offset: off, Length: copyChunk})
		}
		return nil
	})
	err = copyChunks(src, size, chunks, 1, func(i int, data []byte) error {
		off := chunks[i].Offset
		if off%vhdBlock == 0 {
			if err := out.data(bitmap); err != nil {
				return err
			}
		}
		return out.data(data)
	}, func(end int64) { prog.reach(min(end, size)) })
	if err != nil {
		return err
	}
	if err := out.data(footer); err != nil {
		return err
	}
	if err := out.close(); err != nil {
		return err
	}
	prog.finish()
	return nil
}

func writeVHDFixed(w io.Writer, src Source, opt Options, seed uint64) error {
	return writeRawLayout(w, src, opt, vhdFooter(src.Size(), vhdTypeFixed, ^uint64(0), seed))
}

// WritePlain writes src as a plain raw disk: every byte at its offset, nothing around it (the
// layout of a fixed VHD without its footer). On a regular file zero runs become holes and the
// file ends at exactly Size; on a stream the zeros are written. It is what "convert to raw"
// means for a user; Write(…, Raw, …) writes the raw.tar.gz object ECS exports instead.
func WritePlain(w io.Writer, src Source, opt Options) error {
	return writeRawLayout(w, src, opt, nil)
}

// writeRawLayout writes src's bytes at their offsets (see WritePlain), then trailer.
func writeRawLayout(w io.Writer, src Source, opt Options, trailer []byte) error {
	out, err := newRawOut(w)
	if err != nil {
		return err
	}
	prog := newProgress(opt.Progress, src)
	if err := copyRawLayout(out, src, prog); err != nil {
		return err
	}
	if err := out.data(trailer); err != nil {
		return err
	}
	if err := out.close(); err != nil {
		return err
	}
	prog.finish()
	return nil
}

// copyRawLayout writes src's bytes to out in guest order, holes as zeros.
func copyRawLayout(out *rawOut, src Source, prog *progress) error {
	buf := make([]byte, copyChunk)
	var pos int64
	for _, e := range src.Extents() {
		if e.Offset < pos || e.End() > src.Size() || e.Length <= 0 {
			return fmt.Errorf("diskimage: source extent [%d,%d) breaks the contract", e.Offset, e.End())
		}
		if err := out.zeros(e.Offset - pos); err != nil {
			return err
		}
		for off := e.Offset; off < e.End(); {
			n := min(int64(len(buf)), e.End()-off)
			if err := readFull(src, buf[:n], off); err != nil {
				return err
			}
			if err := out.data(buf[:n]); err != nil {
				return err
			}
			off += n
			prog.reach(off)
		}
		pos = e.End()
	}
	return out.zeros(src.Size() - pos)
}

// rawOut writes a raw-layout stream. On a seekable regular file, zero runs of 64 KiB or more
// are skipped with Seek (leaving holes) and the file is truncated to length at the end; on
// anything else zeros are written.
type rawOut struct {
	bw         *bufio.Writer
	f          *os.File
	start, pos int64 // file offsets when f != nil
	pending    int64 // zero bytes skipped but not yet materialised
}

const holeUnit = 64 << 10

func newRawOut(w io.Writer) (*rawOut, error) {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if start, err := f.Seek(0, io.SeekCurrent); err == nil {
				return &rawOut{f: f, start: start, pos: start}, nil
			}
		}
	}
	return &rawOut{bw: bufio.NewWriterSize(w, 1<<20)}, nil
}

func (o *rawOut) zeros(n int64) error {
	if o.f != nil {
		o.pending += n
		return nil
	}
	for n > 0 {
		c := min(n, int64(len(zeroChunk)))
		if _, err := o.bw.Write(zeroChunk[:c]); err != nil {
			return err
		}
		n -= c
	}
	return nil
}

func (o *rawOut) data(p []byte) error {
	if o.f == nil {
		_, err := o.bw.Write(p)
		return err
	}
	for len(p) > 0 {
		n := min(len(p), holeUnit)
		if n == holeUnit && isZero(p[:n]) {
			o.pending += int64(n)
			p = p[n:]
			continue
		}
		// Find the run of non-hole units and write it in one call.
		end := n
		for end < len(p) {
			k := min(len(p)-end, holeUnit)
			if k == holeUnit && isZero(p[end:end+k]) {
				break
			}
			end += k
		}
		if o.pending > 0 {
			if _, err := o.f.Seek(o.pending, io.SeekCurrent); err != nil {
				return err
			}
			o.pos += o.pending
			o.pending = 0
		}
		if _, err := o.f.Write(p[:end]); err != nil {
			return err
		}
		o.pos += int64(end)
		p = p[end:]
	}
	return nil
}

func (o *rawOut) close() error {
	if o.f == nil {
		return o.bw.Flush()
	}
	end := o.pos + o.pending
	if err := o.f.Truncate(end); err != nil {
		return err
	}
	_, err := o.f.Seek(end, io.SeekStart)
	return err
}

// vhdImage reads a VHD.
type vhdImage struct {
	r        io.ReaderAt
	size     int64
	fixed    bool
	block    int64
	bitmap   int64
	bat      []uint32
	extents  []Extent
	problems []string
}

func (v *vhdImage) Size() int64        { return v.size }
func (v *vhdImage) Extents() []Extent  { return v.extents }
func (v *vhdImage) Format() Format     { return VHD }
func (v *vhdImage) Problems() []string { return v.problems }

func vhdErr(format string, a ...any) error { return fmt.Errorf("diskimage: vhd: "+format, a...) }

// readVHDFooter reads and validates a footer at off.
func readVHDFooter(r io.ReaderAt, off int64) ([]byte, error) {
	f := make([]byte, 512)
	if n, err := r.ReadAt(f, off); n < 512 {
		return nil, vhdErr("reading footer at %d: %v", off, err)
	}
	if !bytes.Equal(f[:8], vhdCookie) {
		return nil, vhdErr("no footer cookie at %d", off)
	}
	if got, want := binary.BigEndian.Uint32(f[64:]), vhdChecksum(f, 64); got != want {
		return nil, vhdErr("footer checksum at %d is %#x, want %#x", off, got, want)
	}
	return f, nil
}

func openVHD(r io.ReaderAt, fileSize int64) (Image, error) {
	if fileSize < 512 {
		return nil, vhdErr("file of %d bytes is too short for a footer", fileSize)
	}
	v := &vhdImage{r: r}
	footer, err := readVHDFooter(r, fileSize-512)
	if err != nil {
		// A dynamic disk keeps a copy at 0.
		copyErr := err
		if footer, copyErr = readVHDFooter(r, 0); copyErr != nil {
			return nil, err
		}
		v.problems = append(v.problems, "footer at end of file unusable ("+err.Error()+"); used the copy at offset 0")
	}
	be := binary.BigEndian
	size := be.Uint64(footer[48:])
	if size > uint64(vhdMaxSize)*2 {
		return nil, vhdErr("current size %d too large", size)
	}
	v.size = int64(size)
	switch t := be.Uint32(footer[60:]); t {
	case vhdTypeFixed:
		v.fixed = true
		if v.size > fileSize-512 {
			return nil, vhdErr("fixed disk of %d bytes in a file of %d bytes", v.size, fileSize)
		}
		if f, ok := r.(*os.File); ok {
			ext, err := fileExtents(f, v.size)
			if err != nil {
				return nil, err
			}
			v.extents = ext
		} else if v.size > 0 {
			v.extents = []Extent{{0, v.size}}
		}
		return v, nil
	case vhdTypeDynamic:
	case vhdTypeDiff:
		return nil, vhdErr("differencing disks are not supported")
	default:
		return nil, vhdErr("unknown disk type %d", t)
	}

	if head, err := readVHDFooter(r, 0); err != nil || !bytes.Equal(head, footer) {
		v.problems = append(v.problems, "footer copy at offset 0 differs from the footer")
	}
	dynOff := be.Uint64(footer[16:])
	if dynOff > uint64(fileSize) || int64(dynOff) > fileSize-1024 {
		return nil, vhdErr("dynamic header at %d beyond the file", dynOff)
	}
	dyn := make([]byte, 1024)
	if n, err := r.ReadAt(dyn, int64(dynOff)); n < len(dyn) {
		return nil, vhdErr("reading dynamic header: %v", err)
	}
	if !bytes.Equal(dyn[:8], vhdDynCookie) {
		return nil, vhdErr("no dynamic header cookie at %d", dynOff)
	}
	if got, want := be.Uint32(dyn[36:]), vhdChecksum(dyn, 36); got != want {
		return nil, vhdErr("dynamic header checksum is %#x, want %#x", got, want)
	}
	batOff := be.Uint64(dyn[16:])
	entries := int64(be.Uint32(dyn[28:]))
	v.block = int64(be.Uint32(dyn[32:]))
	if v.block < 512 || v.block > vhdMaxBlockSize || v.block&(v.block-1) != 0 {
		return nil, vhdErr("block size %d is not a power of two in 512..256 MiB", v.block)
	}
	v.bitmap = ceilDiv(v.block/512/8, 512) * 512
	need := ceilDiv(v.size, v.block)
	if entries < need {
		return nil, vhdErr("%d BAT entries cannot map %d bytes in %d-byte blocks", entries, v.size, v.block)
	}
	if need*4 > vhdMaxBATBytes {
		return nil, vhdErr("BAT of %d entries exceeds %d bytes", need, vhdMaxBATBytes)
	}
	if batOff > uint64(fileSize) || int64(batOff)+need*4 > fileSize {
		return nil, vhdErr("BAT at %d (%d entries) beyond the file of %d bytes", batOff, need, fileSize)
	}
	raw := make([]byte, need*4)
	if n, err := r.ReadAt(raw, int64(batOff)); n < len(raw) {
		return nil, vhdErr("reading BAT: %v", err)
	}
	blockSectors := (v.bitmap + v.block) / 512
	v.bat = make([]uint32, need)
	for i := range v.bat {
		s := be.Uint32(raw[i*4:])
		v.bat[i] = s
		if s == vhdUnallocated {
			continue
		}
		if int64(s)*512+v.bitmap+v.block > fileSize {
			return nil, vhdErr("block %d at sector %d beyond the end of the file", i, s)
		}
		off := int64(i) * v.block
		length := min(v.block, v.size-off)
		if n := len(v.extents); n > 0 && v.extents[n-1].End() == off {
			v.extents[n-1].Length += length
		} else {
			v.extents = append(v.extents, Extent{off, length})
		}
	}
	if err := checkVHDLayout(v.bat, blockSectors, fileSize, int64(dynOff), int64(batOff), need*4); err != nil {
		return nil, err
	}
	return v, nil
}

// checkVHDLayout refuses a dynamic VHD whose blocks overlap one another or the metadata
// (footer copy, dynamic header, BAT, footer): a block referenced twice would let a small file
// map a huge allocated disk, and qemu-img check reports it too. Memory: a sorted copy of the
// allocated BAT entries.
func checkVHDLayout(bat []uint32, blockSectors, fileSize, dynOff, batOff, batBytes int64) error {
	type span struct{ lo, hi, what int64 } // bytes; what: a block index, or <0 for metadata
	metadata := []string{"the footer copy", "the dynamic header", "the BAT", "the footer"}
	spans := []span{{0, 512, -1}, {dynOff, dynOff + 1024, -2}, {batOff, batOff + batBytes, -3}, {fileSize - 512, fileSize, -4}}
	for i, s := range bat {
		if s != vhdUnallocated {
			lo := int64(s) * 512
			spans = append(spans, span{lo, lo + blockSectors*512, int64(i)})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	name := func(s span) string {
		if s.what < 0 {
			return metadata[-s.what-1]
		}
		return fmt.Sprintf("block %d", s.what)
	}
	for i := 1; i < len(spans); i++ {
		if a, b := spans[i-1], spans[i]; b.lo < a.hi {
			return vhdErr("%s at %d overlaps %s at %d (a block or table referenced twice)", name(b), b.lo, name(a), a.lo)
		}
	}
	return nil
}

func (v *vhdImage) ReadAt(p []byte, off int64) (int, error) {
	if v.fixed {
		return readClipped(v.r, v.size, p, off)
	}
	if off < 0 {
		return 0, vhdErr("negative offset %d", off)
	}
	if off >= v.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), v.size-off)
	done := int64(0)
	for done < want {
		pos := off + done
		in := pos % v.block
		n := min(v.block-in, want-done)
		s := v.bat[pos/v.block]
		if s == vhdUnallocated {
			clear(p[done : done+n])
		} else {
			at := int64(s)*512 + v.bitmap + in
			if m, err := v.r.ReadAt(p[done:done+n], at); int64(m) < n {
				if err == nil || errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return int(done) + m, vhdErr("reading block data at %d: %w", at, err)
			}
		}
		done += n
	}
	if want < int64(len(p)) {
		return int(done), io.EOF
	}
	return int(done), nil
}
