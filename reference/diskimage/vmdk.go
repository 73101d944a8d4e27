package diskimage

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"runtime"
	"sync"
)

// VMDK sparse extents (VMware "Virtual Disk Format" 1.1/5.0; formats.md §2.3). The writer emits
// streamOptimized in VMware's one-pass layout:
//
//	header (gdOffset = GD_AT_END) | descriptor | pad to overHead
//	per non-zero grain: marker {lba, size} + zlib data, padded to 512; GTE = sector of the marker
//	after the grains of each 512-grain group: GT marker + GT
//	GD marker + GD | footer marker + footer (the header with the real gdOffset) | EOS marker
//
// The reader also takes qemu's streamOptimized (GD at the front, no footer) and monolithicSparse.
const (
	vmdkMagic          = 0x564d444b // "KDMV"
	vmdkGrainSectors   = 128        // 64 KiB grains
	vmdkGrainBytes     = vmdkGrainSectors * SectorSize
	vmdkGTEsPerGT      = 512 // one GT covers 32 MiB
	vmdkDescSectors    = 20
	vmdkOverhead       = 128 // sectors before the first grain
	vmdkGDAtEnd        = math.MaxUint64
	vmdkFlagNewline    = 1 << 0
	vmdkFlagZeroGrain  = 1 << 2
	vmdkFlagCompressed = 1 << 16
	vmdkFlagMarkers    = 1 << 17
	vmdkMarkerEOS      = 0
	vmdkMarkerGT       = 1
	vmdkMarkerGD       = 2
	vmdkMarkerFooter   = 3
	// vmdkMaxGDEntries bounds the grain directory the writer produces and the reader loads
	// (4 MiB of memory): 32 TiB of capacity at 64 KiB grains and 512 GTEs per GT. GTEs are
	// u32 sector offsets anyway, so an extent file cannot exceed 2 TiB.
	vmdkMaxGDEntries = 1 << 20
	// vmdkMaxGrainSectors bounds the grain size the reader accepts (1 MiB), and with it every
	// buffer a read allocates.
	vmdkMaxGrainSectors = 2048
)

// vmdkHeader is the SparseExtentHeader (sector 0, and the footer), little-endian and packed.
type vmdkHeader struct {
	version    uint32
	flags      uint32
	capacity   uint64 // sectors
	grainSize  uint64 // sectors
	descOffset uint64
	descSize   uint64
	gtesPerGT  uint32
	rgdOffset  uint64
	gdOffset   uint64
	overHead   uint64
	compress   uint16
}

func (h *vmdkHeader) marshal(b []byte) {
	le := binary.LittleEndian
	clear(b[:SectorSize])
	le.PutUint32(b[0:], vmdkMagic)
	le.PutUint32(b[4:], h.version)
	le.PutUint32(b[8:], h.flags)
	le.PutUint64(b[12:], h.capacity)
	le.PutUint64(b[20:], h.grainSize)
	le.PutUint64(b[28:], h.descOffset)
	le.PutUint64(b[36:], h.descSize)
	le.PutUint32(b[44:], h.gtesPerGT)
	le.PutUint64(b[48:], h.rgdOffset)
	le.PutUint64(b[56:], h.gdOffset)
	le.PutUint64(b[64:], h.overHead)
	b[72] = 0 // uncleanShutdown
	copy(b[73:77], "\n \r\n")
	le.PutUint16(b[77:], h.compress)
}

func parseVMDKHeader(b []byte) (vmdkHeader, error) {
	le := binary.LittleEndian
	if le.Uint32(b) != vmdkMagic {
		if bytes.HasPrefix(b, []byte("# Disk DescriptorFile")) {
			return vmdkHeader{}, errors.New("diskimage: vmdk: descriptor-only vmdk (separate extent files) is not supported")
		}
		return vmdkHeader{}, errors.New("diskimage: vmdk: bad magic, not a sparse vmdk extent")
	}
	return vmdkHeader{
		version:    le.Uint32(b[4:]),
		flags:      le.Uint32(b[8:]),
		capacity:   le.Uint64(b[12:]),
		grainSize:  le.Uint64(b[20:]),
		descOffset: le.Uint64(b[28:]),
		descSize:   le.Uint64(b[36:]),
		gtesPerGT:  le.Uint32(b[44:]),
		rgdOffset:  le.Uint64(b[48:]),
		gdOffset:   le.Uint64(b[56:]),
		overHead:   le.Uint64(b[64:]),
		compress:   le.Uint16(b[77:]),
	}, nil
}

