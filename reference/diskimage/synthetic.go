package diskimage

import (
	"encoding/binary"
	"io"
	"sort"
)

// Synthetic is a deterministic sparse disk: its extents hold pseudo-random bytes derived from
// a seed and the byte offset, everything else is zero. It costs no memory whatever its size,
// and any range can be read in any order, so it serves as the content of emulated images and
// as the source of round-trip tests.
type Synthetic struct {
	size    int64
	extents []Extent
	seed    uint64
}

// NewSynthetic returns a disk of the given size whose data lies in extents (clipped to size,
// sorted and merged here, so callers may pass them in any order).
func NewSynthetic(size int64, extents []Extent, seed int64) *Synthetic {
	var clean []Extent
	for _, e := range extents {
		if e.Offset < 0 {
			e.Length += e.Offset
			e.Offset = 0
		}
		if e.End() > size {
			e.Length = size - e.Offset
		}
		if e.Length > 0 {
			clean = append(clean, e)
		}
	}
	sort.Slice(clean, func(i, j int) bool { return clean[i].Offset < clean[j].Offset })
	var merged []Extent
	for _, e := range clean {
		if n := len(merged); n > 0 && e.Offset <= merged[n-1].End() {
			if e.End() > merged[n-1].End() {
				merged[n-1].Length = e.End() - merged[n-1].Offset
			}
			continue
		}
		merged = append(merged, e)
	}
	return &Synthetic{size: size, extents: merged, seed: uint64(seed)}
}

// Size is the virtual size in bytes.
func (s *Synthetic) Size() int64 { return s.size }

// Extents are where the data lies.
func (s *Synthetic) Extents() []Extent { return s.extents }

// ReadAt fills p with the disk's bytes at off.
func (s *Synthetic) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if off >= s.size {
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if int64(n) > s.size-off {
		n = int(s.size - off)
		err = io.EOF
	}
	clear(p[:n])
	i := sort.Search(len(s.extents), func(i int) bool { return s.extents[i].End() > off })
	for ; i < len(s.extents) && s.extents[i].Offset < off+int64(n); i++ {
		e := s.extents[i]
		from, to := max(e.Offset, off), min(e.End(), off+int64(n))
		s.fill(p[from-off:to-off], from)
	}
	return n, err
}

// fill writes the pattern for [at, at+len(p)): each aligned 8-byte word is a hash of the seed
// and its offset, so a byte's value depends only on its position.
func (s *Synthetic) fill(p []byte, at int64) {
	var word [8]byte
	for len(p) > 0 {
		base := at &^ 7
		binary.LittleEndian.PutUint64(word[:], mix(s.seed^uint64(base)))
		c := copy(p, word[at-base:])
		p, at = p[c:], at+int64(c)
	}
}

// mix is splitmix64's finaliser: a cheap, well-spread hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
