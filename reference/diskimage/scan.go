package diskimage

// Scanning a source before writing: which allocation units (clusters, blocks) hold data,
// kept as runs so that memory follows the data's shape, never the virtual size; and the
// extent lists readers build.

import (
	"fmt"
	"io"
)

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
