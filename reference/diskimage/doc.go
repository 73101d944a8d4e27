// Package diskimage writes and reads the five disk-image formats ExportImage produces:
// raw (as <name>.raw.tar.gz), vhd, qcow2, vmdk (streamOptimized) and vdi.
//
// Writers stream from a Source (a reader plus its data extents, so holes cost nothing) to an
// io.Writer; readers turn an image file back into a Source. Readers treat their input as
// hostile: bounded allocation, no panics, clear errors, and no cluster, grain or block
// referenced twice. Inspect runs the consistency checks qemu-img check runs. FirstDifference
// and FirstNonZero compare disks by qemu-img compare's rule. qemu-img is the outside oracle
// in tests.
package diskimage
