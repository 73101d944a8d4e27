// Package diskimage writes and reads the five disk-image formats ExportImage produces:
// raw (as <name>.raw.tar.gz), vhd, qcow2, vmdk (streamOptimized) and vdi.
//
// Writers stream from a Source (a reader plus its data extents, so holes cost nothing) to an
// io.Writer, or write a regular file with several positioned writes in flight; readers turn
// an image file back into a Source. Readers treat their input as hostile: bounded allocation,
// no panics, clear errors, and no cluster, grain or block referenced twice. Inspect runs the
// consistency checks qemu-img check runs. FirstDifference and FirstNonZero compare disks by
// qemu-img compare's rule. qemu-img is the outside oracle in tests.
//
// Where things are:
//
//	diskimage.go  the API: Format, Extent, Source, Options, Image, Write, Open, Inspect
//	scan.go       which clusters/blocks of a source hold data (the writers' pre-pass)
//	pipeline.go   the copy pipeline every writer uses: read ahead, stream or positioned writes
//	progress.go   Options.Progress from the offsets a writer reaches
//	source.go     plain raw sources (FileSource, SEEK_DATA/SEEK_HOLE) and ReadAt helpers
//	checksum.go   Checksum; compare.go FirstDifference/FirstNonZero; hostuse.go duplicate checks
//	synthetic.go  NewSynthetic, a deterministic disk for tests and fixtures
//	qcow2.go qcow2check.go vhd.go vdi.go vmdk.go raw.go  one format each (raw.go: raw.tar.gz)
//
// It may import the standard library only: it knows nothing of ECS, OSS or HTTP. Its users
// are the domain (reference/ecs), cmd/eic, the steps and the examples.
package diskimage
