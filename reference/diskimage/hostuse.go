package diskimage

// hostUse records which units (clusters, sectors) of an image file a reader has seen
// referenced, so that a unit referenced twice — which would let a small file expand into a
// huge allocated disk, and which qemu-img check counts as an error — is refused.
//
// Memory: one bit per unit of the file that is referenced, allocated in 4 KiB pages on
// first use; at most fileSize/unit/8 bytes (32 MiB for a 128 GiB file in 512-byte units).
type hostUse struct {
	pages map[int64]*[hostPageWords]uint64
}

const (
	hostPageWords = 512 // 4 KiB
	hostPageBits  = hostPageWords * 64
)

// claim marks units [first, first+n) used and reports false, marking nothing, when any of
// them was already used.
func (h *hostUse) claim(first, n int64) bool {
	if h.pages == nil {
		h.pages = map[int64]*[hostPageWords]uint64{}
	}
	if !h.each(first, n, func(w *uint64, mask uint64) bool { return *w&mask == 0 }) {
		return false
	}
	h.each(first, n, func(w *uint64, mask uint64) bool { *w |= mask; return true })
	return true
}

// each calls fn with every word and bit mask covering units [first, first+n), allocating
// pages as needed, and stops when fn returns false.
func (h *hostUse) each(first, n int64, fn func(w *uint64, mask uint64) bool) bool {
	for u, end := first, first+n; u < end; {
		page := h.pages[u/hostPageBits]
		if page == nil {
			page = new([hostPageWords]uint64)
			h.pages[u/hostPageBits] = page
		}
		in := u % hostPageBits
		bit := in % 64
		k := min(64-bit, end-u)
		mask := ^uint64(0)
		if k < 64 {
			mask = (uint64(1)<<k - 1) << bit
		}
		if !fn(&page[in/64], mask) {
			return false
		}
		u += k
	}
	return true
}

// has reports whether unit u is marked.
func (h *hostUse) has(u int64) bool {
	page := h.pages[u/hostPageBits]
	if page == nil {
		return false
	}
	in := u % hostPageBits
	return page[in/64]&(1<<(in%64)) != 0
}
