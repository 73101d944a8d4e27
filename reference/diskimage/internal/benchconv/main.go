// Command benchconv converts a raw disk file to one image format with package diskimage. It
// exists for scripts/bench-images.sh, which times it against qemu-img convert; the product
// CLI is `eic image convert`.
//
//	benchconv -to qcow2|vhd|vhd-fixed|vmdk|vdi|raw IN.raw OUT
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/exportimage/eic/reference/diskimage"
)

func main() {
	to := flag.String("to", "qcow2", "output format: raw (raw.tar.gz), vhd, vhd-fixed, qcow2, vmdk, vdi")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchconv -to FORMAT IN.raw OUT")
		os.Exit(2)
	}
	if err := run(*to, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "benchconv:", err)
		os.Exit(1)
	}
}

func run(to, in, out string) error {
	var opt diskimage.Options
	if to == "vhd-fixed" {
		to, opt.VHDFixed = "vhd", true
	}
	f, err := diskimage.ParseFormat(to)
	if err != nil {
		return err
	}
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	s, err := diskimage.FileSource(src)
	if err != nil {
		return err
	}
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := diskimage.Write(dst, s, f, opt); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