// vmdkMarker writes a metadata marker sector {numSectors, size 0, type} into b (512 bytes).
func vmdkMarker(b []byte, numSectors uint64, typ uint32) []byte {
	clear(b[:SectorSize])
	binary.LittleEndian.PutUint64(b[0:], numSectors)
	binary.LittleEndian.PutUint32(b[12:], typ)
	return b[:SectorSize]
}

// vmdkDescriptor is the embedded descriptor, in the form qemu writes with adapter lsilogic.
func vmdkDescriptor(cid uint32, capacity uint64, name string) string {
	cyl := min(capacity/(255*63), 65535)
	return fmt.Sprintf(`# Disk DescriptorFile
version=1
CID=%08x
parentCID=ffffffff
createType="streamOptimized"

# Extent description
RW %d SPARSE %q

# The Disk Data Base
#DDB

ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "%d"
ddb.geometry.heads = "255"
ddb.geometry.sectors = "63"
ddb.adapterType = "lsilogic"
`, cid, capacity, name, cyl)
}

// vmdkGrainJob is one grain travelling through the compression pipeline.
type vmdkGrainJob struct {
	index int64 // grain number
	data  []byte
	out   bytes.Buffer // marker + zlib data + padding, ready to write
	zero  bool
	err   error
	done  chan struct{}
}

// run reads, zero-checks and compresses the grain, leaving the padded record in out.
func (j *vmdkGrainJob) run(src Source, zw **zlib.Writer) {
	off := j.index * vmdkGrainBytes
	n := min(int64(vmdkGrainBytes), src.Size()-off)
	data := j.data[:n]
	if j.err = readFull(src, data, off); j.err != nil {
		return
	}
	if j.zero = isZero(data); j.zero {
		return
	}
	j.out.Reset()
	var m [12]byte
	j.out.Write(m[:])
	if *zw == nil {
		*zw, j.err = zlib.NewWriterLevel(&j.out, zlib.BestSpeed)
		if j.err != nil {
			return
		}
	} else {
		(*zw).Reset(&j.out)
	}
	(*zw).Write(data) // a bytes.Buffer never fails
	(*zw).Close()
	b := j.out.Bytes()
	binary.LittleEndian.PutUint64(b[0:], uint64(j.index*vmdkGrainSectors))
	binary.LittleEndian.PutUint32(b[8:], uint32(len(b)-12))
	if pad := (SectorSize - len(b)%SectorSize) % SectorSize; pad > 0 {
		j.out.Write(zeroChunk[:pad])
	}
}

