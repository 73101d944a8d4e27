package ecs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/spec/errcode"
)

// TestService_lifecycle follows a two-disk export in every format under the virtual clock:
// exact states and progress after each Advance, the objects' names, and a read-back whose
// checksum equals the source's.
func TestService_lifecycle(t *testing.T) {
	for _, f := range diskimage.Formats {
		t.Run(string(f), func(t *testing.T) {
			s, _ := newTestService(t, smallFixtures)
			ctx := context.Background()
			id := mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt", func(r *ExportImageRequest) {
				r.OSSPrefix, r.ImageFormat = P("Exp1"), P(string(f))
			})
			steps := []struct {
				advance time.Duration
				status  string
				process string
			}{
				{0, StatusWaiting, "0%"},
				{9 * time.Second, StatusWaiting, "0%"},
				{time.Second, StatusProcessing, "0%"},
				{3 * time.Second, StatusProcessing, "25%"}, // 0.75 of 3 MiB
				{1500 * time.Millisecond, StatusProcessing, "37%"},
				{4500 * time.Second / 1000, StatusProcessing, "75%"}, // the system disk is done at 66%
				{2999 * time.Millisecond, StatusProcessing, "99%"},
				{time.Millisecond, StatusFinished, "100%"},
				{time.Hour, StatusFinished, "100%"},
			}
			for i, st := range steps {
				if _, err := s.Advance(st.advance); err != nil {
					t.Fatal(err)
				}
				a := attr(t, s, "acme", "test-1", id)
				if a.TaskStatus != st.status || a.TaskProcess != st.process {
					t.Fatalf("step %d (+%v): %s %s, want %s %s", i, st.advance, a.TaskStatus, a.TaskProcess, st.status, st.process)
				}
				if st.status != StatusFinished && len(keys(t, s, "acme-bkt")) != 0 {
					t.Fatalf("step %d: objects visible before the task finished", i)
				}
			}
			a := attr(t, s, "acme", "test-1", id)
			want := []string{"Exp1_m-small_system." + f.Extension(), "Exp1_m-small_data_xvdb." + f.Extension()}
			var got []string
			for _, op := range a.OperationProgressSet.OperationProgress {
				if op.OperationStatus != "Success" || op.RelatedItemSet.RelatedItem[0].Name != "OSSObject" {
					t.Errorf("operation = %+v, want Success with an OSSObject", op)
				}
				got = append(got, op.RelatedItemSet.RelatedItem[0].Value)
			}
			if !slices.Equal(got, want) || a.SuccessCount != 2 || a.TotalCount != 2 {
				t.Fatalf("objects = %v (%d/%d), want %v", got, a.SuccessCount, a.TotalCount, want)
			}
			// Started at t0+10s, 3 MiB at 256 KiB/s: finished at t0+22s, shown to the minute.
			if a.CreationTime != "2026-03-01T00:00Z" || a.FinishedTime != "2026-03-01T00:00Z" ||
				!s.st.tasks[id].finished.Equal(t0.Add(22*time.Second)) {
				t.Errorf("times = %s → %s (%v), want 00:00 → 00:00 (00:00:22)", a.CreationTime, a.FinishedTime, s.st.tasks[id].finished)
			}
			stored := keys(t, s, "acme-bkt")
			slices.Sort(want)
			if !slices.Equal(stored, want) {
				t.Fatalf("bucket holds %v, want %v", stored, want)
			}
			disks, err := s.ImageDisks(ctx, "m-small")
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range disks {
				key := "Exp1_" + d.Object + "." + f.Extension()
				r, err := s.ReadObject(ctx, "acme-bkt", key)
				if err != nil {
					t.Fatal(err)
				}
				img, err := diskimage.Open(r, r.Size())
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				sum, err := diskimage.Checksum(img)
				r.Close()
				if err != nil {
					t.Fatal(err)
				}
				if img.Format() != f || img.Size() != d.Size || sum != d.SHA256 {
					t.Errorf("%s: read back %s, %d bytes, sha256 %s; want %s, %d, %s", key, img.Format(), img.Size(), sum, f, d.Size, d.SHA256)
				}
			}
			if tmp := temporaries(t, s); len(tmp) != 0 {
				t.Errorf("temporaries left: %v", tmp)
			}
		})
	}
}

