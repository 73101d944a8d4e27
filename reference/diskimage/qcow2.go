package diskimage

import "io"

func writeQCOW2(w io.Writer, src Source, opt Options) error { return ErrUnsupported }
func openQCOW2(r io.ReaderAt, size int64) (Image, error)    { return nil, ErrUnsupported }