// writeVMDK writes src as a streamOptimized VMDK in VMware's layout. Grains are compressed
// (zlib, BestSpeed) on opt.Workers goroutines and written in guest order; at most a fixed
// window of grains is in flight, so memory does not depend on the disk size.
func writeVMDK(w io.Writer, src Source, opt Options) error {
	size := src.Size()
	if size < 0 || size%SectorSize != 0 {
		return fmt.Errorf("%w: %d", ErrUnalignedSize, size)
	}
	capacity := uint64(size / SectorSize)
	nGrains := (size + vmdkGrainBytes - 1) / vmdkGrainBytes
	nGroups := (nGrains + vmdkGTEsPerGT - 1) / vmdkGTEsPerGT
	if nGroups > vmdkMaxGDEntries {
		return fmt.Errorf("diskimage: vmdk: size %d is too large (limit %d bytes)", size, int64(vmdkMaxGDEntries)*vmdkGTEsPerGT*vmdkGrainBytes)
	}
	exts := src.Extents()
	if err := checkExtents(VMDK, exts, size); err != nil {
		return err
	}

	bw := bufio.NewWriterSize(w, 256<<10)
	var pos int64 // bytes written so far
	write := func(b []byte) error {
		n, err := bw.Write(b)
		pos += int64(n)
		if err != nil {
			return fmt.Errorf("diskimage: vmdk: %w", err)
		}
		return nil
	}
	sector := func() (uint32, error) {
		s := pos / SectorSize
		if s > math.MaxUint32 {
			return 0, errors.New("diskimage: vmdk: output exceeds 2 TiB, the limit of u32 sector offsets")
		}
		return uint32(s), nil
	}

	seed := identitySeed(opt, src)
	cid := uint32(mix(seed ^ 0x766d646b636964)) // "vmdkcid"
	if cid == math.MaxUint32 {
		cid--
	}
	name := opt.Name
	if name == "" {
		name = "disk.vmdk"
	}
	h := vmdkHeader{
		version: 3, flags: vmdkFlagNewline | vmdkFlagCompressed | vmdkFlagMarkers,
		capacity: capacity, grainSize: vmdkGrainSectors,
		descOffset: 1, descSize: vmdkDescSectors, gtesPerGT: vmdkGTEsPerGT,
		gdOffset: vmdkGDAtEnd, overHead: vmdkOverhead, compress: 1,
	}
	head := make([]byte, vmdkOverhead*SectorSize)
	h.marshal(head)
	desc := vmdkDescriptor(cid, capacity, name)
	if len(desc) > vmdkDescSectors*SectorSize {
		return fmt.Errorf("diskimage: vmdk: descriptor too long (%d bytes); shorten the name", len(desc))
	}
	copy(head[SectorSize:], desc)
	if err := write(head); err != nil {
		return err
	}

	gd := make([]uint32, nGroups)
	gt := make([]byte, vmdkGTEsPerGT*4)
	group := int64(-1)
	var sec [SectorSize]byte
	flushGT := func() error {
		if group < 0 {
			return nil
		}
		if err := write(vmdkMarker(sec[:], vmdkGTEsPerGT*4/SectorSize, vmdkMarkerGT)); err != nil {
			return err
		}
		s, err := sector()
		if err != nil {
			return err
		}
		gd[group] = s
		err = write(gt)
		clear(gt)
		return err
	}

	prog := newProgress(opt.Progress, src)
	emit := func(j *vmdkGrainJob) error {
		if j.err != nil {
			return j.err
		}
		prog.reach(min((j.index+1)*vmdkGrainBytes, size))
		if j.zero {
			return nil
		}
		if g := j.index / vmdkGTEsPerGT; g != group {
			if err := flushGT(); err != nil {
				return err
			}
			group = g
		}
		s, err := sector()
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(gt[(j.index%vmdkGTEsPerGT)*4:], s)
		return write(j.out.Bytes())
	}
	if err := vmdkCompressAll(src, exts, opt.Workers, emit); err != nil {
		return err
	}
	if err := flushGT(); err != nil {
		return err
	}

	gdSectors := (nGroups*4 + SectorSize - 1) / SectorSize
	if err := write(vmdkMarker(sec[:], uint64(gdSectors), vmdkMarkerGD)); err != nil {
		return err
	}
	gdSector, err := sector()
	if err != nil {
		return err
	}
	gdBytes := make([]byte, gdSectors*SectorSize)
	for i, v := range gd {
		binary.LittleEndian.PutUint32(gdBytes[i*4:], v)
	}
	if err := write(gdBytes); err != nil {
		return err
	}
	tail := make([]byte, 3*SectorSize)
	vmdkMarker(tail, 1, vmdkMarkerFooter)
	h.gdOffset = uint64(gdSector)
	h.marshal(tail[SectorSize:])
	// tail[1024:1536] stays zero: the end-of-stream marker.
	if err := write(tail); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("diskimage: vmdk: %w", err)
	}
	prog.finish()
	return nil
}

// vmdkCompressAll runs every grain touching exts through workers goroutines and hands the
// results to emit in ascending grain order, on the calling goroutine.
func vmdkCompressAll(src Source, exts []Extent, workers int, emit func(*vmdkGrainJob) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	window := 4 * workers // grains in flight: about 8 MiB with 16 workers
	jobs := make(chan *vmdkGrainJob, window)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var zw *zlib.Writer
			for j := range jobs {
				j.run(src, &zw)
				j.done <- struct{}{}
			}
		}()
	}
	defer func() {
		close(jobs) // queued jobs still finish; their done channels are buffered
		wg.Wait()
	}()

	ring := make([]*vmdkGrainJob, window)
	head, n := 0, 0
	walk := unitWalk{ext: exts, unit: vmdkGrainBytes}
	for {
		for n < window {
			g, ok := walk.next()
			if !ok {
				break
			}
			k := (head + n) % window
			j := ring[k]
			if j == nil {
				j = &vmdkGrainJob{data: make([]byte, vmdkGrainBytes), done: make(chan struct{}, 1)}
				ring[k] = j
			}
			j.index, j.zero, j.err = g, false, nil
			jobs <- j
			n++
		}
		if n == 0 {
			return nil
		}
		j := ring[head]
		<-j.done
		if err := emit(j); err != nil {
			return err
		}
		head, n = (head+1)%window, n-1
	}
}

