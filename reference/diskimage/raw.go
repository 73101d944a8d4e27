package diskimage

// raw: the object real ECS exports, <name>.raw.tar.gz — a gzip-compressed tar holding the raw
// disk as one file. (Plain raw files are read too, by openPlainRaw in diskimage.go.)
//
// Decisions:
//   - The tar entry is a PAX 1.0 sparse file (GNU.sparse.major=1, minor=0, name, realsize; the
//     sparse map as decimal lines at the head of the data block), as `tar --sparse --format=pax`
//     writes it. GNU tar and bsdtar restore the holes, and a 500 GiB disk with 1 GiB of data
//     costs 1 GiB of work. archive/tar cannot write sparse entries, so the headers are built here.
//     A pre-pass finds the non-zero 64 KiB units; only those are stored (the map's segments).
//     A disk ending in a hole gets a final zero-length map entry at its size, as GNU tar does.
//   - Any byte size is kept: tar is byte-granular (the sector rule applies to the other formats).
//   - gzip at BestSpeed, cut into independent 1 MiB-input members compressed in parallel
//     (Options.Workers) and written in order. Concatenated members are one valid gzip stream
//     (RFC 1952 §2.2) that gzip, GNU tar and compress/gzip read as usual. The cost: about
//     20 bytes per MiB and a slightly worse ratio than one stream; the gain: linear speed-up
//     with cores, bounded memory (≈ 3 × Workers MiB), and member boundaries the reader can
//     seek to.
//
// Reader: opening parses the tar headers and the sparse map, and decompresses the entry once
// to the end of its data (verifying each member's CRC) while recording a checkpoint at each
// gzip member start, at most one per MiB of tar stream. ReadAt decompresses forward from the
// nearest checkpoint at or before the wanted byte, or continues the previous read when that is
// nearer. For our own files a random read costs at most ~1 MiB of inflation; for single-member
// archives (plain `tar | gzip`) a backward read restarts from the beginning, so read those
// sequentially. Memory: the sparse map (≤ 1 Mi segments) plus ~16 bytes per checkpoint.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

const (
	tarBlock          = 512
	rawUnit           = 64 << 10
	gzipMemberSize    = 1 << 20
	rawMaxSegments    = 1 << 20
	rawMaxPaxBytes    = 1 << 20
	rawMaxVirtual     = int64(1) << 56
	rawCheckpointStep = 1 << 20
)

