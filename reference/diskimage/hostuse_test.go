package diskimage

import "testing"

func TestHostUse_Claim(t *testing.T) {
	var h hostUse
	steps := []struct {
		first, n int64
		want     bool
	}{
		{0, 1, true},
		{0, 1, false},
		{1, 63, true},
		{64, 200000, true},
		{63, 2, false}, // 63 is taken, 64 too
		{200064, 1, true},
		{200063, 1, false},
		{1 << 40, 4097, true},
		{1<<40 + 4096, 1, false},
	}
	for _, s := range steps {
		if got := h.claim(s.first, s.n); got != s.want {
			t.Errorf("claim(%d, %d) = %v, want %v", s.first, s.n, got, s.want)
		}
	}
	// A refused claim marks nothing.
	var g hostUse
	g.claim(10, 1)
	if g.claim(0, 20) {
		t.Fatal("overlapping claim accepted")
	}
	if !g.claim(0, 10) || !g.claim(11, 9) {
		t.Error("a refused claim left units marked")
	}
}