// TestService_noPrefix names objects from the image ID when OSSPrefix is absent.
func TestService_noPrefix(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
	s.Advance(time.Minute)
	if got := keys(t, s, "acme-bkt"); !slices.Equal(got, []string{"m-tiny_system.raw.tar.gz"}) {
		t.Fatalf("objects = %v", got)
	}
}

// TestService_CancelTask cancels a Waiting and a Processing task: Deleted, no object, no
// temporary, slot freed, and a second cancel is IncorrectTaskStatus.
func TestService_CancelTask(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	ctx := context.Background()
	mustSetQuota(t, s, "acme", "test-1", 1, 100)
	w := mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt")
	if err := s.CancelTask(ctx, "acme", "test-1", w); err != nil {
		t.Fatal(err)
	}
	p := mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt") // the slot and the image are free again
	s.Advance(15 * time.Second)
	if a := attr(t, s, "acme", "test-1", p); a.TaskStatus != StatusProcessing || a.TaskProcess != "41%" {
		t.Fatalf("before cancel: %s %s", a.TaskStatus, a.TaskProcess)
	}
	if err := s.CancelTask(ctx, "acme", "test-1", p); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Hour)
	for _, id := range []string{w, p} {
		a := attr(t, s, "acme", "test-1", id)
		if a.TaskStatus != StatusDeleted || a.SupportCancel != "false" {
			t.Errorf("%s: %s cancel=%s, want Deleted false", id, a.TaskStatus, a.SupportCancel)
		}
		if err := s.CancelTask(ctx, "acme", "test-1", id); codeOf(err) != errcode.TaskStatusIncorrect {
			t.Errorf("second cancel: %v, want TaskStatusIncorrect", err)
		}
	}
	if a := attr(t, s, "acme", "test-1", p); a.TaskProcess != "41%" || a.FinishedTime != "2026-03-01T00:00Z" ||
		!s.st.tasks[p].finished.Equal(t0.Add(15*time.Second)) {
		t.Errorf("cancelled task: %s finished %s, want 41%% at 00:00:15", a.TaskProcess, a.FinishedTime)
	}
	if k := keys(t, s, "acme-bkt"); len(k) != 0 {
		t.Errorf("objects after cancel: %v", k)
	}
	if tmp := temporaries(t, s); len(tmp) != 0 {
		t.Errorf("temporaries after cancel: %v", tmp)
	}
	for _, c := range []struct {
		account, region, id string
		want                *errcode.Code
	}{
		{"acme", "test-1", "t-nothere", errcode.TaskNotFound},
		{"zed", "test-1", p, errcode.TaskNotFound},
		{"acme", "test-2", p, errcode.TaskNotFound},
		{"acme", "", p, errcode.MissingCommonParameter},
		{"acme", "nowhere", p, errcode.InvalidRegionID},
		{"acme", "test-1", "", errcode.MissingCommonParameter},
	} {
		if err := s.CancelTask(ctx, c.account, c.region, c.id); codeOf(err) != c.want {
			t.Errorf("CancelTask(%s, %q, %q) = %v, want %s", c.account, c.region, c.id, err, c.want.Wire)
		}
	}
}

