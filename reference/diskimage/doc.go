// Package diskimage writes and reads the five disk-image formats ExportImage produces:
// raw (as <name>.raw.tar.gz), vhd, qcow2, vmdk (streamOptimized) and vdi.
//
// Writers stream from a Source (a reader plus its data extents, so holes cost nothing) to an
// io.Writer; readers turn an image file back into a Source. Readers treat their input as
// hostile: bounded allocation, no panics, clear errors. qemu-img is the outside oracle in tests.
package diskimage
