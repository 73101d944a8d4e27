package diskimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Checksum is the lower-case hex SHA-256 of src's whole virtual disk. Holes are hashed from a
// shared zero buffer without reading the source; only extents are read.
func Checksum(src Source) (string, error) { return ChecksumContext(context.Background(), src) }

// ChecksumContext is Checksum that stops, returning ctx.Err(), within one chunk of ctx being
// done: a terabyte of holes takes minutes to hash.
func ChecksumContext(ctx context.Context, src Source) (string, error) {
	h := sha256.New()
	buf := make([]byte, copyChunk)
	var pos int64
	hashZeros := func(n int64) error {
		for n > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := min(n, int64(len(zeroChunk)))
			h.Write(zeroChunk[:c])
			n -= c
		}
		return nil
	}
	for _, e := range src.Extents() {
		if e.Offset < pos || e.End() > src.Size() {
			return "", fmt.Errorf("diskimage: source extents break the contract at %d", e.Offset)
		}
		if err := hashZeros(e.Offset - pos); err != nil {
			return "", err
		}
		for off := e.Offset; off < e.End(); {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			n := int(min(int64(len(buf)), e.End()-off))
			if err := readFull(src, buf[:n], off); err != nil {
				return "", err
			}
			h.Write(buf[:n])
			off += int64(n)
		}
		pos = e.End()
	}
	if err := hashZeros(src.Size() - pos); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
