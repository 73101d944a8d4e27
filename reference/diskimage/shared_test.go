package diskimage

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestReaders_RefuseSharedUnits: a table entry pointing at a data cluster, grain or block that
// another entry (or metadata) already uses is refused at open, so a small file cannot claim a
// huge allocated disk.
func TestReaders_RefuseSharedUnits(t *testing.T) {
	// Two allocated units in each format: data at 0 and at 4 MiB.
	src := newMemDisk(8*mib, []Extent{{0, 64 * kib}, {4 * mib, 64 * kib}}, 7)
	be, le := binary.BigEndian, binary.LittleEndian
	tests := []struct {
		format Format
		damage func(b []byte)
	}{
		{QCOW2, func(b []byte) { // guest cluster 64 (4 MiB) -> the host cluster of guest cluster 0
			_, l2, _ := qcowTables(b)
			copy(b[l2+64*8:], b[l2:l2+8])
		}},
		{QCOW2, func(b []byte) { // guest cluster 1 -> the L2 table itself
			_, l2, _ := qcowTables(b)
			be.PutUint64(b[l2+8:], uint64(l2)|qcowCopied)
		}},
		{QCOW2, func(b []byte) { // every entry of the L2 table -> one cluster
			_, l2, _ := qcowTables(b)
			for i := int64(1); i < qcowL2Entries && i < 8*mib/qcowCluster; i++ {
				copy(b[l2+i*8:], b[l2:l2+8])
			}
		}},
		{VMDK, func(b []byte) { // grain 64 (4 MiB) -> the sector of grain 0
			gt := vmdkFirstGT(b)
			copy(b[gt+64*4:], b[gt:gt+4])
		}},
		{VHD, func(b []byte) { // block 2 (4 MiB) -> block 0's sectors
			bat := vhdBAT(b)
			copy(b[bat+2*4:], b[bat:bat+4])
		}},
		{VHD, func(b []byte) { // block 2 overlapping block 0 by one sector
			bat := vhdBAT(b)
			be.PutUint32(b[bat+2*4:], be.Uint32(b[bat:])+1)
		}},
		{VDI, func(b []byte) { // block 4 (4 MiB) -> data block 0
			m := vdiMap(b)
			le.PutUint32(b[m+4*4:], le.Uint32(b[m:]))
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			b := imageBytes(t, src, tt.format, Options{})
			if _, err := OpenFormat(bytes.NewReader(b), int64(len(b)), tt.format); err != nil {
				t.Fatalf("undamaged image refused: %v", err)
			}
			tt.damage(b)
			_, err := OpenFormat(bytes.NewReader(b), int64(len(b)), tt.format)
			if err == nil || !(strings.Contains(err.Error(), "twice") || strings.Contains(err.Error(), "reuses") || strings.Contains(err.Error(), "overlaps")) {
				t.Errorf("shared unit: err = %v, want a refusal", err)
			}
		})
	}
}
