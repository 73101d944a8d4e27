package diskimage

import "bytes"

// FirstNonZero returns the offset of the first non-zero byte of src at or after from, or -1
// when every byte from there to src.Size() is zero. Only src's extents are read.
func FirstNonZero(src Source, from int64) (int64, error) {
	buf := make([]byte, copyChunk)
	for _, e := range src.Extents() {
		lo, hi := max(e.Offset, from), min(e.End(), src.Size())
		for off := lo; off < hi; {
			n := min(int64(len(buf)), hi-off)
			if err := readFull(src, buf[:n], off); err != nil {
				return 0, err
			}
			if !isZero(buf[:n]) {
				for i, c := range buf[:n] {
					if c != 0 {
						return off + int64(i), nil
					}
				}
			}
			off += n
		}
	}
	return -1, nil
}

// FirstDifference returns the first offset below n where a and b read differently, or -1 when
// their first n bytes are equal; n must not exceed either size. Ranges that are holes in both
// are not read.
func FirstDifference(a, b Source, n int64) (int64, error) {
	var ranges []Extent
	for _, src := range []Source{a, b} {
		for _, e := range src.Extents() {
			if e.Offset < n {
				ranges = append(ranges, Extent{e.Offset, min(e.End(), n) - e.Offset})
			}
		}
	}
	bufA, bufB := make([]byte, copyChunk), make([]byte, copyChunk)
	for _, e := range mergeExtents(ranges) {
		for off := e.Offset; off < e.End(); {
			k := min(int64(len(bufA)), e.End()-off)
			if err := readFull(a, bufA[:k], off); err != nil {
				return 0, err
			}
			if err := readFull(b, bufB[:k], off); err != nil {
				return 0, err
			}
			if !bytes.Equal(bufA[:k], bufB[:k]) {
				for i := range bufA[:k] {
					if bufA[i] != bufB[i] {
						return off + int64(i), nil
					}
				}
			}
			off += k
		}
	}
	return -1, nil
}