// vmdkImage is a sparse VMDK extent read back as a disk.
type vmdkImage struct {
	r            io.ReaderAt
	fileSize     int64
	size         int64
	grainBytes   int64
	grainSectors int64
	gtes         int64
	nGrains      int64
	gd           []uint32
	compressed   bool
	markers      bool
	zeroGrains   bool
	extents      []Extent
	pool         sync.Pool // *vmdkInflater
	// used marks the file's sectors the header, grain directory, grain tables and grains
	// occupy, so that a sector referenced twice is refused (a grain shared by many table
	// entries would make a small file a huge disk). A compressed grain claims its first sector.
	used hostUse

	checkOnce sync.Once
	problems  []string
}

// openVMDK opens a hosted sparse VMDK extent: streamOptimized in VMware's layout (GD at the
// end, found through the footer) or qemu's (GD at the front), or monolithicSparse. Input is
// treated as hostile: every offset is bounds-checked and allocation stays under a few MiB.
func openVMDK(r io.ReaderAt, fileSize int64) (Image, error) {
	if fileSize < SectorSize {
		return nil, fmt.Errorf("diskimage: vmdk: file of %d bytes is too small for a header", fileSize)
	}
	buf := make([]byte, 3*SectorSize)
	if err := readFull(r, buf[:SectorSize], 0); err != nil {
		return nil, fmt.Errorf("diskimage: vmdk: header: %w", err)
	}
	h, err := parseVMDKHeader(buf)
	if err != nil {
		return nil, err
	}
	if h.gdOffset == vmdkGDAtEnd {
		// VMware's stream layout: footer marker, footer, end-of-stream marker end the file.
		if fileSize < 4*SectorSize {
			return nil, errors.New("diskimage: vmdk: grain directory at end but file too small for a footer")
		}
		if err := readFull(r, buf, fileSize-3*SectorSize); err != nil {
			return nil, fmt.Errorf("diskimage: vmdk: footer: %w", err)
		}
		le := binary.LittleEndian
		if le.Uint32(buf[8:]) != 0 || le.Uint32(buf[12:]) != vmdkMarkerFooter ||
			le.Uint64(buf[1024:]) != 0 || le.Uint32(buf[1024+8:]) != 0 || le.Uint32(buf[1024+12:]) != vmdkMarkerEOS {
			return nil, errors.New("diskimage: vmdk: grain directory at end but no footer and end-of-stream marker before EOF")
		}
		if h, err = parseVMDKHeader(buf[SectorSize:]); err != nil {
			return nil, fmt.Errorf("diskimage: vmdk: footer: %w", err)
		}
		if h.gdOffset == vmdkGDAtEnd {
			return nil, errors.New("diskimage: vmdk: footer does not give the grain directory offset")
		}
	}
	im := &vmdkImage{r: r, fileSize: fileSize}
	if err := im.setup(h); err != nil {
		return nil, err
	}
	if err := im.scan(); err != nil {
		return nil, err
	}
	return im, nil
}

func (im *vmdkImage) setup(h vmdkHeader) error {
	if h.version < 1 || h.version > 3 {
		return fmt.Errorf("diskimage: vmdk: unsupported version %d", h.version)
	}
	if h.grainSize < 8 || h.grainSize > vmdkMaxGrainSectors || bits.OnesCount64(h.grainSize) != 1 {
		return fmt.Errorf("diskimage: vmdk: grain size %d sectors is not a power of two in [8, %d]", h.grainSize, vmdkMaxGrainSectors)
	}
	if h.gtesPerGT < 1 || h.gtesPerGT > 512 {
		return fmt.Errorf("diskimage: vmdk: %d entries per grain table is outside [1, 512]", h.gtesPerGT)
	}
	if h.capacity > math.MaxInt64/SectorSize {
		return fmt.Errorf("diskimage: vmdk: capacity %d sectors is absurd", h.capacity)
	}
	switch h.compress {
	case 0:
	case 1:
		im.compressed = true
	default:
		return fmt.Errorf("diskimage: vmdk: unknown compression algorithm %d", h.compress)
	}
	im.markers = h.flags&vmdkFlagMarkers != 0
	im.zeroGrains = h.flags&vmdkFlagZeroGrain != 0
	im.size = int64(h.capacity) * SectorSize
	im.grainSectors = int64(h.grainSize)
	im.grainBytes = im.grainSectors * SectorSize
	im.gtes = int64(h.gtesPerGT)
	im.nGrains = (int64(h.capacity) + im.grainSectors - 1) / im.grainSectors
	nGroups := (im.nGrains + im.gtes - 1) / im.gtes
	if nGroups > vmdkMaxGDEntries {
		return fmt.Errorf("diskimage: vmdk: capacity %d sectors needs %d grain directory entries (limit %d)", h.capacity, nGroups, vmdkMaxGDEntries)
	}
	if h.gdOffset > uint64(im.fileSize)/SectorSize || int64(h.gdOffset)*SectorSize+nGroups*4 > im.fileSize {
		return fmt.Errorf("diskimage: vmdk: grain directory at sector %d (%d entries) lies beyond EOF (%d bytes)", h.gdOffset, nGroups, im.fileSize)
	}
	raw := make([]byte, nGroups*4)
	if err := readFull(im.r, raw, int64(h.gdOffset)*SectorSize); err != nil {
		return fmt.Errorf("diskimage: vmdk: grain directory: %w", err)
	}
	im.used.claim(0, 1)
	if !im.used.claim(int64(h.gdOffset), ceilDiv(nGroups*4, SectorSize)) {
		return fmt.Errorf("diskimage: vmdk: grain directory at sector %d overlaps the header", h.gdOffset)
	}
	im.gd = make([]uint32, nGroups)
	for i := range im.gd {
		im.gd[i] = binary.LittleEndian.Uint32(raw[i*4:])
	}
	return nil
}

