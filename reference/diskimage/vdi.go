package diskimage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// VDI (VirtualBox; formats.md §2.5). The writer emits a dynamic image the way VirtualBox
// lays it out: header (version 1.1, cbHeader 0x180) | block map at 0x200 | pad to a 1 MiB
// aligned data area | allocated 1 MiB blocks in guest order, numbered 0, 1, 2, ....
// All-zero blocks stay unallocated. The map must precede the data, so the writer first scans
// the source's extents for non-zero blocks (stopping at the first non-zero piece of a block).
const (
	vdiSignature  = 0xbeda107f
	vdiVersion    = 0x00010001 // 1.1, the only version qemu opens
	vdiHeaderSize = 0x180
	vdiDynamic    = 1
	vdiFixed      = 2
	vdiBlockSize  = 1 << 20
	vdiMapOffset  = 0x200
	vdiDataAlign  = 1 << 20
	vdiBlockFree  = 0xFFFFFFFF
	vdiBlockZero  = 0xFFFFFFFE
	// vdiMaxBlocks bounds the block map the reader loads (32 MiB) and so the virtual size
	// both sides accept: 8 TiB.
	vdiMaxBlocks = 8 << 20
	// vdiScanPiece is how much of a block the allocation pre-pass reads at a time; data
	// blocks usually stop it after the first piece.
	vdiScanPiece = 64 << 10
)

// vdiUUID derives a version-4 UUID from seed and salt, returned in the GUID byte order
// VirtualBox stores (the first three fields little-endian).
func vdiUUID(seed, salt uint64) [16]byte {
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:], mix(seed^salt))
	binary.BigEndian.PutUint64(u[8:], mix(seed+salt*0x9e3779b97f4a7c15))
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	u[0], u[1], u[2], u[3] = u[3], u[2], u[1], u[0]
	u[4], u[5] = u[5], u[4]
	u[6], u[7] = u[7], u[6]
	return u
}

// vdiScan finds the non-zero 1 MiB blocks among those src's extents touch.
func vdiScan(src Source, exts []Extent) (*unitMap, error) {
	m := &unitMap{unit: vdiBlockSize}
	buf := make([]byte, vdiScanPiece)
	size := src.Size()
	walk := unitWalk{ext: exts, unit: vdiBlockSize}
	for {
		b, ok := walk.next()
		if !ok {
			return m, nil
		}
		for off, end := b*vdiBlockSize, min((b+1)*vdiBlockSize, size); off < end; {
			n := min(int64(len(buf)), end-off)
			if err := readFull(src, buf[:n], off); err != nil {
				return nil, err
			}
			if !isZero(buf[:n]) {
				m.add(b)
				break
			}
			off += n
		}
	}
}