func writeRaw(w io.Writer, src Source, opt Options) error {
	size := src.Size()
	m, err := scanUnits(src, rawUnit)
	if err != nil {
		return err
	}
	var segs []Extent
	for _, r := range m.runs {
		off := r.first * rawUnit
		segs = append(segs, Extent{off, min(r.n*rawUnit, size-off)})
	}
	var mp strings.Builder
	entries := len(segs)
	if entries == 0 || segs[entries-1].End() < size {
		entries++
	}
	fmt.Fprintf(&mp, "%d\n", entries)
	var dataBytes int64
	for _, s := range segs {
		fmt.Fprintf(&mp, "%d\n%d\n", s.Offset, s.Length)
		dataBytes += s.Length
	}
	if entries > len(segs) {
		fmt.Fprintf(&mp, "%d\n0\n", size)
	}
	mapBlock := padTar([]byte(mp.String()))
	entrySize := int64(len(mapBlock)) + dataBytes

	name := opt.diskName()
	mtime := int64(1577836800) + int64(mix(identitySeed(opt, src))%(10*365*86400))
	pax := paxRecords([][2]string{
		{"GNU.sparse.major", "1"},
		{"GNU.sparse.minor", "0"},
		{"GNU.sparse.name", name},
		{"GNU.sparse.realsize", strconv.FormatInt(size, 10)},
		{"size", strconv.FormatInt(entrySize, 10)},
	})

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	gz := newParallelGzip(w, workers)
	write := func(p []byte) error {
		_, err := gz.Write(p)
		return err
	}
	steps := [][]byte{
		tarHeader("./PaxHeaders/"+name, 'x', int64(len(pax)), mtime),
		padTar(pax),
		tarHeader("./GNUSparseFile.0/"+name, '0', entrySize, mtime),
		mapBlock,
	}
	for _, b := range steps {
		if err := write(b); err != nil {
			gz.abort()
			return err
		}
	}
	prog := newProgress(opt.Progress, src)
	buf := make([]byte, copyChunk)
	for _, s := range segs {
		for off := s.Offset; off < s.End(); {
			n := min(int64(len(buf)), s.End()-off)
			if err := readFull(src, buf[:n], off); err != nil {
				gz.abort()
				return err
			}
			if err := write(buf[:n]); err != nil {
				gz.abort()
				return err
			}
			off += n
			prog.reach(off)
		}
	}
	// Pad the entry, then the end-of-archive marker: two zero blocks.
	tail := int64(tarBlock-dataBytes%tarBlock) % tarBlock
	if err := write(make([]byte, tail+2*tarBlock)); err != nil {
		gz.abort()
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	prog.finish()
	return nil
}

// padTar pads b with zeros to a whole number of tar blocks.
func padTar(b []byte) []byte {
	if r := len(b) % tarBlock; r != 0 {
		b = append(b, make([]byte, tarBlock-r)...)
	}
	return b
}

// paxRecords encodes PAX extended-header records: "<len> <key>=<value>\n", where len counts
// the whole record including its own digits.
func paxRecords(kv [][2]string) []byte {
	var b []byte
	for _, r := range kv {
		body := " " + r[0] + "=" + r[1] + "\n"
		n := len(body) + 1
		for len(strconv.Itoa(n))+len(body) != n {
			n++
		}
		b = append(b, strconv.Itoa(n)+body...)
	}
	return b
}

// tarHeader is a ustar header block. Names longer than 100 bytes are cut (PAX carries the real
// one); sizes at or above 8 GiB are left 0 in the octal field since a PAX "size" record follows.
func tarHeader(name string, typ byte, size, mtime int64) []byte {
	h := make([]byte, tarBlock)
	copy(h[0:100], name)
	putOctal(h[100:108], 0o644)
	putOctal(h[108:116], 0)
	putOctal(h[116:124], 0)
	if size < 1<<33 {
		putOctal(h[124:136], size)
	} else {
		putOctal(h[124:136], 0)
	}
	putOctal(h[136:148], mtime)
	h[156] = typ
	copy(h[257:], "ustar\x0000")
	for i := 148; i < 156; i++ {
		h[i] = ' '
	}
	var sum int64
	for _, c := range h {
		sum += int64(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

func putOctal(b []byte, v int64) {
	s := strconv.FormatInt(v, 8)
	for len(s) < len(b)-1 {
		s = "0" + s
	}
	copy(b, s)
	b[len(b)-1] = 0
}

// parallelGzip compresses fixed-size input blocks as independent gzip members on several
// goroutines and writes the members to w in input order.
type parallelGzip struct {
	w      io.Writer
	cur    *gzJob
	jobs   chan *gzJob // to the compressors
	order  chan *gzJob // to the writer, in input order
	free   chan *gzJob
	done   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	closed bool
}

type gzJob struct {
	in    []byte
	out   bytes.Buffer
	ready chan struct{}
}

func newParallelGzip(w io.Writer, workers int) *parallelGzip {
	z := &parallelGzip{
		w:     w,
		jobs:  make(chan *gzJob, workers),
		order: make(chan *gzJob, 2*workers),
		free:  make(chan *gzJob, 3*workers+1),
		done:  make(chan struct{}),
	}
	for range 3*workers + 1 {
		z.free <- &gzJob{in: make([]byte, 0, gzipMemberSize)}
	}
	for range workers {
		z.wg.Add(1)
		go z.compress()
	}
	go z.drain()
	return z
}

func (z *parallelGzip) compress() {
	defer z.wg.Done()
	gw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	for j := range z.jobs {
		j.out.Reset()
		gw.Reset(&j.out)
		_, _ = gw.Write(j.in) // writes to a bytes.Buffer cannot fail
		_ = gw.Close()
		close(j.ready)
	}
}

func (z *parallelGzip) drain() {
	defer close(z.done)
	for j := range z.order {
		<-j.ready
		if z.error() == nil {
			if _, err := z.w.Write(j.out.Bytes()); err != nil {
				z.setError(err)
			}
		}
		j.in = j.in[:0]
		z.free <- j
	}
}

func (z *parallelGzip) error() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.err
}

func (z *parallelGzip) setError(err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.err == nil {
		z.err = err
	}
}

func (z *parallelGzip) submit() {
	j := z.cur
	z.cur = nil
	j.ready = make(chan struct{})
	z.order <- j
	z.jobs <- j
}

func (z *parallelGzip) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if err := z.error(); err != nil {
			return total - len(p), err
		}
		if z.cur == nil {
			z.cur = <-z.free
		}
		n := min(len(p), gzipMemberSize-len(z.cur.in))
		z.cur.in = append(z.cur.in, p[:n]...)
		p = p[n:]
		if len(z.cur.in) == gzipMemberSize {
			z.submit()
		}
	}
	return total, z.error()
}

// Close compresses what is buffered, waits for every member to be written, and returns the
// first write error.
func (z *parallelGzip) Close() error {
	if z.closed {
		return z.error()
	}
	z.closed = true
	if z.cur != nil && len(z.cur.in) > 0 {
		z.submit()
	}
	close(z.jobs)
	close(z.order)
	z.wg.Wait()
	<-z.done
	return z.error()
}

// abort stops the goroutines after a failure elsewhere; nothing more reaches w.
func (z *parallelGzip) abort() {
	z.setError(errors.New("diskimage: aborted"))
	_ = z.Close()
}

// rawTarImage reads a raw.tar.gz.
type rawTarImage struct {
	r         io.ReaderAt
	fileSize  int64
	size      int64
	segs      []Extent // sparse map: guest ranges stored in order
	segStart  []int64  // tar-stream offset of each segment's bytes
	extents   []Extent
	checks    []gzCheckpoint
	dataStart int64

	mu  sync.Mutex
	cur *gzCursor
}

type gzCheckpoint struct{ coff, uoff int64 } // compressed and uncompressed offsets of a member start

func (t *rawTarImage) Size() int64       { return t.size }
func (t *rawTarImage) Extents() []Extent { return t.extents }
func (t *rawTarImage) Format() Format    { return Raw }

func rawErr(format string, a ...any) error {
	return fmt.Errorf("diskimage: raw.tar.gz: "+format, a...)
}

// countingReader counts the bytes consumed through it; it is an io.ByteReader, so
// compress/gzip reads exactly one member's bytes from it and no further.
type countingReader struct {
	br *bufio.Reader
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.br.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.br.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// memberStream is the uncompressed tar stream, read member by member so member starts can be
// recorded as checkpoints.
type memberStream struct {
	cr     *countingReader
	zr     *gzip.Reader
	uoff   int64
	checks []gzCheckpoint
	eof    bool
}

func newMemberStream(r io.ReaderAt, size int64) (*memberStream, error) {
	s := &memberStream{cr: &countingReader{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10)}}
	s.checks = append(s.checks, gzCheckpoint{0, 0})
	zr, err := gzip.NewReader(s.cr)
	if err != nil {
		return nil, rawErr("%v", err)
	}
	zr.Multistream(false)
	s.zr = zr
	return s, nil
}

func (s *memberStream) Read(p []byte) (int, error) {
	for {
		if s.eof {
			return 0, io.EOF
		}
		n, err := s.zr.Read(p)
		s.uoff += int64(n)
		if err == io.EOF {
			coff := s.cr.n
			if _, perr := s.cr.br.Peek(1); perr != nil {
				s.eof = true
			} else if err := s.zr.Reset(s.cr); err != nil {
				return n, rawErr("gzip member at %d: %v", coff, err)
			} else {
				s.zr.Multistream(false)
				if last := s.checks[len(s.checks)-1]; s.uoff-last.uoff >= rawCheckpointStep {
					s.checks = append(s.checks, gzCheckpoint{coff, s.uoff})
				}
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, rawErr("%v", err)
		}
		return n, nil
	}
}

func openRawTarGz(r io.ReaderAt, fileSize int64) (Image, error) {
	s, err := newMemberStream(r, fileSize)
	if err != nil {
		return nil, err
	}
	t := &rawTarImage{r: r, fileSize: fileSize}
	var pos int64 // tar-stream offset
	block := make([]byte, tarBlock)
	readN := func(p []byte) error {
		_, err := io.ReadFull(s, p)
		pos += int64(len(p))
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return rawErr("truncated tar stream at %d", pos)
		}
		return err
	}
	skip := func(n int64) error {
		c, err := io.CopyN(io.Discard, s, n)
		pos += c
		if err != nil {
			return rawErr("truncated tar stream at %d: %v", pos, err)
		}
		return nil
	}
	pax := map[string]string{}
	for {
		if err := readN(block); err != nil {
			return nil, err
		}
		if isZero(block) {
			return nil, rawErr("no disk file in the archive")
		}
		if err := checkTarSum(block); err != nil {
			return nil, err
		}
		size, err := parseTarNumber(block[124:136])
		if err != nil {
			return nil, err
		}
		typ := block[156]
		if v, ok := pax["size"]; ok && (typ == '0' || typ == 0) {
			if size, err = strconv.ParseInt(v, 10, 64); err != nil || size < 0 {
				return nil, rawErr("bad PAX size %q", v)
			}
		}
		padded := (size + tarBlock - 1) / tarBlock * tarBlock
		switch typ {
		case 'x':
			if size > rawMaxPaxBytes {
				return nil, rawErr("PAX header of %d bytes", size)
			}
			b := make([]byte, padded)
			if err := readN(b); err != nil {
				return nil, err
			}
			if pax, err = parsePax(b[:size]); err != nil {
				return nil, err
			}
			continue
		case '0', 0:
			return t.finishOpen(s, pax, size, pos, skip)
		case 'S':
			return nil, rawErr("old GNU sparse entries are not supported; use PAX 1.0 sparse")
		default: // directories, global headers, long names: not the disk
			pax = map[string]string{}
			if err := skip(padded); err != nil {
				return nil, err
			}
		}
	}
}

// finishOpen reads the disk entry whose data starts at tar-stream offset pos.
func (t *rawTarImage) finishOpen(s *memberStream, pax map[string]string, size, pos int64, skip func(int64) error) (Image, error) {
	major, sparse := pax["GNU.sparse.major"]
	if _, old := pax["GNU.sparse.map"]; old || (sparse && (major != "1" || pax["GNU.sparse.minor"] != "0")) {
		return nil, rawErr("only PAX 1.0 sparse entries are supported")
	}
	if !sparse {
		if size > rawMaxVirtual {
			return nil, rawErr("entry of %d bytes too large", size)
		}
		t.size = size
		if size > 0 {
			t.segs = []Extent{{0, size}}
			t.segStart = []int64{pos}
			t.extents = []Extent{{0, size}}
		}
	} else {
		real, err := strconv.ParseInt(pax["GNU.sparse.realsize"], 10, 64)
		if err != nil || real < 0 || real > rawMaxVirtual {
			return nil, rawErr("bad GNU.sparse.realsize %q", pax["GNU.sparse.realsize"])
		}
		t.size = real
		// The map is decimal lines in whole 512-byte blocks at the head of the entry's data.
		var (
			nums    []int64 // parsed so far: count, then offset/length pairs
			v       int64
			digits  int
			block   = make([]byte, tarBlock)
			mapSize int64
		)
		for need := int64(1); int64(len(nums)) < need; {
			if mapSize+tarBlock > size {
				return nil, rawErr("truncated sparse map")
			}
			if _, err := io.ReadFull(s, block); err != nil {
				return nil, rawErr("truncated sparse map: %v", err)
			}
			mapSize += tarBlock
			for _, c := range block {
				if int64(len(nums)) == need {
					break
				}
				switch {
				case c == '\n' && digits > 0:
					nums = append(nums, v)
					v, digits = 0, 0
					if len(nums) == 1 {
						if v := nums[0]; v > rawMaxSegments {
							return nil, rawErr("sparse map of %d entries exceeds %d", v, rawMaxSegments)
						}
						need = 1 + 2*nums[0]
					}
				case c >= '0' && c <= '9' && digits < 18:
					v = v*10 + int64(c-'0')
					digits++
				default:
					return nil, rawErr("bad sparse map")
				}
			}
		}
		var data, prevEnd int64
		for i := 1; i+1 < len(nums); i += 2 {
			e := Extent{nums[i], nums[i+1]}
			if e.Offset < prevEnd || e.End() > real || e.End() < e.Offset {
				return nil, rawErr("sparse map entry [%d,+%d) out of order or past the size %d", e.Offset, e.Length, real)
			}
			prevEnd = e.End()
			if e.Length > 0 {
				t.segs = append(t.segs, e)
				data += e.Length
			}
		}
		if mapSize+data > size {
			return nil, rawErr("sparse data (%d bytes) overflows the entry (%d bytes)", mapSize+data, size)
		}
		at := pos + mapSize
		for _, e := range t.segs {
			t.segStart = append(t.segStart, at)
			at += e.Length
		}
		t.extents = mergeExtents(append([]Extent(nil), t.segs...))
		// Decompress to the end of the data: checks the CRCs and records the checkpoints.
		if err := skip(data); err != nil {
			return nil, err
		}
		t.checks = s.checks
		return t, nil
	}
	if err := skip(size); err != nil {
		return nil, err
	}
	t.checks = s.checks
	return t, nil
}

func checkTarSum(h []byte) error {
	want, err := parseTarNumber(h[148:156])
	if err != nil {
		return err
	}
	var sum int64
	for i, c := range h {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	if sum != want {
		return rawErr("tar header checksum %d, want %d", want, sum)
	}
	return nil
}

// parseTarNumber reads an octal (NUL/space terminated) or base-256 tar number.
func parseTarNumber(b []byte) (int64, error) {
	if len(b) > 0 && b[0]&0x80 != 0 {
		if b[0] != 0x80 || len(b) > 9 && !isZero(b[1:len(b)-8]) {
			return 0, rawErr("tar number out of range")
		}
		var v int64
		for _, c := range b[len(b)-8:] {
			v = v<<8 | int64(c)
		}
		if v < 0 {
			return 0, rawErr("tar number out of range")
		}
		return v, nil
	}
	s := strings.Trim(string(b), " \x00")
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 8, 64)
	if err != nil || v < 0 {
		return 0, rawErr("bad tar number %q", b)
	}
	return v, nil
}

func parsePax(b []byte) (map[string]string, error) {
	m := map[string]string{}
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		if sp <= 0 {
			return nil, rawErr("bad PAX record")
		}
		n, err := strconv.Atoi(string(b[:sp]))
		if err != nil || n <= sp+1 || n > len(b) || b[n-1] != '\n' {
			return nil, rawErr("bad PAX record length")
		}
		kv := string(b[sp+1 : n-1])
		eq := strings.IndexByte(kv, '=')
		if eq <= 0 {
			return nil, rawErr("bad PAX record %q", kv)
		}
		m[kv[:eq]] = kv[eq+1:]
		b = b[n:]
	}
	return m, nil
}

