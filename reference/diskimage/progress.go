package diskimage

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
