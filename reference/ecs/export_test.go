package ecs

import (
	"context"
	"strings"
	"testing"

	"github.com/exportimage/eic/spec/errcode"
)

// TestService_ExportImage_errorRows reaches every ExportImage error row through the default
// fixtures, one documented configuration each.
func TestService_ExportImage_errorRows(t *testing.T) {
	withPrefix := func(v string) func(*ExportImageRequest) { return func(r *ExportImageRequest) { r.OSSPrefix = P(v) } }
	withFormat := func(v string) func(*ExportImageRequest) { return func(r *ExportImageRequest) { r.ImageFormat = P(v) } }
	withRole := func(v string) func(*ExportImageRequest) { return func(r *ExportImageRequest) { r.RoleName = P(v) } }
	cases := []struct {
		name                           string
		account, region, image, bucket string
		more                           []func(*ExportImageRequest)
		setup                          func(t *testing.T, s *Service)
		want                           *errcode.Code
		detail                         string // substring of the message, for template rows
	}{
		{name: "missing RegionId", account: "demo", image: "m-eic-custom", bucket: "eic-export", want: errcode.MissingRegionID},
		{name: "missing ImageId", account: "demo", region: "cn-hangzhou", bucket: "eic-export", want: errcode.MissingImageID},
		{name: "missing OSSBucket", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", want: errcode.MissingOSSBucket},
		{name: "prefix with a dash", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export", more: fns(withPrefix("a-b")), want: errcode.InvalidOSSPrefix},
		{name: "prefix empty", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export", more: fns(withPrefix("")), want: errcode.InvalidOSSPrefix},
		{name: "prefix 31 chars", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export", more: fns(withPrefix(strings.Repeat("a", 31))), want: errcode.InvalidOSSPrefix},
		{name: "format upper case", account: "demo", region: "ap-southeast-1", image: "m-eic-sg-custom", bucket: "eic-export-sg", more: fns(withFormat("VHD")), want: errcode.InvalidImageFormat},
		{name: "format empty", account: "demo", region: "ap-southeast-1", image: "m-eic-sg-custom", bucket: "eic-export-sg", more: fns(withFormat("")), want: errcode.InvalidImageFormat},
		{name: "unknown region", account: "demo", region: "cn-nowhere", image: "m-eic-custom", bucket: "eic-export", want: errcode.InvalidRegionID},
		{name: "region without export", account: "demo", region: "cn-wulanchabu", image: "m-eic-custom", bucket: "eic-export", want: errcode.RegionNotSupport},
		{name: "format not honoured", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export", more: fns(withFormat("qcow2")), want: errcode.FormatRegionNotSupported},
		{name: "not allow-listed", account: "nowhitelist", region: "cn-hangzhou", image: "m-eic-custom-nowhitelist", bucket: "eic-export-nowhitelist", want: errcode.UserNotInTheWhiteList},
		{name: "unknown image", account: "demo", region: "cn-hangzhou", image: "m-nothere", bucket: "eic-export", want: errcode.InvalidImageID},
		{name: "another account's image", account: "demo", region: "cn-hangzhou", image: "m-eic-other", bucket: "eic-export", want: errcode.InvalidImageID},
		{name: "image of another region", account: "demo", region: "cn-hangzhou", image: "m-eic-sg-custom", bucket: "eic-export", want: errcode.InvalidImageID},
		{name: "legacy image name", account: "demo", region: "cn-hangzhou", image: "m-eic-badname", bucket: "eic-export", want: errcode.InvalidImageName},
		{name: "marketplace image", account: "demo", region: "cn-hangzhou", image: "m-eic-marketplace", bucket: "eic-export", want: errcode.MarketImageForbidden},
		{name: "market-derived image", account: "demo", region: "cn-hangzhou", image: "m-eic-market-derived", bucket: "eic-export", want: errcode.MarketDerivedImage},
		{name: "encrypted image", account: "demo", region: "cn-hangzhou", image: "m-eic-encrypted", bucket: "eic-export", want: errcode.EncryptedImage},
		{name: "licence", account: "demo", region: "cn-hangzhou", image: "m-eic-licensed", bucket: "eic-export", want: errcode.ImageLicenseNotSupported, detail: "licence"},
		{name: "creating", account: "demo", region: "cn-hangzhou", image: "m-eic-creating", bucket: "eic-export", want: errcode.IncorrectImageStatus},
		{name: "data disks denied in cn-shanghai", account: "demo", region: "cn-shanghai", image: "m-eic-sh-datadisks", bucket: "eic-export-sh", want: errcode.OperationDenied},
		{name: "5 data disks", account: "demo", region: "ap-southeast-1", image: "m-eic-datadisks5", bucket: "eic-export-sg", want: errcode.DiskAmountOrSize, detail: "the image has 5 data disks; at most 4 can be exported"},
		{name: "501 GiB data disk", account: "demo", region: "ap-southeast-1", image: "m-eic-datadisk501", bucket: "eic-export-sg", want: errcode.DiskAmountOrSize, detail: "data disk xvdb is 501 GiB"},
		{name: "role missing", account: "norole", region: "cn-hangzhou", image: "m-eic-custom-norole", bucket: "eic-export-norole", want: errcode.NoSetRole},
		{name: "role trusts oss", account: "badtrust", region: "cn-hangzhou", image: "m-eic-custom-badtrust", bucket: "eic-export-badtrust", want: errcode.NoSetRole},
		{name: "policy lacks ListParts", account: "noperm", region: "cn-hangzhou", image: "m-eic-custom-noperm", bucket: "eic-export-noperm", want: errcode.NoSetRole},
		{name: "other RoleName", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export", more: fns(withRole("MyExportRole")), want: errcode.NoSetRole},
		{name: "another existing role with the right trust and permission", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export", more: fns(withRole("EicCustomExportRole"), func(r *ExportImageRequest) { r.DryRun = true }), want: errcode.DryRunOperation},
		{name: "empty RoleName", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export", more: fns(withRole("")), want: errcode.NoSetRole},
		{name: "bucket missing", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-nothere", want: errcode.BucketNotFound},
		{name: "another account's bucket", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-other", want: errcode.BucketNotFound},
		{name: "bucket in another region", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export-bj", want: errcode.BucketNotMatched, detail: "cn-beijing"},
		{name: "image exporting", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export",
			setup: func(t *testing.T, s *Service) { mustExport(t, s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export") }, want: errcode.ImageIsExporting},
		{name: "unreadable snapshot", account: "demo", region: "cn-hangzhou", image: "m-eic-broken", bucket: "eic-export", want: errcode.ExportImageFailed},
		{name: "fail-submit", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export",
			setup: func(t *testing.T, s *Service) { mustInject(t, s, Fault{Kind: FaultFailSubmit, Account: "demo"}) }, want: errcode.ExportImageFailed},
		{name: "concurrent quota", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export",
			setup: func(t *testing.T, s *Service) {
				mustSetQuota(t, s, "demo", "cn-hangzhou", 0, 100)
			}, want: errcode.ConcurrentQuotaExceed, detail: "0 export tasks are in progress in cn-hangzhou; the limit is 0"},
		{name: "weekly quota", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export",
			setup: func(t *testing.T, s *Service) {
				mustSetQuota(t, s, "demo", "cn-hangzhou", 5, 1)
				id := mustExport(t, s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export")
				if err := s.CancelTask(context.Background(), "demo", "cn-hangzhou", id); err != nil {
					t.Fatal(err)
				}
			}, want: errcode.WeeklyQuotaExceed, detail: "1 export tasks were submitted in cn-hangzhou in the last 7 days; the limit is 1"},
		{name: "dry run", account: "demo", region: "cn-hangzhou", image: "m-eic-custom", bucket: "eic-export",
			more: fns(func(r *ExportImageRequest) { r.DryRun = true }), want: errcode.DryRunOperation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestService(t, "")
			if c.setup != nil {
				c.setup(t, s)
			}
			req := ExportImageRequest{}
			if c.region != "" {
				req.RegionID = P(c.region)
			}
			if c.image != "" {
				req.ImageID = P(c.image)
			}
			if c.bucket != "" {
				req.OSSBucket = P(c.bucket)
			}
			for _, m := range c.more {
				m(&req)
			}
			_, err := s.ExportImage(context.Background(), c.account, req)
			if got := codeOf(err); got != c.want {
				t.Fatalf("error = %v, want row %s (%s)", err, c.want.ID, c.want.Wire)
			}
			if c.detail != "" && !strings.Contains(err.(*errcode.Error).Message, c.detail) {
				t.Errorf("message = %q, want it to contain %q", err.(*errcode.Error).Message, c.detail)
			}
			if !c.want.Matches(err.(*errcode.Error).Message) {
				t.Errorf("message %q does not match row %s", err.(*errcode.Error).Message, c.want.ID)
			}
		})
	}
}

func fns(f ...func(*ExportImageRequest)) []func(*ExportImageRequest) { return f }

func mustInject(t testing.TB, s *Service, f Fault) {
	t.Helper()
	if err := s.InjectFault(f); err != nil {
		t.Fatal(err)
	}
}

func mustSetQuota(t testing.TB, s *Service, account, region string, c, w int) {
	t.Helper()
	if err := s.SetQuota(account, region, c, w); err != nil {
		t.Fatal(err)
	}
}

// TestService_ExportImage_rowsCovered fails when an ExportImage row of the error table has no
// case in the table above (every seed and current-doc row must be reachable).
func TestService_ExportImage_rowsCovered(t *testing.T) {
	reached := map[string]bool{}
	for _, c := range []*errcode.Code{errcode.MissingRegionID, errcode.MissingImageID, errcode.MissingOSSBucket, errcode.InvalidImageName,
		errcode.InvalidOSSPrefix, errcode.InvalidRegionID, errcode.RegionNotSupport, errcode.InvalidImageID, errcode.IncorrectImageStatus,
		errcode.MarketImageForbidden, errcode.InvalidImageFormat, errcode.ImageIsExporting, errcode.ExportImageFailed,
		errcode.UserNotInTheWhiteList, errcode.NoSetRole, errcode.BucketNotFound, errcode.OperationDenied, errcode.DiskAmountOrSize,
		errcode.EncryptedImage, errcode.MarketDerivedImage, errcode.BucketNotMatched, errcode.ConcurrentQuotaExceed,
		errcode.WeeklyQuotaExceed, errcode.ImageLicenseNotSupported, errcode.FormatRegionNotSupported} {
		reached[c.ID] = true
	}
	for _, c := range errcode.Codes() {
		if (c.Source == "seed" || c.Source == "current-doc") && !reached[c.ID] {
			t.Errorf("row %s (%s) has no case", c.ID, c.Wire)
		}
	}
}

// TestService_ExportImage_precedence combines faults: the earlier check of the documented
// order wins.
func TestService_ExportImage_precedence(t *testing.T) {
	cases := []struct {
		name                           string
		account, region, image, bucket string
		more                           func(*ExportImageRequest)
		want                           *errcode.Code
	}{
		{"missing bucket beats bad prefix", "demo", "cn-hangzhou", "m-eic-custom", "", func(r *ExportImageRequest) { r.OSSPrefix = P("a b") }, errcode.MissingOSSBucket},
		{"prefix beats format", "demo", "cn-hangzhou", "m-eic-custom", "eic-export", func(r *ExportImageRequest) { r.OSSPrefix = P("-"); r.ImageFormat = P("zip") }, errcode.InvalidOSSPrefix},
		{"format beats unknown region", "demo", "cn-nowhere", "m-eic-custom", "eic-export", func(r *ExportImageRequest) { r.ImageFormat = P("zip") }, errcode.InvalidImageFormat},
		{"region beats allow list", "nowhitelist", "cn-wulanchabu", "m-eic-custom-nowhitelist", "eic-export-nowhitelist", nil, errcode.RegionNotSupport},
		{"allow list beats image", "nowhitelist", "cn-hangzhou", "m-nothere", "eic-nothere", nil, errcode.UserNotInTheWhiteList},
		{"image properties beat role", "demo", "cn-hangzhou", "m-eic-encrypted", "eic-export", func(r *ExportImageRequest) { r.RoleName = P("x") }, errcode.EncryptedImage},
		{"name beats marketplace", "demo", "cn-hangzhou", "m-eic-badname", "eic-export", nil, errcode.InvalidImageName},
		{"marketplace beats bucket", "demo", "cn-hangzhou", "m-eic-marketplace", "eic-nothere", nil, errcode.MarketImageForbidden},
		{"data disks beat role name", "demo", "ap-southeast-1", "m-eic-datadisks5", "eic-export-sg", func(r *ExportImageRequest) { r.RoleName = P("x") }, errcode.DiskAmountOrSize},
		{"role beats bucket", "demo", "cn-hangzhou", "m-eic-custom", "eic-export-bj", func(r *ExportImageRequest) { r.RoleName = P("x") }, errcode.NoSetRole},
		{"bucket beats unreadable source", "demo", "cn-hangzhou", "m-eic-broken", "eic-nothere", nil, errcode.BucketNotFound},
		{"unreadable beats dry run", "demo", "cn-hangzhou", "m-eic-broken", "eic-export", func(r *ExportImageRequest) { r.DryRun = true }, errcode.ExportImageFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestService(t, "")
			req := ExportImageRequest{RegionID: P(c.region), ImageID: P(c.image)}
			if c.bucket != "" {
				req.OSSBucket = P(c.bucket)
			}
			if c.more != nil {
				c.more(&req)
			}
			_, err := s.ExportImage(context.Background(), c.account, req)
			if got := codeOf(err); got != c.want {
				t.Fatalf("error = %v, want %s (%s)", err, c.want.ID, c.want.Wire)
			}
		})
	}
	t.Run("exporting beats quota", func(t *testing.T) {
		s, _ := newTestService(t, "")
		mustExport(t, s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export")
		mustSetQuota(t, s, "demo", "cn-hangzhou", 0, 0)
		if _, err := export(s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export"); codeOf(err) != errcode.ImageIsExporting {
			t.Fatalf("error = %v, want ImageIsExporting", err)
		}
	})
	t.Run("concurrent beats weekly", func(t *testing.T) {
		s, _ := newTestService(t, "")
		mustSetQuota(t, s, "demo", "cn-hangzhou", 0, 0)
		if _, err := export(s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export"); codeOf(err) != errcode.ConcurrentQuotaExceed {
			t.Fatalf("error = %v, want ConcurrentQuotaExceed", err)
		}
	})
	t.Run("quota beats dry run", func(t *testing.T) {
		s, _ := newTestService(t, "")
		mustSetQuota(t, s, "demo", "cn-hangzhou", 5, 0)
		_, err := export(s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export", func(r *ExportImageRequest) { r.DryRun = true })
		if codeOf(err) != errcode.WeeklyQuotaExceed {
			t.Fatalf("error = %v, want WeeklyQuotaExceed", err)
		}
	})
}

// TestService_ExportImage_dryRunChangesNothing: no task, no quota used, no object.
func TestService_ExportImage_dryRunChangesNothing(t *testing.T) {
	s, _ := newTestService(t, "")
	mustSetQuota(t, s, "demo", "cn-hangzhou", 1, 1)
	for range 3 {
		_, err := export(s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export", func(r *ExportImageRequest) { r.DryRun = true })
		if codeOf(err) != errcode.DryRunOperation {
			t.Fatalf("error = %v, want DryRunOperation", err)
		}
	}
	res, err := s.DescribeTasks(context.Background(), "demo", DescribeTasksRequest{RegionID: "cn-hangzhou", TaskAction: TaskAction})
	if err != nil || res.TotalCount != 0 {
		t.Fatalf("DescribeTasks = %d export tasks, %v; want none", res.TotalCount, err)
	}
	mustExport(t, s, "demo", "cn-hangzhou", "m-eic-custom", "eic-export") // the quota of 1 is untouched
}