// TestService_faults: each export fault fails the task at its percentage with the error in
// OperationProgressSet, frees the slot and leaves no object and no temporary.
func TestService_faults(t *testing.T) {
	cases := []struct {
		fault   Fault
		process string
		code    *errcode.Code
	}{
		{Fault{Kind: FaultFailExport, Account: "acme", AtPercent: 50}, "50%", errcode.ExportImageFailed},
		{Fault{Kind: FaultStoreFail, AtPercent: 30}, "30%", errcode.ExportImageFailed},
		{Fault{Kind: FaultRemoveRole, Account: "acme", AtPercent: 40}, "40%", errcode.NoSetRole},
		{Fault{Kind: FaultFailExport, Account: "acme", AtPercent: 0}, "0%", errcode.ExportImageFailed},
		{Fault{Kind: FaultFailExport, Account: "acme", AtPercent: 100}, "99%", errcode.ExportImageFailed},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s@%d", c.fault.Kind, c.fault.AtPercent), func(t *testing.T) {
			s, _ := newTestService(t, smallFixtures)
			mustSetQuota(t, s, "acme", "test-1", 1, 100)
			mustInject(t, s, c.fault)
			id := mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt", func(r *ExportImageRequest) { r.ImageFormat = P("qcow2") })
			// The fault strikes when the budget reaches ceil(AtPercent% of 3 MiB): within a
			// millisecond of AtPercent% of the 12 s.
			s.Advance(10*time.Second + 12*time.Second*time.Duration(c.fault.AtPercent)/100 - time.Millisecond)
			if a := attr(t, s, "acme", "test-1", id); c.fault.AtPercent > 0 && a.TaskStatus != StatusProcessing {
				t.Fatalf("just before the fault: %s", a.TaskStatus)
			}
			s.Advance(2 * time.Millisecond)
			a := attr(t, s, "acme", "test-1", id)
			op := a.OperationProgressSet.OperationProgress[0]
			if a.TaskStatus != StatusFailed || a.TaskProcess != c.process || op.ErrorCode != c.code.Wire || op.ErrorMsg != c.code.Message() || op.OperationStatus != "Failed" || a.FailedCount != 2 {
				t.Fatalf("after the fault: %s %s %+v", a.TaskStatus, a.TaskProcess, op)
			}
			s.Advance(time.Hour)
			if k := keys(t, s, "acme-bkt"); len(k) != 0 {
				t.Errorf("objects of a failed task: %v", k)
			}
			if tmp := temporaries(t, s); len(tmp) != 0 {
				t.Errorf("temporaries of a failed task: %v", tmp)
			}
			// The slot is free; the fault fired once.
			_, err := export(s, "acme", "test-1", "m-small", "acme-bkt")
			if c.fault.Kind == FaultRemoveRole {
				if codeOf(err) != errcode.NoSetRole {
					t.Fatalf("after remove-role: %v, want NoSetRole", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s.Advance(time.Minute)
			if k := keys(t, s, "acme-bkt"); len(k) != 2 {
				t.Errorf("second export: objects %v", k)
			}
		})
	}
}

// TestService_storeFailOtherAccount: a store-fail without account hits the next export of
// anyone; a fail-export of acme does not hit zed.
func TestService_faultScope(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	mustInject(t, s, Fault{Kind: FaultFailExport, Account: "acme", AtPercent: 10})
	z := mustExport(t, s, "zed", "test-1", "m-zed", "zed-bkt")
	a := mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
	s.Advance(time.Minute)
	if st := attr(t, s, "zed", "test-1", z).TaskStatus; st != StatusFinished {
		t.Errorf("zed: %s, want Finished", st)
	}
	if st := attr(t, s, "acme", "test-1", a).TaskStatus; st != StatusFailed {
		t.Errorf("acme: %s, want Failed", st)
	}
}

// TestService_quotas: concurrent slots free when tasks end; the weekly window rolls.
func TestService_quotas(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	mustSetQuota(t, s, "acme", "test-1", 1, 2)
	mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
	if _, err := export(s, "acme", "test-1", "m-small", "acme-bkt"); codeOf(err) != errcode.ConcurrentQuotaExceed {
		t.Fatalf("second in flight: %v, want ConcurrentQuotaExceed", err)
	}
	if _, err := export(s, "acme", "test-2", "m-tiny2", "acme-bkt2"); err != nil {
		t.Fatalf("another region has its own quota: %v", err)
	}
	s.Advance(time.Minute) // m-tiny finished
	mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt")
	s.Advance(time.Minute)
	_, err := export(s, "acme", "test-1", "m-tiny", "acme-bkt")
	if codeOf(err) != errcode.WeeklyQuotaExceed {
		t.Fatalf("third in a week: %v, want WeeklyQuotaExceed", err)
	}
	s.Advance(Week - 2*time.Minute) // the first submission is exactly a week old
	mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
}

// TestService_DescribeTasks: filters, paging, order and parameter errors.
func TestService_DescribeTasks(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	ctx := context.Background()
	mustSetQuota(t, s, "acme", "test-1", 100, 100)
	var ids []string // oldest first
	for i := range 6 {
		img := "m-tiny"
		if i%2 == 1 {
			img = "m-small"
		}
		ids = append(ids, mustExport(t, s, "acme", "test-1", img, "acme-bkt"))
		s.Advance(time.Minute) // m-tiny finishes in a minute; m-small too
	}
	mustInject(t, s, Fault{Kind: FaultFailExport, Account: "acme", AtPercent: 10})
	ids = append(ids, mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")) // fails at 00:06:10
	s.Advance(time.Minute)
	ids = append(ids, mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt")) // 00:07:00, Processing after 11 s
	s.Advance(11 * time.Second)
	mustExport(t, s, "zed", "test-1", "m-zed", "zed-bkt")

	list := func(req DescribeTasksRequest) ([]string, int) {
		t.Helper()
		req.RegionID = "test-1"
		res, err := s.DescribeTasks(ctx, "acme", req)
		if err != nil {
			t.Fatalf("%+v: %v", req, err)
		}
		var out []string
		for _, task := range res.TaskSet.Task {
			out = append(out, task.TaskId)
		}
		return out, res.TotalCount
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	check := func(name string, req DescribeTasksRequest, want []string, total int) {
		t.Helper()
		got, n := list(req)
		if !slices.Equal(got, want) || n != total {
			t.Errorf("%s: %v (%d), want %v (%d)", name, got, n, want, total)
		}
	}
	check("all", DescribeTasksRequest{}, rev, 8)
	check("page 2 of 3", DescribeTasksRequest{PageNumber: "2", PageSize: "3"}, rev[3:6], 8)
	check("page 3 of 3", DescribeTasksRequest{PageNumber: "3", PageSize: "3"}, rev[6:], 8)
	check("past the end", DescribeTasksRequest{PageNumber: "9"}, nil, 8)
	check("finished", DescribeTasksRequest{TaskStatus: "Finished"}, rev[2:], 6)
	check("failed", DescribeTasksRequest{TaskStatus: "Failed"}, rev[1:2], 1)
	check("processing", DescribeTasksRequest{TaskStatus: "Processing"}, rev[:1], 1)
	check("waiting is ignored", DescribeTasksRequest{TaskStatus: "Waiting"}, rev, 8)
	check("ids", DescribeTasksRequest{TaskIDs: ids[0] + "," + ids[3] + ",t-nothere"}, []string{ids[3], ids[0]}, 2)
	check("ids as json", DescribeTasksRequest{TaskIDs: `["` + ids[1] + `"]`}, ids[1:2], 1)
	check("ids and status", DescribeTasksRequest{TaskIDs: ids[0] + "," + ids[6], TaskStatus: "Failed"}, ids[6:7], 1)
	check("resource", DescribeTasksRequest{ResourceIDs: []string{"m-small"}}, []string{ids[7], ids[5], ids[3], ids[1]}, 4)
	check("time range", DescribeTasksRequest{StartTime: "2026-03-01T00:01:00Z", EndTime: "2026-03-01T00:03Z"}, []string{ids[3], ids[2], ids[1]}, 3)
	check("time and status", DescribeTasksRequest{StartTime: "2026-03-01T00:05:00Z", TaskStatus: "Finished"}, ids[5:6], 1)
	check("other action", DescribeTasksRequest{TaskAction: "ImportImage"}, nil, 0)
	check("export action", DescribeTasksRequest{TaskAction: "ExportImage", PageSize: "1"}, rev[:1], 8)
	check("task group", DescribeTasksRequest{TaskGroupID: "tg-1"}, nil, 0)

	res, _ := s.DescribeTasks(ctx, "acme", DescribeTasksRequest{RegionID: "test-1", TaskIDs: ids[0]})
	if task := res.TaskSet.Task[0]; task.TaskAction != "ExportImage" || task.SupportCancel != "false" || task.ResourceId != "m-tiny" ||
		task.CreationTime != "2026-03-01T00:00Z" || task.FinishedTime == "" || task.TaskStatus != StatusFinished {
		t.Errorf("task = %+v", task)
	}
	if res.PageNumber != 1 || res.PageSize != 10 || res.RegionId != "test-1" {
		t.Errorf("paging echoed as %d/%d %s", res.PageNumber, res.PageSize, res.RegionId)
	}
	many := ""
	for i := range 101 {
		many += fmt.Sprintf("t-%d,", i)
	}
	for _, c := range []struct {
		req  DescribeTasksRequest
		want *errcode.Error
	}{
		{DescribeTasksRequest{}, errcode.MissingCommonParameter.Err("RegionId")},
		{DescribeTasksRequest{RegionID: "nowhere"}, errcode.InvalidRegionID.Err()},
		{DescribeTasksRequest{RegionID: "test-1", PageNumber: "0"}, errcode.InvalidParameter.Err("PageNumber")},
		{DescribeTasksRequest{RegionID: "test-1", PageNumber: "x"}, errcode.InvalidParameter.Err("PageNumber")},
		{DescribeTasksRequest{RegionID: "test-1", PageSize: "101"}, errcode.InvalidParameter.Err("PageSize")},
		{DescribeTasksRequest{RegionID: "test-1", PageSize: "0"}, errcode.InvalidParameter.Err("PageSize")},
		{DescribeTasksRequest{RegionID: "test-1", StartTime: "yesterday"}, errcode.InvalidParameter.Err("StartTime")},
		{DescribeTasksRequest{RegionID: "test-1", EndTime: "2026-03-01"}, errcode.InvalidParameter.Err("EndTime")},
		{DescribeTasksRequest{RegionID: "test-1", TaskIDs: many}, errcode.InvalidParameter.Err("TaskIds")},
	} {
		_, err := s.DescribeTasks(ctx, "acme", c.req)
		if e, ok := err.(*errcode.Error); !ok || e.Code != c.want.Code || e.Message != c.want.Message {
			t.Errorf("%+v: %v, want %v", c.req, err, c.want)
		}
	}
}

// TestService_DescribeImages: the default filter, the owner alias, paging and the disks.
func TestService_DescribeImages(t *testing.T) {
	s, _ := newTestService(t, "")
	ctx := context.Background()
	ids := func(req DescribeImagesRequest) []string {
		t.Helper()
		res, err := s.DescribeImages(ctx, "demo", req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, im := range res.Images.Image {
			out = append(out, im.ImageId)
		}
		return out
	}
	all := ids(DescribeImagesRequest{RegionID: "cn-hangzhou", PageSize: "100"})
	if slices.Contains(all, "m-eic-creating") || slices.Contains(all, "m-eic-marketplace") || slices.Contains(all, "m-eic-other") || !slices.Contains(all, "m-eic-custom") || len(all) != 6 {
		t.Errorf("default listing = %v", all)
	}
	if got := ids(DescribeImagesRequest{RegionID: "cn-hangzhou", Status: "Creating"}); !slices.Equal(got, []string{"m-eic-creating"}) {
		t.Errorf("Status=Creating: %v", got)
	}
	if got := ids(DescribeImagesRequest{RegionID: "cn-hangzhou", ImageOwnerAlias: "marketplace"}); !slices.Equal(got, []string{"m-eic-marketplace"}) {
		t.Errorf("marketplace: %v", got)
	}
	if got := ids(DescribeImagesRequest{RegionID: "cn-hangzhou", ImageID: "m-eic-custom,m-eic-other"}); !slices.Equal(got, []string{"m-eic-custom"}) {
		t.Errorf("by id: %v", got)
	}
	if got := ids(DescribeImagesRequest{RegionID: "cn-hangzhou", PageNumber: "2", PageSize: "4"}); len(got) != 2 {
		t.Errorf("page 2: %v", got)
	}
	res, _ := s.DescribeImages(ctx, "demo", DescribeImagesRequest{RegionID: "ap-southeast-1", ImageID: "m-eic-datadisks4"})
	im := res.Images.Image[0]
	m := im.DiskDeviceMappings.DiskDeviceMapping
	if im.Size != 20 || im.ImageOwnerAlias != "self" || im.ImageOwnerId != 1000000000000001 || im.Status != "Available" || im.Progress != "100%" ||
		len(m) != 5 || m[0].Type != "system" || m[0].Size != "20" || m[1].Device != "/dev/xvdb" || m[1].Size != "500" || m[1].Type != "data" {
		t.Errorf("image = %+v", im)
	}
	for _, c := range []struct {
		req  DescribeImagesRequest
		want *errcode.Code
	}{
		{DescribeImagesRequest{}, errcode.MissingCommonParameter},
		{DescribeImagesRequest{RegionID: "xx"}, errcode.InvalidRegionID},
		{DescribeImagesRequest{RegionID: "cn-hangzhou", PageSize: "1000"}, errcode.InvalidParameter},
		{DescribeImagesRequest{RegionID: "cn-hangzhou", DryRun: true}, errcode.DryRunOperation},
	} {
		if _, err := s.DescribeImages(ctx, "demo", c.req); codeOf(err) != c.want {
			t.Errorf("%+v: %v, want %s", c.req, err, c.want.Wire)
		}
	}
}

// TestService_defaultExport exports the 4 × 500 GiB data-disk image of the default fixtures:
// the work follows the data, so it is quick, and one object per disk appears.
func TestService_defaultExport(t *testing.T) {
	s, _ := newTestService(t, "")
	id := mustExport(t, s, "demo", "ap-southeast-1", "m-eic-datadisks4", "eic-export-sg", func(r *ExportImageRequest) {
		r.OSSPrefix, r.ImageFormat = P("big"), P("qcow2")
	})
	s.Advance(10 * time.Second)
	s.Advance(time.Second) // 12 MiB of data at 64 MiB/s
	if a := attr(t, s, "demo", "ap-southeast-1", id); a.TaskStatus != StatusFinished {
		t.Fatalf("%s %s", a.TaskStatus, a.TaskProcess)
	}
	want := []string{"big_m-eic-datadisks4_data_xvdb.qcow2", "big_m-eic-datadisks4_data_xvdc.qcow2", "big_m-eic-datadisks4_data_xvdd.qcow2", "big_m-eic-datadisks4_data_xvde.qcow2", "big_m-eic-datadisks4_system.qcow2"}
	if got := keys(t, s, "eic-export-sg"); !slices.Equal(got, want) {
		t.Fatalf("objects = %v", got)
	}
}

// TestService_Reset: tasks, objects, faults, quotas and removed roles are gone; task IDs never
// repeat across the reset.
func TestService_Reset(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	first := mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
	mustInject(t, s, Fault{Kind: FaultRemoveRole, Account: "acme", AtPercent: 0})
	mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt")
	mustSetQuota(t, s, "acme", "test-1", 0, 0)
	s.Advance(time.Minute)
	if _, err := export(s, "acme", "test-1", "m-tiny", "acme-bkt"); codeOf(err) != errcode.NoSetRole {
		t.Fatalf("before reset: %v", err)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if k := keys(t, s, "acme-bkt"); len(k) != 0 {
		t.Errorf("objects after reset: %v", k)
	}
	if again := mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt"); again == first {
		t.Errorf("first ID after reset = %s, the ID of a task before the reset", again)
	}
	if _, err := s.DescribeTaskAttribute(context.Background(), "acme", "test-1", "t-nothere"); codeOf(err) != errcode.TaskNotFound {
		t.Errorf("unknown task: %v", err)
	}
}

// fixtureTasks adds tasks of other actions to smallFixtures' acme (test-1 and test-2) and zed,
// at times around the exports of TestService_fixtureTasks (one a minute from t0).
const fixtureTasks = `
    tasks:
      - {id: t-fx-old, region: test-1, action: ModifyDiskSpec, created: "2026-02-01T00:00:00Z"}
      - {id: t-fx-new, region: test-1, action: ArchiveSnapshot, created: "2026-04-01T08:00:00+08:00"}
      - {id: t-fx-mid, region: test-1, action: RedeployInstance, status: Finished, created: "2026-03-01T00:02:30Z"}
      - {id: t-fx-imp, region: test-1, action: ImportImage, status: Waiting, resource: m-imported, created: "2026-03-01T00:04:30Z"}
      - {id: t-fx-two, region: test-2, action: ModifyDiskSpec}
`

// TestService_fixtureTasks: tasks of other actions are listed in creation order among the
// exports (every page of every size), filtered like them, described with no objects, never
// progress, take no quota, and CancelTask refuses them with TaskActionNotSupport (an ImportImage
// one is cancelled).
func TestService_fixtureTasks(t *testing.T) {
	doc := strings.Replace(smallFixtures, "        systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 4}\n",
		"        systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 4}\n"+fixtureTasks, 1)
	doc = strings.Replace(doc, "    buckets: [{name: zed-bkt, region: test-1}]\n",
		"    buckets: [{name: zed-bkt, region: test-1}]\n    tasks: [{id: t-fx-zed, region: test-1, action: ModifyDiskSpec}]\n", 1)
	s, _ := newTestService(t, doc)
	ctx := context.Background()
	var ex []string // exports, oldest first: 00:00 … 00:05
	for range 6 {
		ex = append(ex, mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt"))
		s.Advance(time.Minute)
	}
	all := []string{"t-fx-new", ex[5], "t-fx-imp", ex[4], ex[3], "t-fx-mid", ex[2], ex[1], ex[0], "t-fx-old"}
	list := func(req DescribeTasksRequest) ([]string, int) {
		t.Helper()
		req.RegionID = "test-1"
		res, err := s.DescribeTasks(ctx, "acme", req)
		if err != nil {
			t.Fatalf("%+v: %v", req, err)
		}
		out := []string{}
		for _, task := range res.TaskSet.Task {
			out = append(out, task.TaskId)
		}
		return out, res.TotalCount
	}
	for size := 1; size <= len(all)+1; size++ {
		for page := 1; (page-1)*size <= len(all); page++ {
			got, n := list(DescribeTasksRequest{PageSize: strconv.Itoa(size), PageNumber: strconv.Itoa(page)})
			want := append([]string{}, all[min((page-1)*size, len(all)):min(page*size, len(all))]...)
			if !slices.Equal(got, want) || n != len(all) {
				t.Fatalf("page %d of size %d: %v (%d), want %v (%d)", page, size, got, n, want, len(all))
			}
		}
	}
	checkPage := func(name string, req DescribeTasksRequest, want []string, total int) {
		t.Helper()
		if got, n := list(req); !slices.Equal(got, want) || n != total {
			t.Errorf("%s: %v (%d), want %v (%d)", name, got, n, want, total)
		}
	}
	check := func(name string, req DescribeTasksRequest, want []string) {
		t.Helper()
		checkPage(name, req, want, len(want))
	}
	check("ModifyDiskSpec", DescribeTasksRequest{TaskAction: "ModifyDiskSpec"}, []string{"t-fx-old"})
	check("ImportImage", DescribeTasksRequest{TaskAction: "ImportImage"}, []string{"t-fx-imp"})
	check("ExportImage", DescribeTasksRequest{TaskAction: "ExportImage"}, []string{ex[5], ex[4], ex[3], ex[2], ex[1], ex[0]})
	check("unknown action", DescribeTasksRequest{TaskAction: "Bogus"}, []string{})
	check("processing", DescribeTasksRequest{TaskStatus: "Processing"}, []string{"t-fx-new", "t-fx-old"})
	checkPage("finished page 2", DescribeTasksRequest{TaskStatus: "Finished", PageSize: "3", PageNumber: "2"}, []string{"t-fx-mid", ex[2], ex[1]}, 7)
	check("resource", DescribeTasksRequest{ResourceIDs: []string{"m-imported"}}, []string{"t-fx-imp"})
	checkPage("resource of both", DescribeTasksRequest{ResourceIDs: []string{"m-imported", "m-tiny"}, PageSize: "2", PageNumber: "2"}, []string{ex[4], ex[3]}, 7)
	check("time range", DescribeTasksRequest{StartTime: "2026-03-01T00:02:00Z", EndTime: "2026-03-01T00:04Z"}, []string{"t-fx-imp", ex[4], ex[3], "t-fx-mid", ex[2]})
	check("ids", DescribeTasksRequest{TaskIDs: "t-fx-old," + ex[0] + ",t-fx-new,t-fx-zed,t-fx-two"}, []string{"t-fx-new", ex[0], "t-fx-old"})
	if got, n := list(DescribeTasksRequest{}); n != len(all) || len(got) != 10 {
		t.Errorf("zed's or test-2's task leaked into acme's test-1 listing: %v", got)
	}
	res, _ := s.DescribeTasks(ctx, "acme", DescribeTasksRequest{RegionID: "test-1", TaskIDs: "t-fx-new"})
	if task := res.TaskSet.Task[0]; task.TaskAction != "ArchiveSnapshot" || task.TaskStatus != StatusProcessing ||
		task.SupportCancel != "false" || task.CreationTime != "2026-04-01T00:00Z" || task.FinishedTime != "" || task.ResourceId != "" {
		t.Errorf("t-fx-new listed as %+v", task)
	}

	// Described with no objects; never progressing, whatever the clock does.
	s.Advance(24 * time.Hour)
	a := attr(t, s, "acme", "test-1", "t-fx-old")
	if a.TaskAction != "ModifyDiskSpec" || a.TaskStatus != StatusProcessing || a.TaskProcess != "0%" || a.SupportCancel != "false" ||
		a.TotalCount != 0 || a.OperationProgressSet.OperationProgress == nil || len(a.OperationProgressSet.OperationProgress) != 0 || a.FinishedTime != "" {
		t.Errorf("t-fx-old = %+v", a)
	}
	if a := attr(t, s, "acme", "test-1", "t-fx-mid"); a.TaskProcess != "100%" || a.FinishedTime != "2026-03-01T00:02Z" {
		t.Errorf("t-fx-mid = %+v", a)
	}
	if a := attr(t, s, "acme", "test-1", "t-fx-imp"); a.TaskStatus != StatusWaiting || a.SupportCancel != "true" {
		t.Errorf("t-fx-imp = %+v", a)
	}
	if n := s.InFlight("acme", "test-1"); n != 0 {
		t.Errorf("in flight = %d, want 0: fixture tasks take no export quota", n)
	}

	// CancelTask: the action first, then the state; another account's or region's is not found.
	for _, c := range []struct {
		account, region, id string
		want                *errcode.Code
	}{
		{"acme", "test-1", "t-fx-old", errcode.TaskActionNotSupport},
		{"acme", "test-1", "t-fx-mid", errcode.TaskActionNotSupport},
		{"acme", "test-1", ex[0], errcode.TaskStatusIncorrect},
		{"acme", "test-1", "t-fx-zed", errcode.TaskNotFound},
		{"acme", "test-1", "t-fx-two", errcode.TaskNotFound},
		{"acme", "test-2", "t-fx-two", errcode.TaskActionNotSupport},
		{"acme", "test-1", "t-eic-no-such-task", errcode.TaskNotFound},
		{"acme", "test-1", "t-fx-imp", nil},
		{"acme", "test-1", "t-fx-imp", errcode.TaskStatusIncorrect},
	} {
		if err := s.CancelTask(ctx, c.account, c.region, c.id); codeOf(err) != c.want {
			t.Errorf("CancelTask(%s, %s, %s) = %v, want %v", c.account, c.region, c.id, err, c.want)
		}
	}
	if a := attr(t, s, "acme", "test-1", "t-fx-imp"); a.TaskStatus != StatusDeleted || a.SupportCancel != "false" || a.FinishedTime != s.Now().Format(TaskTimeLayout) {
		t.Errorf("cancelled t-fx-imp = %+v", a)
	}
	check("deleted import", DescribeTasksRequest{TaskAction: "ImportImage"}, []string{"t-fx-imp"})

	// Reset brings the fixture tasks back as they were.
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if a := attr(t, s, "acme", "test-1", "t-fx-imp"); a.TaskStatus != StatusWaiting {
		t.Errorf("after Reset t-fx-imp is %s", a.TaskStatus)
	}
	check("after Reset", DescribeTasksRequest{}, []string{"t-fx-new", "t-fx-imp", "t-fx-mid", "t-fx-old"})
}