// writeVDI writes src as a dynamic VDI.
func writeVDI(w io.Writer, src Source, opt Options) error {
	size := src.Size()
	if size < 0 || size%SectorSize != 0 {
		return fmt.Errorf("%w: %d", ErrUnalignedSize, size)
	}
	nBlocks := (size + vdiBlockSize - 1) / vdiBlockSize
	if nBlocks > vdiMaxBlocks {
		return fmt.Errorf("diskimage: vdi: size %d is too large (limit %d bytes)", size, int64(vdiMaxBlocks)*vdiBlockSize)
	}
	exts := src.Extents()
	if err := checkExtents(VDI, exts, size); err != nil {
		return err
	}
	alloc, err := vdiScan(src, exts)
	if err != nil {
		return fmt.Errorf("diskimage: vdi: %w", err)
	}
	offData := (vdiMapOffset + 4*nBlocks + vdiDataAlign - 1) / vdiDataAlign * vdiDataAlign

	// On a regular file the header and block map are written from offset 0 and the blocks by
	// writesInFlight positioned writes at once; on anything else everything is one stream.
	fa, bw := imageOut(w, 256<<10)
	wrap := func(err error) error { return fmt.Errorf("diskimage: vdi: %w", err) }

	hdr := make([]byte, vdiMapOffset)
	le := binary.LittleEndian
	copy(hdr, "<<< Oracle VM VirtualBox Disk Image >>>\n")
	le.PutUint32(hdr[0x40:], vdiSignature)
	le.PutUint32(hdr[0x44:], vdiVersion)
	le.PutUint32(hdr[0x48:], vdiHeaderSize)
	le.PutUint32(hdr[0x4C:], vdiDynamic)
	le.PutUint32(hdr[0x154:], vdiMapOffset)
	le.PutUint32(hdr[0x158:], uint32(offData))
	le.PutUint32(hdr[0x168:], SectorSize) // legacy geometry: C, H, S = 0, sector size 512
	le.PutUint64(hdr[0x170:], uint64(size))
	le.PutUint32(hdr[0x178:], vdiBlockSize)
	le.PutUint32(hdr[0x180:], uint32(nBlocks))
	le.PutUint32(hdr[0x184:], uint32(alloc.count))
	seed := identitySeed(opt, src)
	create, modify := vdiUUID(seed, 0x76646963726561), vdiUUID(seed, 0x7664696d6f64) // "vdicrea", "vdimod"
	copy(hdr[0x188:], create[:])
	copy(hdr[0x198:], modify[:])
	if _, err := bw.Write(hdr); err != nil {
		return wrap(err)
	}

	// The block map, streamed so that its memory follows the runs, not the size.
	chunk := make([]byte, 64<<10)
	fill := 0
	flush := func() error {
		_, err := bw.Write(chunk[:fill])
		fill = 0
		return err
	}
	put := func(v uint32) error {
		le.PutUint32(chunk[fill:], v)
		if fill += 4; fill == len(chunk) {
			return flush()
		}
		return nil
	}
	var b, idx int64
	for _, r := range alloc.runs {
		for ; b < r.first; b++ {
			if err := put(vdiBlockFree); err != nil {
				return wrap(err)
			}
		}
		for ; b < r.first+r.n; b++ {
			if err := put(uint32(idx)); err != nil {
				return wrap(err)
			}
			idx++
		}
	}
	for ; b < nBlocks; b++ {
		if err := put(vdiBlockFree); err != nil {
			return wrap(err)
		}
	}
	if err := flush(); err != nil {
		return wrap(err)
	}
	for pad := offData - vdiMapOffset - 4*nBlocks; pad > 0; {
		n := min(pad, int64(len(zeroChunk)))
		if _, err := bw.Write(zeroChunk[:n]); err != nil {
			return wrap(err)
		}
		pad -= n
	}

	// Blocks, in guest order from offData: the copy pipeline reads ahead of the writes.
	if err := bw.Flush(); err != nil {
		return wrap(err)
	}
	perChunk := int64(1)
	if fa != nil {
		perChunk = 2
	}
	prog := newProgress(opt.Progress, src)
	end, err := copyRuns(src, size, alloc.runs, vdiBlockSize, perChunk, offData, fa, bw, prog)
	if err == nil && fa != nil {
		err = fa.end(end)
	} else if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return wrap(err)
	}
	prog.finish()
	return nil
}

// vdiImage is a VDI read back as a disk.
type vdiImage struct {
	r        io.ReaderAt
	size     int64
	offData  int64
	bmap     []uint32
	extents  []Extent
	problems []string
}

// Problems lists what qemu-img check also reports for a vdi: block map entries naming a data
// block past the number of blocks, and a header count of allocated blocks that disagrees
// with the map. (Entries shared by two blocks are refused at open.)
func (im *vdiImage) Problems() []string { return im.problems }

