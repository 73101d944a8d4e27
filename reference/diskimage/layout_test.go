package diskimage

// Locators for the metadata of images our writers produce, used by the tests that damage
// images on purpose (shared clusters, the info-vs-qemu-img-check corpus).

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// imageBytes writes src as format f into memory.
func imageBytes(t testing.TB, src Source, f Format, opt Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, src, f, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// qcowTables returns the offsets of the L1 table, of the first L2 table and of the refcount
// table of a qcow2 file.
func qcowTables(b []byte) (l1, l2, rt int64) {
	be := binary.BigEndian
	l1 = int64(be.Uint64(b[40:]))
	l2 = int64(be.Uint64(b[l1:]) & qcowOffsetMask)
	rt = int64(be.Uint64(b[48:]))
	return l1, l2, rt
}

// vhdBAT returns the offset of a dynamic VHD's BAT.
func vhdBAT(b []byte) int64 {
	dyn := int64(binary.BigEndian.Uint64(b[len(b)-512+16:]))
	return int64(binary.BigEndian.Uint64(b[dyn+16:]))
}

// vmdkFirstGT returns the byte offset of the first grain table of a streamOptimized vmdk our
// writer made (grain directory found through the footer).
func vmdkFirstGT(b []byte) int64 {
	footer := b[len(b)-2*SectorSize:]
	gd := int64(binary.LittleEndian.Uint64(footer[56:])) * SectorSize
	return int64(binary.LittleEndian.Uint32(b[gd:])) * SectorSize
}

// vdiMap returns the offset of a vdi's block map.
func vdiMap(b []byte) int64 { return int64(binary.LittleEndian.Uint32(b[0x154:])) }
