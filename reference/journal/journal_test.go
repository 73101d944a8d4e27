package journal_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/reference/journal"
	"github.com/exportimage/eic/reference/oss"
)

// fixtures: m-a takes 4 s of Processing (1 MiB at 256 KiB/s), m-b 12 s.
const fixtures = `
exportSpeed: 262144
regions: [{id: test-1, export: true, formats: [raw, qcow2]}]
accounts:
  - name: acme
    id: "2000000000000001"
    keys: [{id: AKacme, secret: SKacme}]
    roles: [{name: AliyunECSImageExportDefaultRole, trust: ecs.aliyuncs.com, policies: [AliyunECSImageExportRolePolicy]}]
    buckets: [{name: acme-bkt, region: test-1}]
    images:
      - {id: m-a, region: test-1, name: img-a, systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 1}}
      - {id: m-b, region: test-1, name: img-b, systemDisk: {sizeMiB: 16, dataMiB: 3, seed: 2}}
      - {id: m-c, region: test-1, name: img-c, systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 3}}
    tasks:
      - {id: t-fx-import, region: test-1, action: ImportImage, status: Waiting, created: "2026-01-01T00:00:00Z"}
`

var start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// open starts a Service on dir with a virtual clock reading clockStart.
func open(t *testing.T, dir string, clockStart time.Time) (*ecs.Service, *journal.Bolt) {
	t.Helper()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := oss.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := ecs.ParseFixtures([]byte(fixtures))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ecs.Open(ecs.WithClock(ecs.NewVirtualClock(clockStart)), ecs.WithStore(store), ecs.WithFixtures(fx), ecs.WithJournal(j))
	if err != nil {
		t.Fatal(err)
	}
	return s, j
}

func exportImage(t *testing.T, s *ecs.Service, image string) string {
	t.Helper()
	res, err := s.ExportImage(context.Background(), "acme", ecs.ExportImageRequest{RegionID: ecs.P("test-1"),
		ImageID: ecs.P(image), OSSBucket: ecs.P("acme-bkt"), OSSPrefix: ecs.P("EcsExport"), ImageFormat: ecs.P("qcow2")})
	if err != nil {
		t.Fatal(err)
	}
	return res.TaskId
}

// view is everything a client sees of the account.
type view struct {
	Now     time.Time
	Tasks   ecs.DescribeTasksResult
	Attrs   []ecs.TaskAttribute
	Objects []oss.Object
	Quota   ecs.QuotaSpec
}

func look(t *testing.T, s *ecs.Service, ids ...string) view {
	t.Helper()
	ctx := context.Background()
	v := view{Now: s.Now(), Quota: s.Quota("acme", "test-1")}
	var err error
	if v.Tasks, err = s.DescribeTasks(ctx, "acme", ecs.DescribeTasksRequest{RegionID: "test-1"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		a, err := s.DescribeTaskAttribute(ctx, "acme", "test-1", id)
		if err != nil {
			t.Fatal(err)
		}
		v.Attrs = append(v.Attrs, a)
	}
	if v.Objects, err = s.ListObjects(ctx, "acme-bkt"); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBolt_RestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	s, j := open(t, dir, start)
	ctx := context.Background()
	if err := s.SetQuota("acme", "test-1", 3, 4); err != nil {
		t.Fatal(err)
	}
	finished := exportImage(t, s, "m-a")
	s.Advance(time.Minute)
	cancelled := exportImage(t, s, "m-a")
	if err := s.CancelTask(ctx, "acme", "test-1", cancelled); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelTask(ctx, "acme", "test-1", "t-fx-import"); err != nil {
		t.Fatal(err)
	}
	processing := exportImage(t, s, "m-b")
	s.Advance(10*time.Second + 6*time.Second) // half of m-b's 12 s
	ids := []string{finished, cancelled, processing, "t-fx-import"}
	before := look(t, s, ids...)
	if got := before.Attrs[2]; got.TaskStatus != ecs.StatusProcessing || got.TaskProcess != "50%" {
		t.Fatalf("before the restart: %s %s, want Processing 50%%", got.TaskStatus, got.TaskProcess)
	}
	if len(before.Objects) != 1 {
		t.Fatalf("objects before the restart: %v, want the finished task's", before.Objects)
	}
	s.Close()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// The clock given at the restart is overridden by the saved one.
	s, j = open(t, dir, start.Add(100*time.Hour))
	after := look(t, s, ids...)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("after the restart:\n%+v\nwant\n%+v", after, before)
	}
	// The weekly quota counts the tasks of before the restart: 3 submitted, limit 4.
	s.Advance(7 * time.Second) // m-b finishes (12 s after starting)
	if a := look(t, s, processing).Attrs[0]; a.TaskStatus != ecs.StatusFinished {
		t.Errorf("the resumed export is %s %s, want Finished", a.TaskStatus, a.TaskProcess)
	}
	if objs := look(t, s).Objects; len(objs) != 2 {
		t.Errorf("objects after the resumed export: %v, want 2", objs)
	}
	exportImage(t, s, "m-c")
	if _, err := s.ExportImage(ctx, "acme", ecs.ExportImageRequest{RegionID: ecs.P("test-1"), ImageID: ecs.P("m-a"),
		OSSBucket: ecs.P("acme-bkt")}); err == nil {
		t.Error("a fifth export in the week was accepted: the restart forgot the quota usage")
	}
	s.Close()
	j.Close()

	// Reset forgets everything, and so does the next start.
	s, j = open(t, dir, start)
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	j.Close()
	s, j = open(t, dir, start)
	defer j.Close()
	defer s.Close()
	if v := look(t, s); v.Tasks.TotalCount != 1 || len(v.Objects) != 0 || v.Quota.Weekly == 4 {
		t.Errorf("after Reset and a restart: %d tasks, %d objects, quota %+v; want the fixture task only", v.Tasks.TotalCount, len(v.Objects), v.Quota)
	}
}

func TestOpen_SecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := journal.Open(dir); !errors.Is(err, journal.ErrInUse) {
		t.Errorf("second Open: %v, want ErrInUse", err)
	}
}
