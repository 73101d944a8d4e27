package ecs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/spec/errcode"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// smallFixtures is a world of small disks for lifecycle tests: region test-1 honours every
// format; account acme owns m-small (2 MiB of system data, 1 MiB on xvdb) and m-tiny (1 MiB);
// the export speed is 256 KiB/s, so m-small takes 12 s of Processing and m-tiny 4 s.
const smallFixtures = `
exportSpeed: 262144
quotas: {concurrent: 5, weekly: 100}
regions:
  - {id: test-1, export: true, formats: [raw, vhd, qcow2, vmdk, vdi]}
  - {id: test-2, export: true}
accounts:
  - name: acme
    id: "2000000000000001"
    keys: [{id: AKacme, secret: SKacme}]
    roles: [{name: AliyunECSImageExportDefaultRole, trust: ecs.aliyuncs.com, policies: [AliyunECSImageExportRolePolicy]}]
    buckets: [{name: acme-bkt, region: test-1}, {name: acme-bkt2, region: test-2}]
    images:
      - id: m-small
        region: test-1
        name: small
        systemDisk: {sizeMiB: 16, dataMiB: 2, seed: 1}
        dataDisks: [{device: xvdb, sizeMiB: 8, dataMiB: 1, seed: 2}]
      - id: m-tiny
        region: test-1
        name: tiny
        systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 3}
      - id: m-tiny2
        region: test-2
        name: tiny2
        systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 4}
  - name: zed
    id: "2000000000000002"
    keys: [{id: AKzed, secret: SKzed}]
    roles: [{name: AliyunECSImageExportDefaultRole, trust: ecs.aliyuncs.com, policies: [AliyunECSImageExportRolePolicy]}]
    buckets: [{name: zed-bkt, region: test-1}]
    images:
      - id: m-zed
        region: test-1
        name: zed
        systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 5}
`

// newTestService is a Service on a virtual clock at t0, closed at the end of the test. Without
// fixtures it uses the defaults.
func newTestService(t testing.TB, fixtures string, opts ...Option) (*Service, *VirtualClock) {
	t.Helper()
	clock := NewVirtualClock(t0)
	opts = append([]Option{WithClock(clock)}, opts...)
	if fixtures != "" {
		f, err := ParseFixtures([]byte(fixtures))
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, WithFixtures(f))
	}
	s := New(opts...)
	t.Cleanup(func() { s.Close() })
	return s, clock
}

func export(s *Service, account, region, imageID, bucket string, more ...func(*ExportImageRequest)) (string, error) {
	req := ExportImageRequest{RegionID: P(region), ImageID: P(imageID), OSSBucket: P(bucket)}
	for _, m := range more {
		m(&req)
	}
	res, err := s.ExportImage(context.Background(), account, req)
	return res.TaskId, err
}

func mustExport(t testing.TB, s *Service, account, region, imageID, bucket string, more ...func(*ExportImageRequest)) string {
	t.Helper()
	id, err := export(s, account, region, imageID, bucket, more...)
	if err != nil {
		t.Fatalf("ExportImage(%s): %v", imageID, err)
	}
	return id
}

func attr(t testing.TB, s *Service, account, region, id string) TaskAttribute {
	t.Helper()
	a, err := s.DescribeTaskAttribute(context.Background(), account, region, id)
	if err != nil {
		t.Fatalf("DescribeTaskAttribute(%s): %v", id, err)
	}
	return a
}

// codeOf is the error row of err, or nil.
func codeOf(err error) *errcode.Code {
	var e *errcode.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return nil
}

func keys(t testing.TB, s *Service, bucket string) []string {
	t.Helper()
	objs, err := s.ListObjects(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func temporaries(t testing.TB, s *Service) []string {
	t.Helper()
	m, ok := s.Store().(*oss.Memory)
	if !ok {
		return nil
	}
	tmp, err := m.Temporaries()
	if err != nil {
		t.Fatal(err)
	}
	return tmp
}
