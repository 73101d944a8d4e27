package diskimage

import "io"

func writeRaw(w io.Writer, src Source, opt Options) error   { return ErrUnsupported }
func openRawTarGz(r io.ReaderAt, size int64) (Image, error) { return nil, ErrUnsupported }
