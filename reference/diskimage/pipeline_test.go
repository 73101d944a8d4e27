package diskimage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// A writer given a regular file (positioned writes, several in flight, holes) writes the
// same bytes as it streams to a plain io.Writer, from where the file's offset stood, and
// leaves the offset at the end of what it wrote.
func TestFileOutputEqualsStream(t *testing.T) {
	sources := testSources()
	sources = append(sources, testSource{"dense-9MiB", NewSynthetic(9*mib, []Extent{{0, 9 * mib}}, 11)})
	prefix := []byte("something before the image\n")
	for _, f := range Formats {
		for _, fixed := range []bool{false, true} {
			if fixed && f != VHD {
				continue
			}
			for _, ts := range sources {
				t.Run(fmt.Sprintf("%s/fixed=%v/%s", f, fixed, ts.name), func(t *testing.T) {
					opt := Options{VHDFixed: fixed}
					var stream bytes.Buffer
					if err := Write(&stream, ts.src, f, opt); err != nil {
						t.Fatal(err)
					}
					path := filepath.Join(t.TempDir(), "out")
					file, err := os.Create(path)
					if err != nil {
						t.Fatal(err)
					}
					defer file.Close()
					if _, err := file.Write(prefix); err != nil {
						t.Fatal(err)
					}
					if err := Write(file, ts.src, f, opt); err != nil {
						t.Fatal(err)
					}
					pos, err := file.Seek(0, io.SeekCurrent)
					if err != nil {
						t.Fatal(err)
					}
					if want := int64(len(prefix) + stream.Len()); pos != want {
						t.Errorf("file offset after Write = %d, want %d", pos, want)
					}
					got, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.HasPrefix(got, prefix) {
						t.Fatalf("the bytes before the image were overwritten")
					}
					if !bytes.Equal(got[len(prefix):], stream.Bytes()) {
						t.Fatalf("file output (%d bytes) differs from the stream (%d bytes)", len(got)-len(prefix), stream.Len())
					}
				})
			}
		}
	}
}

// failAt is a Source whose reads fail from a given offset on.
type failAt struct {
	Source
	at int64
}

func (s failAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > s.at {
		return 0, errors.New("injected read error")
	}
	return s.Source.ReadAt(p, off)
}

func TestCopyChunks(t *testing.T) {
	const n = 40
	src := NewSynthetic(n*mib, []Extent{{0, n * mib}}, 7)
	var chunks []Extent
	for i := range int64(n) {
		chunks = append(chunks, Extent{i * mib, mib})
	}
	for _, writers := range []int{1, 4} {
		t.Run(fmt.Sprintf("writers=%d", writers), func(t *testing.T) {
			var mu sync.Mutex
			got := make([]byte, n*mib)
			var seen []int64
			err := copyChunks(src, src.Size(), chunks, writers, func(i int, data []byte) error {
				mu.Lock()
				defer mu.Unlock()
				copy(got[chunks[i].Offset:], data)
				return nil
			}, func(end int64) { seen = append(seen, end) })
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, n*mib)
			_, _ = src.ReadAt(want, 0)
			if !bytes.Equal(got, want) {
				t.Fatal("copied bytes differ from the source")
			}
			for i := 1; i < len(seen); i++ {
				if seen[i] <= seen[i-1] {
					t.Fatalf("progress went from %d to %d", seen[i-1], seen[i])
				}
			}
			if len(seen) == 0 || seen[len(seen)-1] != n*mib {
				t.Fatalf("progress ended at %v, want %d", seen, n*mib)
			}
		})
		t.Run(fmt.Sprintf("writers=%d/read-error", writers), func(t *testing.T) {
			var calls int
			var mu sync.Mutex
			err := copyChunks(failAt{src, 10 * mib}, src.Size(), chunks, writers, func(i int, data []byte) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if chunks[i].Offset >= 10*mib {
					t.Errorf("fn called for chunk %d after the read error", i)
				}
				return nil
			}, nil)
			if err == nil || calls > 10 {
				t.Fatalf("err = %v after %d calls, want the read error after at most 10", err, calls)
			}
		})
		t.Run(fmt.Sprintf("writers=%d/write-error", writers), func(t *testing.T) {
			boom := errors.New("disk full")
			var mu sync.Mutex
			var calls int
			err := copyChunks(src, src.Size(), chunks, writers, func(i int, data []byte) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if i == 5 {
					return boom
				}
				return nil
			}, nil)
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want %v", err, boom)
			}
			if calls > 5+writers+3 {
				t.Fatalf("%d calls of fn: the copy went on after the error", calls)
			}
		})
	}
}

// A file opened with O_APPEND refuses WriteAt: writers stream to it instead.
func TestAppendModeFileStreams(t *testing.T) {
	src := NewSynthetic(4*mib, []Extent{{0, 3 * mib}}, 3)
	var stream bytes.Buffer
	if err := Write(&stream, src, QCOW2, Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out")
	file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := Write(file, src, QCOW2, Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, stream.Bytes()) {
		t.Fatal("appended output differs from the stream")
	}
}