// openVDI opens a dynamic or fixed VDI 1.1 with 1 MiB blocks. Input is treated as hostile:
// the block map must lie inside the file and be at most 32 MiB, every allocated block must lie
// inside the file, and no two map entries may point at the same block.
func openVDI(r io.ReaderAt, fileSize int64) (Image, error) {
	if fileSize < vdiMapOffset {
		return nil, fmt.Errorf("diskimage: vdi: file of %d bytes is too small for a header", fileSize)
	}
	h := make([]byte, vdiMapOffset)
	if err := readFull(r, h, 0); err != nil {
		return nil, fmt.Errorf("diskimage: vdi: header: %w", err)
	}
	le := binary.LittleEndian
	if le.Uint32(h[0x40:]) != vdiSignature {
		return nil, errors.New("diskimage: vdi: bad signature")
	}
	if v := le.Uint32(h[0x44:]); v != vdiVersion {
		return nil, fmt.Errorf("diskimage: vdi: unsupported version %#08x (want 1.1)", v)
	}
	if hs := le.Uint32(h[0x48:]); hs < vdiHeaderSize || hs > vdiMapOffset-0x48 {
		return nil, fmt.Errorf("diskimage: vdi: unsupported header size %#x", hs)
	}
	typ := le.Uint32(h[0x4C:])
	if typ != vdiDynamic && typ != vdiFixed {
		return nil, fmt.Errorf("diskimage: vdi: unsupported image type %d", typ)
	}
	offBlocks, offData := int64(le.Uint32(h[0x154:])), int64(le.Uint32(h[0x158:]))
	sectorSize := le.Uint32(h[0x168:])
	diskSize := le.Uint64(h[0x170:])
	blockSize, blockExtra := le.Uint32(h[0x178:]), le.Uint32(h[0x17C:])
	nBlocks := int64(le.Uint32(h[0x180:]))
	switch {
	case sectorSize != SectorSize:
		return nil, fmt.Errorf("diskimage: vdi: sector size %d, want 512", sectorSize)
	case blockSize != vdiBlockSize || blockExtra != 0:
		return nil, fmt.Errorf("diskimage: vdi: block size %d (+%d extra), want 1 MiB", blockSize, blockExtra)
	case diskSize > math.MaxInt64 || int64(diskSize) > nBlocks*vdiBlockSize:
		return nil, fmt.Errorf("diskimage: vdi: disk size %d does not fit %d blocks", diskSize, nBlocks)
	case nBlocks > vdiMaxBlocks:
		return nil, fmt.Errorf("diskimage: vdi: %d blocks exceed the limit of %d", nBlocks, vdiMaxBlocks)
	case offBlocks%SectorSize != 0 || offBlocks < vdiMapOffset:
		return nil, fmt.Errorf("diskimage: vdi: block map offset %#x is not a sector past the header", offBlocks)
	case offBlocks+4*nBlocks > fileSize:
		return nil, fmt.Errorf("diskimage: vdi: block map (%d entries at %#x) lies beyond EOF (%d bytes)", nBlocks, offBlocks, fileSize)
	case offData%SectorSize != 0 || offData < offBlocks+4*nBlocks:
		return nil, fmt.Errorf("diskimage: vdi: data offset %#x is unaligned or overlaps the block map", offData)
	}
	for _, u := range [][]byte{h[0x1A8:0x1B8], h[0x1B8:0x1C8]} {
		if !isZero(u) {
			return nil, errors.New("diskimage: vdi: differencing images (non-zero link or parent UUID) are not supported")
		}
	}
	im := &vdiImage{r: r, size: int64(diskSize), offData: offData, bmap: make([]uint32, nBlocks)}
	raw := make([]byte, min(4*nBlocks, 64<<10))
	for i := int64(0); i < nBlocks; {
		n := min(int64(len(raw))/4, nBlocks-i)
		if err := readFull(r, raw[:4*n], offBlocks+4*i); err != nil {
			return nil, fmt.Errorf("diskimage: vdi: block map: %w", err)
		}
		for k := range n {
			im.bmap[i+k] = le.Uint32(raw[4*k:])
		}
		i += n
	}
	// One bit per block the data area can hold, to catch duplicate indices.
	slots := int64(0)
	if fileSize > offData {
		slots = (fileSize - offData + vdiBlockSize - 1) / vdiBlockSize
	}
	seen := make([]uint64, (slots+63)/64)
	var ext extentList
	allocated := int64(0)
	for i, e := range im.bmap {
		if e < vdiBlockZero {
			allocated++
			if int64(e) >= nBlocks && len(im.problems) < 50 {
				im.problems = append(im.problems, fmt.Sprintf("block map entry %d names data block %d, past the %d blocks of the image", i, e, nBlocks))
			}
		}
		lo := int64(i) * vdiBlockSize
		if e >= vdiBlockZero || lo >= im.size {
			continue
		}
		hi := min(lo+vdiBlockSize, im.size)
		k := int64(e)
		if k >= slots || offData+k*vdiBlockSize+(hi-lo) > fileSize {
			return nil, fmt.Errorf("diskimage: vdi: block %d (data block %d) lies beyond EOF", i, k)
		}
		if seen[k/64]&(1<<(k%64)) != 0 {
			return nil, fmt.Errorf("diskimage: vdi: block %d reuses data block %d", i, k)
		}
		seen[k/64] |= 1 << (k % 64)
		ext.add(lo, hi, vdiBlockSize)
	}
	if want := int64(le.Uint32(h[0x184:])); want != allocated {
		im.problems = append(im.problems, fmt.Sprintf("header says %d blocks are allocated, the block map has %d", want, allocated))
	}
	im.extents = ext.ext
	return im, nil
}

func (im *vdiImage) Size() int64       { return im.size }
func (im *vdiImage) Extents() []Extent { return im.extents }
func (im *vdiImage) Format() Format    { return VDI }

func (im *vdiImage) ReadAt(p []byte, off int64) (int, error) {
	return readUnits(VDI, p, off, im.size, vdiBlockSize, func(dst []byte, b, in int64) error {
		if e := im.bmap[b]; e >= vdiBlockZero {
			clear(dst)
		} else if err := readFull(im.r, dst, im.offData+int64(e)*vdiBlockSize+in); err != nil {
			return fmt.Errorf("diskimage: vdi: block %d: %w", b, err)
		}
		return nil
	})
}
