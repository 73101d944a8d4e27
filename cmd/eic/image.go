package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/exportimage/eic/reference/diskimage"
)

const imageUsage = `convert --to FORMAT [--from FORMAT] [--vhd-fixed] [--progress auto|on|off] IN OUT
       eic image info [--json] FILE
       eic image verify (--against RAW | --sha256 HEX) FILE

FORMAT is raw (a plain, sparse raw disk), raw.tar.gz (the object ECS exports for raw),
vhd, qcow2, vmdk (streamOptimized) or vdi. Input formats are detected from their magic
bytes; anything unrecognised is a plain raw disk, read by its data extents.`

func runImage(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(stderr, "Usage: eic image %s\n", imageUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "convert":
		return imageConvert(args[1:], stdout, stderr)
	case "info":
		return imageInfo(args[1:], stdout, stderr)
	case "verify":
		return imageVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "eic image: unknown subcommand %q\nUsage: eic image %s\n", args[0], imageUsage)
	return 2
}

// openedImage is an input disk: an image file read through its format's reader, or a plain
// raw file read by its data extents.
type openedImage struct {
	diskimage.Source
	format string
	file   *os.File
}

// openImage opens path as format ("" detects it).
func openImage(path, format string) (*openedImage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	var fmtName diskimage.Format
	switch format {
	case "":
		if fmtName, err = diskimage.Detect(f, st.Size()); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	case "raw.tar.gz":
		fmtName = diskimage.Raw
	case "raw":
		fmtName = "" // plain raw, below
	default:
		if fmtName, err = diskimage.ParseFormat(format); err != nil {
			f.Close()
			return nil, err
		}
	}
	plainRaw := fmtName == "" || (format == "" && fmtName == diskimage.Raw && !isGzip(f))
	if plainRaw {
		src, err := diskimage.FileSource(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &openedImage{Source: src, format: "raw", file: f}, nil
	}
	img, err := diskimage.OpenFormat(f, st.Size(), fmtName)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	name := string(img.Format())
	if img.Format() == diskimage.Raw {
		name = "raw.tar.gz"
	}
	return &openedImage{Source: img, format: name, file: f}, nil
}

func isGzip(f *os.File) bool {
	var b [2]byte
	n, _ := f.ReadAt(b[:], 0)
	return n == 2 && b[0] == 0x1f && b[1] == 0x8b
}

func (o *openedImage) Close() error { return o.file.Close() }

func imageConvert(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("image convert", "--to FORMAT [flags] IN OUT", stderr)
	to := fs.String("to", "", "output `format`: raw, raw.tar.gz, vhd, qcow2, vmdk or vdi (required)")
	from := fs.String("from", "", "input `format` (default: detected)")
	fixed := fs.Bool("vhd-fixed", false, "write a fixed VHD instead of a dynamic one")
	progress := fs.String("progress", "auto", "progress bar: auto (only on a terminal), on or off")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *to == "" || fs.NArg() != 2 {
		fmt.Fprintln(stderr, "eic image convert: want --to FORMAT, an input and an output file")
		fs.Usage()
		return 2
	}
	var format diskimage.Format
	switch *to {
	case "raw":
	case "raw.tar.gz":
		format = diskimage.Raw
	default:
		var err error
		if format, err = diskimage.ParseFormat(*to); err != nil {
			fmt.Fprintf(stderr, "eic image convert: --to %q: want raw, raw.tar.gz, vhd, qcow2, vmdk or vdi\n", *to)
			return 2
		}
	}
	in, out := fs.Arg(0), fs.Arg(1)
	if same, _ := sameFile(in, out); same {
		fmt.Fprintln(stderr, "eic image convert: the output is the input")
		return 2
	}
	src, err := openImage(in, *from)
	if err != nil {
		fmt.Fprintf(stderr, "eic image convert: %v\n", err)
		return 1
	}
	defer src.Close()

	// Write beside the output and rename at the end: a failed conversion leaves nothing, and
	// never a truncated file under the output's name.
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		fmt.Fprintf(stderr, "eic image convert: %v\n", err)
		return 1
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	bar := newProgressBar(stderr, *progress, filepath.Base(out))
	opts := diskimage.Options{VHDFixed: *fixed, Progress: bar.update, Name: strings.TrimSuffix(filepath.Base(out), ".tar.gz")}
	start := time.Now()
	if format == "" {
		err = diskimage.WritePlain(tmp, src, opts)
	} else {
		err = diskimage.Write(tmp, src, format, opts)
	}
	bar.finish()
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp makes 0600; an image is an ordinary file
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "eic image convert: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s (%s, %d bytes virtual) -> %s (%s) in %s\n", in, src.format, src.Size(), out, *to, time.Since(start).Round(time.Millisecond))
	return 0
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

func imageInfo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("image info", "[--json] FILE", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	from := fs.String("from", "", "input `format` (default: detected)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	img, err := openImage(fs.Arg(0), *from)
	if err != nil {
		fmt.Fprintf(stderr, "eic image info: %v\n", err)
		return 1
	}
	defer img.Close()
	info := struct {
		File           string   `json:"file"`
		Format         string   `json:"format"`
		VirtualSize    int64    `json:"virtualSize"`
		AllocatedBytes int64    `json:"allocatedBytes"`
		FileSize       int64    `json:"fileSize"`
		Problems       []string `json:"problems"`
	}{File: fs.Arg(0), Format: img.format, VirtualSize: img.Size(), Problems: []string{}}
	for _, e := range img.Extents() {
		info.AllocatedBytes += e.Length
	}
	if st, err := img.file.Stat(); err == nil {
		info.FileSize = st.Size()
	}
	if im, ok := img.Source.(diskimage.Image); ok {
		info.Problems = append(info.Problems, diskimage.Inspect(im).Problems...)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(info)
	} else {
		fmt.Fprintf(stdout, "file:            %s\nformat:          %s\nvirtual size:    %d bytes (%s)\nallocated:       %d bytes\nfile size:       %d bytes\n",
			info.File, info.Format, info.VirtualSize, human(info.VirtualSize), info.AllocatedBytes, info.FileSize)
		if len(info.Problems) == 0 {
			fmt.Fprintln(stdout, "checks:          no problems found")
		}
		for _, p := range info.Problems {
			fmt.Fprintf(stdout, "problem:         %s\n", p)
		}
	}
	if len(info.Problems) > 0 {
		return 1
	}
	return 0
}

func imageVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("image verify", "(--against RAW | --sha256 HEX) FILE", stderr)
	against := fs.String("against", "", "a raw disk `file` the image must hold exactly")
	want := fs.String("sha256", "", "the SHA-256 `hex` of the full virtual disk the image must hold")
	from := fs.String("from", "", "input `format` (default: detected)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 || (*against == "") == (*want == "") {
		fmt.Fprintln(stderr, "eic image verify: want a file and exactly one of --against or --sha256")
		fs.Usage()
		return 2
	}
	img, err := openImage(fs.Arg(0), *from)
	if err != nil {
		fmt.Fprintf(stderr, "eic image verify: %v\n", err)
		return 1
	}
	defer img.Close()
	expected, wantSize := strings.ToLower(*want), int64(-1)
	if *against != "" {
		ref, err := openImage(*against, "raw")
		if err != nil {
			fmt.Fprintf(stderr, "eic image verify: %v\n", err)
			return 1
		}
		defer ref.Close()
		wantSize = ref.Size()
		if expected, err = diskimage.Checksum(ref); err != nil {
			fmt.Fprintf(stderr, "eic image verify: %s: %v\n", *against, err)
			return 1
		}
	}
	got, err := diskimage.Checksum(img)
	if err != nil {
		fmt.Fprintf(stderr, "eic image verify: %s: %v\n", fs.Arg(0), err)
		return 1
	}
	if wantSize >= 0 && wantSize != img.Size() {
		fmt.Fprintf(stdout, "MISMATCH %s: virtual size %d, want %d\n", fs.Arg(0), img.Size(), wantSize)
		return 1
	}
	if got != expected {
		fmt.Fprintf(stdout, "MISMATCH %s: sha256 %s, want %s\n", fs.Arg(0), got, expected)
		return 1
	}
	fmt.Fprintf(stdout, "OK %s (%s): sha256 %s\n", fs.Arg(0), img.format, got)
	return 0
}

func human(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f, i = f/1024, i+1
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// progressBar draws "name [#####.....]  42%" on a terminal, at most ten times a second, and
// nothing when the output is not a terminal (or --progress off).
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	name  string
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, mode, name string) *progressBar {
	on := mode == "on"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			on = term.IsTerminal(int(f.Fd()))
		}
	}
	return &progressBar{w: w, on: on, name: name}
}

func (p *progressBar) update(done, total int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || done == total {
		p.last = now
		pct := 100
		if total > 0 {
			pct = int(done * 100 / total)
		}
		fmt.Fprintf(p.w, "\r%s [%-40s] %3d%%", p.name, strings.Repeat("#", pct*40/100), pct)
		p.drawn = true
	}
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
