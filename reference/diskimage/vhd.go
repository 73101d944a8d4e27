package diskimage

import "io"

func writeVHD(w io.Writer, src Source, opt Options) error { return ErrUnsupported }
func openVHD(r io.ReaderAt, size int64) (Image, error)    { return nil, ErrUnsupported }