// scan reads every grain table once: it checks that tables and grains lie inside the file and
// builds the extent list.
func (im *vmdkImage) scan() error {
	gt := make([]byte, im.gtes*4)
	var ext extentList
	for group, t := range im.gd {
		if t == 0 {
			continue
		}
		at := int64(t) * SectorSize
		if at+int64(len(gt)) > im.fileSize {
			return fmt.Errorf("diskimage: vmdk: grain table %d at sector %d lies beyond EOF", group, t)
		}
		if err := readFull(im.r, gt, at); err != nil {
			return fmt.Errorf("diskimage: vmdk: grain table %d: %w", group, err)
		}
		if !im.used.claim(int64(t), ceilDiv(int64(len(gt)), SectorSize)) {
			return fmt.Errorf("diskimage: vmdk: grain table %d at sector %d overlaps the header, the grain directory or another table", group, t)
		}
		for i := range im.gtes {
			g := int64(group)*im.gtes + i
			if g >= im.nGrains {
				break
			}
			e := int64(binary.LittleEndian.Uint32(gt[i*4:]))
			if e == 0 || (e == 1 && im.zeroGrains) {
				continue
			}
			lo := g * im.grainBytes
			hi := min(lo+im.grainBytes, im.size)
			need := hi - lo // an uncompressed grain must be all there
			if im.compressed {
				need = 1
				if im.markers {
					need = 12
				}
			}
			if e*SectorSize+need > im.fileSize {
				return fmt.Errorf("diskimage: vmdk: grain %d at sector %d lies beyond EOF", g, e)
			}
			if !im.used.claim(e, ceilDiv(need, SectorSize)) {
				return fmt.Errorf("diskimage: vmdk: grain %d at sector %d is referenced twice (shared with another grain or metadata)", g, e)
			}
			ext.add(lo, hi, im.grainBytes)
		}
	}
	im.extents = ext.ext
	return nil
}

func (im *vmdkImage) Size() int64       { return im.size }
func (im *vmdkImage) Extents() []Extent { return im.extents }
func (im *vmdkImage) Format() Format    { return VMDK }

// gte is the grain table entry of grain g (0 when its table is absent).
func (im *vmdkImage) gte(g int64) (int64, error) {
	t := im.gd[g/im.gtes]
	if t == 0 {
		return 0, nil
	}
	var b [4]byte
	if err := readFull(im.r, b[:], int64(t)*SectorSize+(g%im.gtes)*4); err != nil {
		return 0, fmt.Errorf("diskimage: vmdk: grain table of grain %d: %w", g, err)
	}
	return int64(binary.LittleEndian.Uint32(b[:])), nil
}

func (im *vmdkImage) ReadAt(p []byte, off int64) (int, error) {
	return readUnits(VMDK, p, off, im.size, im.grainBytes, func(dst []byte, g, in int64) error {
		e, err := im.gte(g)
		switch {
		case err != nil:
			return err
		case e == 0 || (e == 1 && im.zeroGrains):
			clear(dst)
		case im.compressed:
			return im.readCompressed(dst, g, e, in)
		default:
			if err := readFull(im.r, dst, e*SectorSize+in); err != nil {
				return fmt.Errorf("diskimage: vmdk: grain %d: %w", g, err)
			}
		}
		return nil
	})
}

