package fuzz

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/exportimage/eic/reference/diskimage"
)

// disk is a generated disk layout: virtual size, data extents, content seed, and the two
// formats of the chain raw → A → B → raw.
type disk struct {
	Size    int64
	Extents []diskimage.Extent
	Seed    int64
	A, B    diskimage.Format
}

func (d disk) String() string {
	return fmt.Sprintf("size=%d extents=%v seed=%d chain raw→%s→%s→raw", d.Size, d.Extents, d.Seed, d.A, d.B)
}

// Boundaries where formats change cluster, grain or block: 64 KiB (qcow2 cluster, vmdk
// grain), 1 MiB (vdi block), 2 MiB (vhd block).
var boundaries = []int64{64 << 10, 1 << 20, 2 << 20}

const maxDisk = 8 << 20

func genDisk() gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		r := p.Rng
		d := disk{Seed: r.Int63(), A: pick(r, diskimage.Formats), B: pick(r, diskimage.Formats)}
		d.Size = 512 * (1 + r.Int63n(maxDisk/512))
		for n := r.Intn(5); n > 0; n-- {
			b := pick(r, boundaries) * (1 + r.Int63n(3))
			off := b + pick(r, []int64{0, -512, 512, -4096, 4096, -(64 << 10)})
			length := pick(r, []int64{512, 4096, 64 << 10, 1<<20 + 512, 2 << 20})
			if off < 0 {
				off = 0
			}
			if off >= d.Size {
				off = d.Size / 2 / 512 * 512
			}
			d.Extents = append(d.Extents, diskimage.Extent{Offset: off, Length: min(length, d.Size-off)})
		}
		return gopter.NewGenResult(d, shrinkDisk)
	}
}

// shrinkDisk: drop an extent, halve the size (clipping extents), shorten an extent.
func shrinkDisk(v any) gopter.Shrink {
	d := v.(disk)
	var out []disk
	for i := range d.Extents {
		c := d
		c.Extents = append(append([]diskimage.Extent(nil), d.Extents[:i]...), d.Extents[i+1:]...)
		out = append(out, c)
	}
	if half := d.Size / 2 / 512 * 512; half >= 512 {
		c := d
		c.Size, c.Extents = half, nil
		for _, e := range d.Extents {
			if e.Offset < half {
				c.Extents = append(c.Extents, diskimage.Extent{Offset: e.Offset, Length: min(e.Length, half-e.Offset)})
			}
		}
		out = append(out, c)
	}
	for i, e := range d.Extents {
		if e.Length > 512 {
			c := d
			c.Extents = append([]diskimage.Extent(nil), d.Extents...)
			c.Extents[i].Length = max(512, e.Length/2/512*512)
			out = append(out, c)
		}
	}
	i := 0
	return func() (any, bool) {
		if i >= len(out) {
			return nil, false
		}
		i++
		return out[i-1], true
	}
}

// roundTrip writes src as f and reads it back.
func roundTrip(src diskimage.Source, f diskimage.Format) (diskimage.Source, error) {
	var buf bytes.Buffer
	if err := diskimage.Write(&buf, src, f, diskimage.Options{Workers: 2}); err != nil {
		return nil, fmt.Errorf("write %s: %w", f, err)
	}
	img, err := diskimage.OpenFormat(bytes.NewReader(buf.Bytes()), int64(buf.Len()), f)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f, err)
	}
	return img, nil
}

// TestProperty_FormatRoundTrips: raw → A → B → raw through the five formats reproduces the
// source bytes, for disks with extents at and across cluster, grain and block boundaries.
func TestProperty_FormatRoundTrips(t *testing.T) {
	p := parameters(t, *flagDisks)
	p.MaxShrinkCount = 60
	props := gopter.NewProperties(p)
	props.Property("raw → A → B → raw keeps every byte", prop.ForAll(func(d disk) (bool, error) {
		src := diskimage.NewSynthetic(d.Size, d.Extents, d.Seed)
		want, err := diskimage.Checksum(src)
		if err != nil {
			return false, err
		}
		cur := diskimage.Source(src)
		for _, f := range []diskimage.Format{diskimage.Raw, d.A, d.B, diskimage.Raw} {
			if cur, err = roundTrip(cur, f); err != nil {
				return false, err
			}
		}
		if cur.Size() != d.Size {
			return false, fmt.Errorf("size %d, want %d", cur.Size(), d.Size)
		}
		got, err := diskimage.Checksum(cur)
		if err != nil {
			return false, err
		}
		return got == want, nil
	}, genDisk()))
	props.TestingRun(t)
}
