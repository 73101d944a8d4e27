package diskimage

import (
	"bufio"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// The copy pipeline every writer that copies data clusters/blocks unchanged uses: one
// goroutine reads the chunks in order (sources such as raw.tar.gz read fastest forward), at
// most a few chunks ahead, and the chunks are handed to the writing side either in order on
// the caller's goroutine (a stream) or to a few writer goroutines at once, so that several
// positioned writes are in flight (what qemu-img does with its coroutines: one write at a
// time waits on the page cache's allocation and write-back throttling, several overlap it).

// copyChunk is the read size writers use over extents.
const copyChunk = 1 << 20

// zeroChunk is a shared, never-written buffer of zeros.
var zeroChunk = make([]byte, copyChunk)

// writesInFlight is how many positioned writes a writer keeps in flight on a regular file.
const writesInFlight = 4

// copyChunks reads chunks of src in order on a second goroutine, at most a few chunks ahead,
// and hands chunk i to fn(i, data), so reading overlaps writing. Bytes of a chunk past size
// read as zeros (a last cluster stored whole), and so does a chunk outside every extent when
// src is a Source (chunks must then be in ascending order). With writers <= 1 fn runs on the
// caller's goroutine in chunk order (a stream); with more it runs on writers goroutines at
// once, in no particular order, so fn must be safe for that (a WriteAt at an offset computed
// from i). done, if not nil, is called on the caller's
// goroutine with the end of chunks[k] whenever every chunk up to k has been through fn, in
// ascending order (for progress). The first error stops the copy and is returned; fn is not
// called after it. fn must not keep data. Buffers: writers+2 chunks of the longest length.
func copyChunks(src io.ReaderAt, size int64, chunks []Extent, writers int, fn func(i int, data []byte) error, done func(end int64)) error {
	type filled struct {
		i   int
		buf []byte
		n   int64
		err error
	}
	writers = max(writers, 1)
	var longest int64
	for _, c := range chunks {
		longest = max(longest, c.Length)
	}
	depth := writers + 2
	free := make(chan []byte, depth)
	for range depth {
		free <- make([]byte, longest)
	}
	full := make(chan filled, depth)
	stop := make(chan struct{})
	// A chunk outside every extent of a Source is zeros by contract: it is not read.
	var ext []Extent
	if s, ok := src.(Source); ok {
		ext = s.Extents()
	}
	inExtent := func(c Extent) bool {
		if ext == nil {
			return true
		}
		for len(ext) > 0 && ext[0].End() <= c.Offset {
			ext = ext[1:]
		}
		return len(ext) > 0 && ext[0].Offset < c.End()
	}
	go func() {
		defer close(full)
		for i, c := range chunks {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			buf = buf[:c.Length]
			n := max(0, min(c.Length, size-c.Offset))
			var err error
			if inExtent(c) {
				err = readFull(src, buf[:n], c.Offset)
			} else {
				n = 0
			}
			clear(buf[n:])
			select {
			case full <- filled{i, buf, c.Length, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }) }
	defer func() {
		halt()
		for range full { // let the reader finish before returning its buffers' owner
		}
	}()

	if writers == 1 {
		for f := range full {
			if f.err != nil {
				return f.err
			}
			if err := fn(f.i, f.buf[:f.n]); err != nil {
				return err
			}
			free <- f.buf[:cap(f.buf)]
			if done != nil {
				done(chunks[f.i].End())
			}
		}
		return nil
	}

	type result struct {
		i   int
		err error
	}
	results := make(chan result)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for f := range full {
				err := f.err
				if err == nil && !failed.Load() {
					err = fn(f.i, f.buf[:f.n])
				}
				free <- f.buf[:cap(f.buf)]
				results <- result{f.i, err}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var first error
	finished := make(map[int]bool, depth)
	next := 0
	for r := range results {
		if r.err != nil && first == nil {
			first = r.err
			failed.Store(true)
			halt()
		}
		if first != nil {
			continue
		}
		finished[r.i] = true
		moved := false
		for finished[next] {
			delete(finished, next)
			next++
			moved = true
		}
		if moved && done != nil {
			done(chunks[next-1].End())
		}
	}
	return first
}

// imageOut returns the writers of an image with metadata and data units: fa for positioned
// writes when w is a regular file (positioned; nil otherwise) and bw, buffered with size
// bytes, writing from the image's start (through fa, or to the stream w).
func imageOut(w io.Writer, size int) (*fileAt, *bufio.Writer) {
	fa := positioned(w)
	if fa != nil {
		return fa, bufio.NewWriterSize(io.NewOffsetWriter(fa, 0), size)
	}
	return nil, bufio.NewWriterSize(w, size)
}

// copyRuns copies the units of runs (unit bytes each, in guest order) from src to consecutive
// places of the output from dataOff on, at most perChunk units a read (copyChunks): to fa at
// their offsets with writesInFlight writers when the output is a regular file, else to bw in
// order (bw must then hold everything before dataOff). It reports progress to prog and
// returns the output offset after the last unit.
func copyRuns(src Source, size int64, runs []unitRun, unit, perChunk, dataOff int64, fa *fileAt, bw io.Writer, prog *progress) (int64, error) {
	var chunks []Extent
	var at []int64 // output offset of each chunk
	pos := dataOff
	for _, r := range runs {
		for i := r.first; i < r.first+r.n; {
			k := min(r.first+r.n-i, perChunk)
			chunks = append(chunks, Extent{Offset: i * unit, Length: k * unit})
			at = append(at, pos)
			pos += k * unit
			i += k
		}
	}
	writers := 1
	put := func(i int, data []byte) error {
		_, err := bw.Write(data)
		return err
	}
	if fa != nil {
		writers = writesInFlight
		put = func(i int, data []byte) error {
			_, err := fa.WriteAt(data, at[i])
			return err
		}
	}
	return pos, copyChunks(src, size, chunks, writers, put, func(end int64) { prog.reach(min(end, size)) })
}

// fileAt is a regular file taking positioned writes at offsets relative to where its offset
// stood when the writer started (so a writer may start in the middle of a file, as a stream).
type fileAt struct {
	f    *os.File
	base int64
}

// positioned returns w as a fileAt when it is an *os.File on a regular file that accepts
// WriteAt (not opened with O_APPEND), nil otherwise: writers then stream.
func positioned(w io.Writer) *fileAt {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	base, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil
	}
	if _, err := f.WriteAt(nil, base); err != nil {
		return nil
	}
	return &fileAt{f: f, base: base}
}

func (o *fileAt) WriteAt(p []byte, off int64) (int, error) { return o.f.WriteAt(p, o.base+off) }

// end leaves the file's offset at off, where a stream writer would have left it.
func (o *fileAt) end(off int64) error {
	_, err := o.f.Seek(o.base+off, io.SeekStart)
	return err
}
