package steps

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// overlayFS serves the built-in features and, under a folder name of their own, the
// directories a user adds with --features. godog walks one fs.FS, so both live in one tree.
type overlayFS struct {
	base  fs.FS
	extra map[string]fs.FS // top-level folder → a directory on disk
}

func (o overlayFS) Open(name string) (fs.File, error) {
	first, rest, _ := strings.Cut(name, "/")
	if x, ok := o.extra[first]; ok {
		if rest == "" {
			rest = "."
		}
		return x.Open(rest)
	}
	return o.base.Open(name)
}

// withExtra adds each directory or .feature file of extra to fsys and returns the paths to
// run for them (a folder name per entry, "+" and the directory's base name; a file keeps its
// name under that folder).
func withExtra(fsys fs.FS, extra []string) (fs.FS, []string, error) {
	if len(extra) == 0 {
		return fsys, nil, nil
	}
	o := overlayFS{base: fsys, extra: map[string]fs.FS{}}
	var paths []string
	for _, e := range extra {
		fi, err := os.Stat(e)
		if err != nil {
			return nil, nil, fmt.Errorf("--features: %v", err)
		}
		dir, file := e, ""
		if !fi.IsDir() {
			if !strings.HasSuffix(e, ".feature") {
				return nil, nil, fmt.Errorf("--features %s: want a directory or a .feature file", e)
			}
			dir, file = filepath.Dir(e), filepath.Base(e)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("--features: %v", err)
		}
		name := "+" + filepath.Base(abs)
		for i := 2; o.extra[name] != nil; i++ {
			name = fmt.Sprintf("+%s-%d", filepath.Base(abs), i)
		}
		o.extra[name] = os.DirFS(abs)
		paths = append(paths, path.Join(name, file))
	}
	return o, paths, nil
}
