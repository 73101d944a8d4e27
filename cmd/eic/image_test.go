package main

import (
	"crypto/rand"
	"encoding/json"
	"os"
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
		{[]string{"image", "verify", "--sha256", "00", src}, 1},
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
