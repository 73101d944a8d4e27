package diskimage

import "testing"

func TestFirstNonZero(t *testing.T) {
	d := newMemDisk(3*mib, []Extent{{mib, 10}}, 3)
	d.ext = []Extent{{0, 3 * mib}} // an extent holding zeros around the data
	tests := []struct{ from, want int64 }{{0, mib}, {mib + 9, mib + 9}, {mib + 10, -1}, {3 * mib, -1}}
	for _, tt := range tests {
		if got, err := FirstNonZero(d, tt.from); err != nil || got != tt.want {
			t.Errorf("FirstNonZero(from %d) = %d, %v; want %d", tt.from, got, err, tt.want)
		}
	}
}

func TestFirstDifference(t *testing.T) {
	a := newMemDisk(2*mib, []Extent{{100, 5000}}, 4)
	b := newMemDisk(3*mib, []Extent{{100, 5000}}, 4)
	if got, err := FirstDifference(a, b, 2*mib); err != nil || got != -1 {
		t.Fatalf("same data: %d, %v", got, err)
	}
	b.data[4000] ^= 1
	if got, _ := FirstDifference(a, b, 2*mib); got != 4000 {
		t.Errorf("changed byte: got %d, want 4000", got)
	}
	if got, _ := FirstDifference(a, b, 4000); got != -1 {
		t.Errorf("before the change: got %d, want -1", got)
	}
	// Data in b where a has a hole is a difference too.
	b.data[4000] ^= 1
	b.data[mib+7] = 1
	b.ext = append(b.ext, Extent{mib, 8})
	if got, _ := FirstDifference(a, b, 2*mib); got != mib+7 {
		t.Errorf("data over a hole: got %d, want %d", got, mib+7)
	}
}
