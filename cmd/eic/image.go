package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
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

const imageUsage = `Usage: eic image convert --to FORMAT [--from FORMAT] [--vhd-fixed] [--sync] [--progress auto|on|off] IN OUT
       eic image info [--json] [--from FORMAT] FILE
       eic image verify (--against RAW | --sha256 HEX) [--from FORMAT] FILE
       eic image help

FORMAT is raw (a plain, sparse raw disk), raw.tar.gz (the object ECS exports for raw),
vhd, qcow2, vmdk (streamOptimized) or vdi. Input formats are detected from their magic
bytes; anything unrecognised is a plain raw disk, read by its data extents. Flags may come
before or after the files. Run "eic image SUBCOMMAND --help" for the flags of one.

convert writes beside OUT and renames into place, so OUT appears whole or not at all; like
qemu-img convert it leaves write-back to the kernel, and --sync waits until OUT is on disk.
info checks the image's structure as qemu-img check does and exits 1 if it finds a problem.
verify compares with qemu-img compare's rule: a longer disk whose extra tail is zeros is equal.
`

func runImage(args []string, stdout, stderr io.Writer) int {
	return runSubcommands("image", imageUsage, []subcommand{
		{"convert", imageConvert}, {"info", imageInfo}, {"verify", imageVerify},
	}, args, stdout, stderr)
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
			return nil, fmt.Errorf("%s: --from: %w", path, err)
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
	syncOut := fs.Bool("sync", false, "wait until the output is on disk (fsync) before renaming it into place")
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
		fmt.Fprintf(stderr, "eic image convert: %s: the output is the input\n", out)
		return 2
	}
	if err := checkOutput(out); err != nil {
		fmt.Fprintf(stderr, "eic image convert: %v\n", err)
		return 1
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
		fmt.Fprintf(stderr, "eic image convert: %s: %v\n", out, unwrapPath(err))
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
	if err != nil {
		tmp.Close()
		// An error on the temporary file is about the output; anything else came from reading.
		var pe *os.PathError
		if errors.As(err, &pe) && pe.Path == tmp.Name() {
			fmt.Fprintf(stderr, "eic image convert: %s: %s: %v\n", out, pe.Op, pe.Err)
		} else {
			fmt.Fprintf(stderr, "eic image convert: %s: %v\n", in, err)
		}
		return 1
	}
	err = tmp.Chmod(0o644) // CreateTemp makes 0600; an image is an ordinary file
	if err == nil && *syncOut {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err == nil && *syncOut {
		err = syncDir(filepath.Dir(out))
	}
	if err != nil {
		fmt.Fprintf(stderr, "eic image convert: %s: %v\n", out, unwrapPath(err))
		return 1
	}
	fmt.Fprintf(stdout, "%s (%s, %d bytes virtual) -> %s (%s) in %s\n", in, src.format, src.Size(), out, *to, time.Since(start).Round(time.Millisecond))
	return 0
}

// checkOutput refuses an output path that names a directory or lies in a missing directory,
// before any temporary file is made, so the error names the path the user gave.
func checkOutput(out string) error {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a directory; give the output file's name", out)
	}
	dir := filepath.Dir(out)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: output directory: %w", out, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", out, dir)
	}
	return nil
}

// unwrapPath drops the path of an *os.PathError or *os.LinkError (a temporary name the user
// never chose), keeping the operation and the cause.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
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
	against := fs.String("against", "", "a raw disk `file` the image must hold (a longer one of the two may end in zeros)")
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
	expected := strings.ToLower(*want)
	if *want != "" {
		if b, err := hex.DecodeString(expected); err != nil || len(b) != 32 {
			fmt.Fprintf(stderr, "eic image verify: --sha256 %q: want 64 hexadecimal digits\n", *want)
			return 2
		}
	}
	file := fs.Arg(0)
	img, err := openImage(file, *from)
	if err != nil {
		fmt.Fprintf(stderr, "eic image verify: %v\n", err)
		return 1
	}
	defer img.Close()
	if *against != "" {
		ref, err := openImage(*against, "raw")
		if err != nil {
			fmt.Fprintf(stderr, "eic image verify: %v\n", err)
			return 1
		}
		defer ref.Close()
		return verifyAgainst(stdout, stderr, file, img, *against, ref)
	}
	got, err := diskimage.Checksum(img)
	if err != nil {
		fmt.Fprintf(stderr, "eic image verify: %s: %v\n", file, err)
		return 1
	}
	if got != expected {
		fmt.Fprintf(stdout, "MISMATCH %s (%s): sha256 %s, want %s\n", file, img.format, got, expected)
		return 1
	}
	fmt.Fprintf(stdout, "OK %s (%s): sha256 %s\n", file, img.format, got)
	return 0
}

// verifyAgainst compares img with the raw disk ref the way qemu-img compare does: sizes
// first (the longer disk must be zeros past the shorter one's end), then the common bytes.
// It prints one line naming file.
func verifyAgainst(stdout, stderr io.Writer, file string, img *openedImage, refName string, ref *openedImage) int {
	longer, longerName := diskimage.Source(img), file
	if ref.Size() > img.Size() {
		longer, longerName = ref, refName
	}
	common := min(img.Size(), ref.Size())
	if img.Size() != ref.Size() {
		at, err := diskimage.FirstNonZero(longer, common)
		if err != nil {
			fmt.Fprintf(stderr, "eic image verify: %s: %v\n", longerName, err)
			return 1
		}
		if at >= 0 {
			fmt.Fprintf(stdout, "MISMATCH %s (%s): virtual size %d, %s has %d; %s is not zero at offset %d\n",
				file, img.format, img.Size(), refName, ref.Size(), longerName, at)
			return 1
		}
	}
	at, err := diskimage.FirstDifference(img, ref, common)
	if err != nil {
		fmt.Fprintf(stderr, "eic image verify: %s or %s: %v\n", file, refName, err)
		return 1
	}
	if at >= 0 {
		fmt.Fprintf(stdout, "MISMATCH %s (%s): differs from %s at offset %d\n", file, img.format, refName, at)
		return 1
	}
	note := ""
	if img.Size() != ref.Size() {
		note = fmt.Sprintf("; %s is %d bytes longer (virtual size %d, %s has %d) and its extra bytes are zeros",
			longerName, max(img.Size(), ref.Size())-common, img.Size(), refName, ref.Size())
	}
	fmt.Fprintf(stdout, "OK %s (%s): same disk as %s%s\n", file, img.format, refName, note)
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