// gzCursor is a position in the uncompressed tar stream.
type gzCursor struct {
	zr  *gzip.Reader
	pos int64
}

func (t *rawTarImage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, rawErr("negative offset %d", off)
	}
	if off >= t.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), t.size-off)
	clear(p[:want])
	t.mu.Lock()
	defer t.mu.Unlock()
	i := firstEnding(t.segs, off)
	for ; i < len(t.segs) && t.segs[i].Offset < off+want; i++ {
		e := t.segs[i]
		from, to := max(e.Offset, off), min(e.End(), off+want)
		if err := t.stream(p[from-off:to-off], t.segStart[i]+from-e.Offset); err != nil {
			return 0, err
		}
	}
	if want < int64(len(p)) {
		return int(want), io.EOF
	}
	return int(want), nil
}

// firstEnding is the index of the first extent ending after off.
func firstEnding(ext []Extent, off int64) int {
	lo, hi := 0, len(ext)
	for lo < hi {
		m := (lo + hi) / 2
		if ext[m].End() > off {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// stream fills p from the uncompressed tar stream at offset at. Caller holds t.mu.
func (t *rawTarImage) stream(p []byte, at int64) error {
	c := t.checks[0]
	for _, k := range t.checks {
		if k.uoff > at {
			break
		}
		c = k
	}
	if t.cur == nil || t.cur.pos > at || c.uoff > t.cur.pos {
		zr, err := gzip.NewReader(io.NewSectionReader(t.r, c.coff, t.fileSize-c.coff))
		if err != nil {
			return rawErr("reopening at %d: %v", c.coff, err)
		}
		t.cur = &gzCursor{zr: zr, pos: c.uoff}
	}
	if gap := at - t.cur.pos; gap > 0 {
		n, err := io.CopyN(io.Discard, t.cur.zr, gap)
		t.cur.pos += n
		if err != nil {
			t.cur = nil
			return rawErr("seeking in the stream: %v", err)
		}
	}
	n, err := io.ReadFull(t.cur.zr, p)
	t.cur.pos += int64(n)
	if err != nil {
		t.cur = nil
		return rawErr("reading the stream at %d: %v", at, err)
	}
	return nil
}
