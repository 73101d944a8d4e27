package main

import (
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sparseRaw writes a 16 MiB raw disk with data at two places, the rest holes.
func sparseRaw(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "src.raw")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := make([]byte, 200<<10)
	_, _ = rand.Read(data)
	for _, off := range []int64{1 << 20, 9<<20 + 4096} {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(16 << 20); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImage_ConvertVerifyInfo(t *testing.T) {
	src := sparseRaw(t)
	dir := t.TempDir()
	for _, to := range []string{"raw", "raw.tar.gz", "vhd", "qcow2", "vmdk", "vdi"} {
		t.Run(to, func(t *testing.T) {
			out := filepath.Join(dir, "out."+to)
			if code, _, stderr := run(t, "image", "convert", "--to", to, src, out); code != 0 {
				t.Fatalf("convert: %d %s", code, stderr)
			}
			if code, stdout, stderr := run(t, "image", "verify", "--against", src, out); code != 0 || !strings.HasPrefix(stdout, "OK") {
				t.Fatalf("verify: %d %s %s", code, stdout, stderr)
			}
			code, stdout, _ := run(t, "image", "info", "--json", out)
			var info struct {
				Format      string `json:"format"`
				VirtualSize int64  `json:"virtualSize"`
			}
			if err := json.Unmarshal([]byte(stdout), &info); err != nil || code != 0 {
				t.Fatalf("info: %d %v %s", code, err, stdout)
			}
			if info.Format != to || info.VirtualSize != 16<<20 {
				t.Errorf("info = %+v, want %s of 16 MiB", info, to)
			}
			// A converted image converts back to the same disk.
			back := filepath.Join(dir, "back-"+to+".raw")
			if code, _, stderr := run(t, "image", "convert", "--to", "raw", out, back); code != 0 {
				t.Fatalf("convert back: %d %s", code, stderr)
			}
			if code, _, _ := run(t, "image", "verify", "--against", src, back); code != 0 {
				t.Error("the round trip changed the disk")
			}
		})
	}
}

func TestImage_BadInput(t *testing.T) {
	src := sparseRaw(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.qcow2")
	if err := os.WriteFile(garbage, []byte("QFI\xfb not really a qcow2 header"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.vmdk")
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"image", "convert", "--to", "vhdx", src, out}, 2},
		{[]string{"image", "convert", src, out}, 2},
		{[]string{"image", "convert", "--to", "vmdk", filepath.Join(dir, "missing"), out}, 1},
		{[]string{"image", "convert", "--to", "vmdk", garbage, out}, 1},
		{[]string{"image", "convert", "--to", "vmdk", src, src}, 2},
		{[]string{"image", "verify", src}, 2},
		{[]string{"image", "verify", "--sha256", "00", src}, 2},
		{[]string{"image", "verify", "--sha256", strings.Repeat("0", 64), src}, 1},
		{[]string{"image", "info", garbage}, 1},
		{[]string{"image", "frobnicate"}, 2},
		{[]string{"image"}, 2},
	}
	for _, tt := range tests {
		if code, _, stderr := run(t, tt.args...); code != tt.code || (code != 0 && stderr == "" && tt.code == 2) {
			t.Errorf("eic %v = %d (stderr %q), want %d", tt.args, code, stderr, tt.code)
		}
	}
	// A failed conversion leaves no output and no temporary file behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "garbage.qcow2" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestImage_FlagsAfterFiles(t *testing.T) {
	src := sparseRaw(t)
	out := filepath.Join(t.TempDir(), "out.qcow2")
	if code, _, stderr := run(t, "image", "convert", src, out, "--to", "qcow2", "--progress=off"); code != 0 {
		t.Fatalf("convert with flags last = %d: %s", code, stderr)
	}
	if code, stdout, stderr := run(t, "image", "verify", out, "--against", src); code != 0 || !strings.HasPrefix(stdout, "OK "+out) {
		t.Errorf("verify FILE --against RAW = %d %q %q", code, stdout, stderr)
	}
	if code, stdout, _ := run(t, "image", "info", out, "--json"); code != 0 || !strings.HasPrefix(stdout, "{") {
		t.Errorf("info FILE --json = %d %q", code, stdout)
	}
	// After "--" a dash-led name is a file, not a flag.
	if code, _, stderr := run(t, "image", "info", "--", "--json"); code != 1 || !strings.Contains(stderr, "--json") {
		t.Errorf("info -- --json = %d %q, want 1 naming the file", code, stderr)
	}
}

func TestImage_Help(t *testing.T) {
	code, stdout, _ := run(t, "image", "help")
	if code != 0 || !strings.Contains(stdout, "eic image convert") || !strings.Contains(stdout, "--sync") {
		t.Errorf("eic image help = %d %q", code, stdout)
	}
	for _, sub := range []string{"convert", "info", "verify"} {
		code, _, stderr := run(t, "image", sub, "--help")
		if code != 0 || !strings.Contains(stderr, "  --from format") || strings.Contains(stderr, "  -from") {
			t.Errorf("eic image %s --help = %d, want --flag spelling: %q", sub, code, stderr)
		}
	}
}

func TestImage_ConvertOutputErrors(t *testing.T) {
	src := sparseRaw(t)
	dir := t.TempDir()
	code, _, stderr := run(t, "image", "convert", "--to", "vhd", src, dir)
	if code != 1 || !strings.Contains(stderr, dir+": is a directory") || strings.Contains(stderr, ".tmp") {
		t.Errorf("convert to a directory = %d %q", code, stderr)
	}
	missing := filepath.Join(dir, "no", "such", "out.vhd")
	code, _, stderr = run(t, "image", "convert", "--to", "vhd", src, missing)
	if code != 1 || !strings.Contains(stderr, missing) || strings.Contains(stderr, ".tmp") {
		t.Errorf("convert into a missing directory = %d %q", code, stderr)
	}
	notImage := filepath.Join(dir, "text.qcow2")
	if err := os.WriteFile(notImage, []byte("QFI\xfb..."), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sub := range [][]string{{"info"}, {"verify", "--against", src}, {"convert", "--to", "raw"}} {
		args := append(append([]string{"image"}, sub...), notImage)
		if sub[0] == "convert" {
			args = append(args, filepath.Join(dir, "x.raw"))
		}
		if code, _, stderr := run(t, args...); code != 1 || !strings.Contains(stderr, notImage) {
			t.Errorf("eic %v = %d %q, want 1 naming the file", args, code, stderr)
		}
	}
	// --sync gives the same file.
	out := filepath.Join(dir, "synced.vdi")
	if code, _, stderr := run(t, "image", "convert", "--sync", "--to", "vdi", src, out); code != 0 {
		t.Fatalf("convert --sync = %d %s", code, stderr)
	}
	if code, stdout, _ := run(t, "image", "verify", "--against", src, out); code != 0 {
		t.Errorf("verify after --sync: %s", stdout)
	}
}

// writeFile writes data at the given offsets of a sparse file of size bytes.
func writeFile(t *testing.T, path string, size int64, data []byte, offs ...int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, off := range offs {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func TestImage_VerifySizesFirst(t *testing.T) {
	dir := t.TempDir()
	data := []byte("some data that is not zero")
	ref := filepath.Join(dir, "ref.raw")
	writeFile(t, ref, 1<<20, data, 4096)
	longer := filepath.Join(dir, "longer.raw")
	writeFile(t, longer, 3<<20, data, 4096)
	longerVHD := filepath.Join(dir, "longer.vhd")
	if code, _, stderr := run(t, "image", "convert", "--to", "vhd", longer, longerVHD); code != 0 {
		t.Fatal(stderr)
	}
	dirtyTail := filepath.Join(dir, "dirty.raw")
	writeFile(t, dirtyTail, 3<<20, data, 4096, 2<<20+7)
	differs := filepath.Join(dir, "differs.raw")
	writeFile(t, differs, 1<<20, []byte("Some"), 4096)
	huge := filepath.Join(dir, "huge.raw") // 8 TiB of holes past the data: answered by extents
	writeFile(t, huge, 8<<40, data, 4096)

	tests := []struct {
		file, against string
		code          int
		line          string
	}{
		{longerVHD, ref, 0, "OK " + longerVHD + " (vhd): same disk as " + ref + "; " + longerVHD + " is 2097152 bytes longer"},
		{ref, longer, 0, "OK " + ref + " (raw): same disk as " + longer + "; " + longer + " is 2097152 bytes longer"},
		{huge, ref, 0, "OK " + huge + " (raw): same disk as " + ref + "; " + huge + " is "},
		{dirtyTail, ref, 1, "MISMATCH " + dirtyTail + " (raw): virtual size 3145728, " + ref + " has 1048576; " + dirtyTail + " is not zero at offset 2097159"},
		{differs, ref, 1, "MISMATCH " + differs + " (raw): differs from " + ref + " at offset 4096"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(t, "image", "verify", tt.file, "--against", tt.against)
		if code != tt.code || !strings.HasPrefix(stdout, tt.line) || strings.Count(stdout, "\n") != 1 {
			t.Errorf("verify %s --against %s = %d %q %q, want %d %q", tt.file, tt.against, code, stdout, stderr, tt.code, tt.line)
		}
	}
}

func TestImage_VerifyChecksSHA256First(t *testing.T) {
	// The file does not even exist: a bad --sha256 is refused before anything is opened.
	for _, bad := range []string{"zz", strings.Repeat("a", 63), strings.Repeat("g", 64)} {
		code, _, stderr := run(t, "image", "verify", "--sha256", bad, filepath.Join(t.TempDir(), "missing"))
		if code != 2 || !strings.Contains(stderr, "--sha256") {
			t.Errorf("verify --sha256 %q = %d %q, want 2", bad, code, stderr)
		}
	}
}

// TestImage_VerifyQemuVHD: qemu-img's own vhd of a disk rounds the size up to its CHS
// geometry; the tail is zeros, so verify calls it the same disk, as qemu-img compare does.
func TestImage_VerifyQemuVHD(t *testing.T) {
	qemu, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Skip("qemu-img not installed (apt-get install qemu-utils)")
	}
	src := filepath.Join(t.TempDir(), "src.raw")
	writeFile(t, src, 10<<20+512, []byte("data"), 0, 10<<20)
	vhd := filepath.Join(t.TempDir(), "qemu.vhd")
	if out, err := exec.Command(qemu, "convert", "-f", "raw", "-O", "vpc", src, vhd).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v %s", err, out)
	}
	code, stdout, stderr := run(t, "image", "verify", vhd, "--against", src)
	if code != 0 || !strings.HasPrefix(stdout, "OK "+vhd+" (vhd): same disk as "+src+"; "+vhd+" is ") {
		t.Errorf("verify qemu's vhd = %d %q %q", code, stdout, stderr)
	}
}

func TestImage_InfoReportsDamage(t *testing.T) {
	src := sparseRaw(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.qcow2")
	if code, _, stderr := run(t, "image", "convert", "--to", "qcow2", src, img); code != 0 {
		t.Fatal(stderr)
	}
	if code, stdout, _ := run(t, "image", "info", img); code != 0 || !strings.Contains(stdout, "no problems found") {
		t.Fatalf("info on a good image = %d %q", code, stdout)
	}
	// Cut the last data cluster off: its L2 entry now points past the end of the file.
	st, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, st.Size()-64<<10); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "image", "info", img)
	if code != 1 || !strings.Contains(stdout, "problem:") || !strings.Contains(stdout, "beyond the end of the file") {
		t.Errorf("info on a truncated image = %d %q %q, want 1 listing the problem", code, stdout, stderr)
	}
}