// vmdkInflater holds the buffers of one compressed-grain read.
type vmdkInflater struct {
	comp []byte
	out  []byte
	br   bytes.Reader
	zr   io.ReadCloser
}

// readCompressed inflates grain g stored at sector e and copies bytes [in, in+len(dst)) of it.
// The compressed length is bounded by two grains and the inflated length by one grain.
func (im *vmdkImage) readCompressed(dst []byte, g, e, in int64) error {
	z, _ := im.pool.Get().(*vmdkInflater)
	if z == nil {
		z = &vmdkInflater{comp: make([]byte, 2*im.grainBytes), out: make([]byte, im.grainBytes+1)}
	}
	defer im.pool.Put(z)
	at := e * SectorSize
	var clen int64
	if im.markers {
		var m [12]byte
		if err := readFull(im.r, m[:], at); err != nil {
			return fmt.Errorf("diskimage: vmdk: grain %d marker: %w", g, err)
		}
		if lba := binary.LittleEndian.Uint64(m[:]); lba != uint64(g*im.grainSectors) {
			return fmt.Errorf("diskimage: vmdk: grain %d marker says lba %d, want %d", g, lba, g*im.grainSectors)
		}
		clen = int64(binary.LittleEndian.Uint32(m[8:]))
		at += 12
		if clen == 0 || clen > int64(len(z.comp)) || at+clen > im.fileSize {
			return fmt.Errorf("diskimage: vmdk: grain %d: compressed length %d is out of range", g, clen)
		}
	} else {
		clen = min(int64(len(z.comp)), im.fileSize-at)
	}
	if err := readFull(im.r, z.comp[:clen], at); err != nil {
		return fmt.Errorf("diskimage: vmdk: grain %d: %w", g, err)
	}
	z.br.Reset(z.comp[:clen])
	var err error
	if z.zr == nil {
		z.zr, err = zlib.NewReader(&z.br)
	} else {
		err = z.zr.(zlib.Resetter).Reset(&z.br, nil)
	}
	if err != nil {
		return fmt.Errorf("diskimage: vmdk: grain %d: %w", g, err)
	}
	// Read one byte more than a grain: getting it means a decompression bomb; stopping
	// short reaches the zlib trailer, so the checksum is verified.
	n, err := io.ReadFull(z.zr, z.out)
	switch {
	case n > int(im.grainBytes):
		return fmt.Errorf("diskimage: vmdk: grain %d inflates beyond %d bytes", g, im.grainBytes)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF):
		return fmt.Errorf("diskimage: vmdk: grain %d: %w", g, err)
	case int64(n) < in+int64(len(dst)):
		return fmt.Errorf("diskimage: vmdk: grain %d inflates to %d bytes, need %d", g, n, in+int64(len(dst)))
	}
	copy(dst, z.out[in:])
	return nil
}

// Problems checks what opening does not: for a streamOptimized file with markers, every
// grain's marker must name the grain's own LBA and a compressed length inside the file (the
// markers qemu-img check and VMware's tools rely on). It reads 12 bytes per allocated grain.
func (im *vmdkImage) Problems() []string {
	im.checkOnce.Do(func() {
		if !im.compressed || !im.markers {
			return
		}
		gt := make([]byte, im.gtes*4)
		for group, t := range im.gd {
			if t == 0 || readFull(im.r, gt, int64(t)*SectorSize) != nil {
				continue
			}
			for i := range im.gtes {
				g := int64(group)*im.gtes + i
				e := int64(binary.LittleEndian.Uint32(gt[i*4:]))
				if g >= im.nGrains || e == 0 || (e == 1 && im.zeroGrains) {
					continue
				}
				var m [12]byte
				if readFull(im.r, m[:], e*SectorSize) != nil {
					continue // opening checked the grain lies in the file
				}
				lba, clen := binary.LittleEndian.Uint64(m[:]), int64(binary.LittleEndian.Uint32(m[8:]))
				switch {
				case len(im.problems) >= 50:
					return
				case lba != uint64(g*im.grainSectors):
					im.problems = append(im.problems, fmt.Sprintf("grain %d at sector %d: marker says lba %d, want %d", g, e, lba, g*im.grainSectors))
				case clen == 0 || clen > 2*im.grainBytes || e*SectorSize+12+clen > im.fileSize:
					im.problems = append(im.problems, fmt.Sprintf("grain %d at sector %d: compressed length %d is out of range", g, e, clen))
				}
			}
		}
	})
	return im.problems
}
