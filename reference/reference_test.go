package reference_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecsclient "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/internal/control"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/spec"
)

// Keys of the built-in fixtures (docs/reference.md).
var keys = map[string][2]string{
	"demo":        {"LTAI5tEicDemoKey0000001", "EicDemoSecret00000000000000001"},
	"other":       {"LTAI5tEicOtherKey000002", "EicOtherSecret0000000000000002"},
	"nowhitelist": {"LTAI5tEicNoWhiteKey0003", "EicNoWhiteSecret00000000000003"},
	"norole":      {"LTAI5tEicNoRoleKey00004", "EicNoRoleSecret000000000000004"},
	"badtrust":    {"LTAI5tEicBadTrustKey005", "EicBadTrustSecret0000000000005"},
	"noperm":      {"LTAI5tEicNoPermKey00006", "EicNoPermSecret000000000000006"},
}

type harness struct {
	t   *testing.T
	srv *httptest.Server
	ctl *control.Client // the reference's control API (the client steps and fuzz use)
}

func start(t *testing.T, opts ...reference.Option) *harness {
	t.Helper()
	opts = append([]reference.Option{reference.WithVirtualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}, opts...)
	ref, err := reference.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ref)
	t.Cleanup(func() {
		srv.Close()
		ref.Close()
	})
	return &harness{t: t, srv: srv, ctl: &control.Client{Base: srv.URL, Token: ref.ControlToken(), HTTP: srv.Client()}}
}

// call sends a V3-signed action as account and returns the status and decoded body.
func (h *harness) call(account, action string, params string) (int, map[string]any) {
	h.t.Helper()
	return h.callWith(h.srv.Client(), account, action, params)
}

func (h *harness) callWith(client *http.Client, account, action string, params string) (int, map[string]any) {
	h.t.Helper()
	v, err := url.ParseQuery(params)
	if err != nil {
		h.t.Fatal(err)
	}
	k := keys[account]
	s := &acs.Signer{KeyID: k[0], Secret: k[1]}
	req, err := s.NewRequest(context.Background(), acs.Call{Endpoint: h.srv.URL, Action: action, Params: v})
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	body, err := acs.DecodeBody(resp.Header.Get("Content-Type"), data)
	if err != nil {
		h.t.Fatalf("%s: %v: %s", action, err, data)
	}
	return resp.StatusCode, body.Fields
}

// must stops the test when a control API call fails.
func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) advance(d time.Duration) {
	_, err := h.ctl.Advance(context.Background(), d)
	h.must(err)
}

const exportOK = "RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-export&OSSPrefix=EcsExport"

// TestServer_ErrorRows reaches every ExportImage error row of the document through the HTTP
// API with signed requests, each by the documented configuration of docs/reference.md.
func TestServer_ErrorRows(t *testing.T) {
	tests := []struct {
		row     *spec.Code
		account string
		params  string
		setup   func(h *harness)
	}{
		{spec.MissingRegionID, "demo", "ImageId=m-eic-custom&OSSBucket=eic-export", nil},
		{spec.MissingImageID, "demo", "RegionId=cn-hangzhou&OSSBucket=eic-export", nil},
		{spec.MissingOSSBucket, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-custom", nil},
		{spec.InvalidImageName, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-badname&OSSBucket=eic-export", nil},
		{spec.InvalidOSSPrefix, "demo", exportOK + "x-y", nil},
		{spec.InvalidRegionID, "demo", "RegionId=mars-1&ImageId=m-eic-custom&OSSBucket=eic-export", nil},
		{spec.RegionNotSupport, "demo", "RegionId=cn-wulanchabu&ImageId=m-eic-custom&OSSBucket=eic-export", nil},
		{spec.InvalidImageID, "demo", "RegionId=cn-hangzhou&ImageId=m-nope&OSSBucket=eic-export", nil},
		{spec.InvalidImageID, "other", "RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-other", nil},
		{spec.IncorrectImageStatus, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-creating&OSSBucket=eic-export", nil},
		{spec.MarketImageForbidden, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-marketplace&OSSBucket=eic-export", nil},
		{spec.InvalidImageFormat, "demo", exportOK + "&ImageFormat=RAW", nil},
		{spec.ImageIsExporting, "demo", exportOK, func(h *harness) { h.call("demo", "ExportImage", exportOK) }},
		{spec.ExportImageFailed, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-broken&OSSBucket=eic-export", nil},
		{spec.ExportImageFailed, "demo", exportOK, func(h *harness) {
			h.must(h.ctl.Fault(context.Background(), map[string]any{"kind": "fail-submit", "account": "demo"}))
		}},
		{spec.UserNotInTheWhiteList, "nowhitelist", "RegionId=cn-hangzhou&ImageId=m-eic-custom-nowhitelist&OSSBucket=eic-export-nowhitelist", nil},
		{spec.NoSetRole, "norole", "RegionId=cn-hangzhou&ImageId=m-eic-custom-norole&OSSBucket=eic-export-norole", nil},
		{spec.NoSetRole, "badtrust", "RegionId=cn-hangzhou&ImageId=m-eic-custom-badtrust&OSSBucket=eic-export-badtrust", nil},
		{spec.NoSetRole, "noperm", "RegionId=cn-hangzhou&ImageId=m-eic-custom-noperm&OSSBucket=eic-export-noperm", nil},
		{spec.NoSetRole, "demo", exportOK + "&RoleName=MyExportRole", nil},
		{spec.BucketNotFound, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=no-such-bucket", nil},
		{spec.OperationDenied, "demo", "RegionId=cn-shanghai&ImageId=m-eic-sh-datadisks&OSSBucket=eic-export-sh", nil},
		{spec.DiskAmountOrSize, "demo", "RegionId=ap-southeast-1&ImageId=m-eic-datadisks5&OSSBucket=eic-export-sg", nil},
		{spec.DiskAmountOrSize, "demo", "RegionId=ap-southeast-1&ImageId=m-eic-datadisk501&OSSBucket=eic-export-sg", nil},
		{spec.EncryptedImage, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-encrypted&OSSBucket=eic-export", nil},
		{spec.MarketDerivedImage, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-market-derived&OSSBucket=eic-export", nil},
		{spec.BucketNotMatched, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-export-bj", nil},
		{spec.ConcurrentQuotaExceed, "demo", "RegionId=ap-southeast-1&ImageId=m-eic-sg-custom&OSSBucket=eic-export-sg", func(h *harness) {
			h.must(h.ctl.SetQuota(context.Background(), "demo", "ap-southeast-1", 1, 10))
			h.call("demo", "ExportImage", exportOK)
			h.call("demo", "ExportImage", "RegionId=ap-southeast-1&ImageId=m-eic-datadisks4&OSSBucket=eic-export-sg")
		}},
		{spec.WeeklyQuotaExceed, "demo", exportOK, func(h *harness) {
			h.must(h.ctl.SetQuota(context.Background(), "demo", "cn-hangzhou", 5, 1))
			h.call("demo", "ExportImage", exportOK)
			h.advance(time.Hour) // the first export is over: only the weekly quota is left to hit
		}},
		{spec.ImageLicenseNotSupported, "demo", "RegionId=cn-hangzhou&ImageId=m-eic-licensed&OSSBucket=eic-export", nil},
		{spec.FormatRegionNotSupported, "demo", exportOK + "&ImageFormat=qcow2", nil},
		{spec.DryRunOperation, "demo", exportOK + "&DryRun=true", nil},
	}
	reached := map[*spec.Code]bool{}
	h := start(t)
	for _, tt := range tests {
		t.Run(tt.row.ID+"_"+tt.account, func(t *testing.T) {
			h.t = t
			h.must(h.ctl.Reset(context.Background()))
			if tt.setup != nil {
				tt.setup(h)
			}
			status, body := h.call(tt.account, "ExportImage", tt.params)
			code, _ := body["Code"].(string)
			msg, _ := body["Message"].(string)
			if code != tt.row.Wire || status != tt.row.Status() || !tt.row.Matches(msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", status, code, msg, tt.row.Status(), tt.row.Wire, tt.row.Message())
			}
			reached[tt.row] = true
		})
	}
	for _, c := range spec.Codes() {
		if (c.Source == "seed" || c.Source == "current-doc") && !reached[c] {
			t.Errorf("error row %s (%s %q) is not reached by any case", c.ID, c.Wire, c.Message())
		}
	}
}

// TestServer_OfficialSDKExport drives a whole export with the official SDK in both signing
// modes: ExportImage, DescribeTaskAttribute until Finished, then the object in the bucket,
// read back to the source disk's checksum.
func TestServer_OfficialSDKExport(t *testing.T) {
	for _, mode := range []struct{ name, algorithm, format string }{{"v3-qcow2", "", "qcow2"}, {"v1-vmdk", "v2", "vmdk"}} {
		t.Run(mode.name, func(t *testing.T) {
			h := start(t)
			host := strings.TrimPrefix(h.srv.URL, "http://")
			cfg := &openapiutil.Config{
				AccessKeyId: dara.String(keys["demo"][0]), AccessKeySecret: dara.String(keys["demo"][1]),
				Endpoint: dara.String(host), Protocol: dara.String("http"), RegionId: dara.String("ap-southeast-1"),
				ReadTimeout: dara.Int(10000), ConnectTimeout: dara.Int(5), NoProxy: dara.String(host),
			}
			if mode.algorithm != "" {
				cfg.SignatureAlgorithm = dara.String(mode.algorithm)
			}
			c, err := ecsclient.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.ExportImage(&ecsclient.ExportImageRequest{
				RegionId: dara.String("ap-southeast-1"), ImageId: dara.String("m-eic-sg-custom"),
				OSSBucket: dara.String("eic-export-sg"), OSSPrefix: dara.String("EcsExport"), ImageFormat: dara.String(mode.format),
			})
			if err != nil {
				t.Fatalf("ExportImage: %v", err)
			}
			taskID := dara.StringValue(resp.Body.TaskId)
			if !strings.HasPrefix(taskID, "t-") {
				t.Fatalf("TaskId = %q", taskID)
			}
			var attr *ecsclient.DescribeTaskAttributeResponseBody
			for i := 0; i < 100; i++ {
				a, err := c.DescribeTaskAttribute(&ecsclient.DescribeTaskAttributeRequest{RegionId: dara.String("ap-southeast-1"), TaskId: dara.String(taskID)})
				if err != nil {
					t.Fatalf("DescribeTaskAttribute: %v", err)
				}
				attr = a.Body
				if dara.StringValue(attr.TaskStatus) == "Finished" {
					break
				}
				h.advance(5 * time.Second)
			}
			if got := dara.StringValue(attr.TaskStatus); got != "Finished" {
				t.Fatalf("task status = %q after 500 s of clock", got)
			}
			if got := dara.StringValue(attr.SupportCancel); got != "false" {
				t.Errorf("SupportCancel = %q, want \"false\"", got)
			}
			want := "EcsExport_m-eic-sg-custom_system." + mode.format
			items := attr.OperationProgressSet.OperationProgress[0].RelatedItemSet.RelatedItem
			if len(items) == 0 || dara.StringValue(items[0].Value) != want {
				t.Fatalf("RelatedItem = %v, want %s", items, want)
			}
			disks, err := h.ctl.Disks(context.Background(), "m-eic-sg-custom")
			h.must(err)
			data, err := h.ctl.Object(context.Background(), "eic-export-sg", want)
			if err != nil {
				t.Fatalf("object %s: %v", want, err)
			}
			img, err := diskimage.Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("open export: %v", err)
			}
			if img.Format() != diskimage.Format(mode.format) || img.Size() != disks[0].Size {
				t.Errorf("export is %s of %d bytes, want %s of %d", img.Format(), img.Size(), mode.format, disks[0].Size)
			}
			sum, err := diskimage.Checksum(img)
			if err != nil || sum != disks[0].SHA256 {
				t.Errorf("round trip sha256 = %s (%v), want %s", sum, err, disks[0].SHA256)
			}
		})
	}
}

func TestServer_ControlAPIIsSeparate(t *testing.T) {
	h := start(t)
	for _, path := range []string{"reset", "clock", "accounts"} {
		req, _ := http.NewRequest("GET", h.srv.URL+"/_reference/"+path, nil)
		req.Header.Set("Authorization", "Bearer wrong")
		res, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", path, res.StatusCode)
		}
	}
	// The ECS API does not answer control paths, and the control API does not answer ECS calls.
	status, body := h.call("demo", "DescribeRegions", "")
	if status != 200 || body["Regions"] == nil {
		t.Errorf("DescribeRegions: %d %v", status, body)
	}
}

func TestWithMutant(t *testing.T) {
	for _, name := range reference.Mutants() {
		if reference.MutantDescription(name) == "" {
			t.Errorf("mutant %s has no description", name)
		}
		if _, err := reference.New(reference.WithMutant(name)); err != nil {
			t.Errorf("WithMutant(%s): %v", name, err)
		}
	}
	if _, err := reference.New(reference.WithMutant("nonsense")); err == nil {
		t.Error("an unknown mutant was accepted")
	}
	// Each mutant really changes behaviour: one quick observable per mutant.
	h := start(t, reference.WithMutant("export-task-id"))
	if _, body := h.call("demo", "ExportImage", exportOK); body["TaskId"] != nil || body["ExportTaskId"] == nil {
		t.Errorf("export-task-id: %v", body)
	}
	h = start(t, reference.WithMutant("unchecked-oss-prefix"))
	if status, body := h.call("demo", "ExportImage", exportOK+"-x"); status != 200 {
		t.Errorf("unchecked-oss-prefix: %d %v", status, body)
	}
}

// TestServer_ConcurrentClients runs 32 signed clients against one server for a bounded time —
// exporting, cancelling and describing while the virtual clock moves — then checks the
// invariants: no 5xx, quotas never exceeded, every task accounted for once, objects for
// Finished tasks only.
func TestServer_ConcurrentClients(t *testing.T) {
	const accounts, clients = 8, 32
	var fx strings.Builder
	fx.WriteString("accounts:\n")
	for a := 1; a <= accounts; a++ {
		fmt.Fprintf(&fx, `  - name: load%[1]d
    id: "30000000000000%02[1]d"
    quotas: {concurrent: 2, weekly: 1000}
    keys: [{id: LTAI5tEicLoadKey%02[1]d, secret: EicLoadSecret%02[1]d}]
    roles: [{name: AliyunECSImageExportDefaultRole, trust: ecs.aliyuncs.com, policies: [AliyunECSImageExportRolePolicy]}]
    buckets: [{name: eic-load%[1]d, region: ap-southeast-1}]
    images:
      - {id: m-load%[1]d-a, region: ap-southeast-1, name: load-a, systemDisk: {sizeMiB: 64, dataMiB: 2, seed: %[1]d}}
      - {id: m-load%[1]d-b, region: ap-southeast-1, name: load-b, systemDisk: {sizeMiB: 64, dataMiB: 2, seed: 1%[1]d}}
      - {id: m-load%[1]d-c, region: ap-southeast-1, name: load-c, systemDisk: {sizeMiB: 64, dataMiB: 2, seed: 2%[1]d}}
`, a)
	}
	h := start(t, reference.WithExtraFixtures([]byte(fx.String())), reference.WithExportSpeed(1<<20))
	for a := 1; a <= accounts; a++ {
		keys[fmt.Sprintf("load%d", a)] = [2]string{fmt.Sprintf("LTAI5tEicLoadKey%02d", a), fmt.Sprintf("EicLoadSecret%02d", a)}
	}
	deadline := time.Now().Add(2 * time.Second)
	var mu sync.Mutex
	var problems []string
	report := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			account := fmt.Sprintf("load%d", c%accounts+1)
			hc := &harness{t: t, srv: h.srv, ctl: h.ctl}
			for i := 0; time.Now().Before(deadline); i++ {
				var status int
				var body map[string]any
				switch i % 4 {
				case 0, 1:
					img := fmt.Sprintf("m-%s-%c", account, 'a'+rune((c+i)%3))
					status, body = hc.call(account, "ExportImage", "RegionId=ap-southeast-1&ImageId="+img+"&OSSBucket=eic-"+account+"&ImageFormat=qcow2")
					if code, _ := body["Code"].(string); status != 200 && code != "ImageIsExporting" && code != "ConcurrentQuotaExceed.ExportImage" {
						report("ExportImage: %d %v", status, body)
					}
				case 2:
					status, body = hc.call(account, "DescribeTasks", "RegionId=ap-southeast-1&PageSize=100&TaskStatus=Processing")
					if n, _ := body["TotalCount"].(json.Number).Int64(); status == 200 && n > 2 {
						report("%s has %d Processing tasks, quota 2", account, n)
					}
				case 3:
					_, list := hc.call(account, "DescribeTasks", "RegionId=ap-southeast-1&PageSize=1")
					if id := firstTaskID(list); id != "" {
						status, body = hc.call(account, "CancelTask", "RegionId=ap-southeast-1&TaskId="+id)
						if code, _ := body["Code"].(string); status != 200 && code != "InvalidTaskId.IncorrectTaskStatus" {
							report("CancelTask: %d %v", status, body)
						}
					}
					if c == 0 {
						hc.advance(3 * time.Second)
					}
				}
				if status >= 500 {
					report("5xx: %d %v", status, body)
				}
			}
		}(c)
	}
	wg.Wait()
	h.advance(time.Hour) // let every task end
	for _, p := range problems {
		t.Error(p)
	}
	seen := map[string]bool{}
	for a := 1; a <= accounts; a++ {
		account := fmt.Sprintf("load%d", a)
		objects, err := h.ctl.Objects(context.Background(), "eic-"+account)
		h.must(err)
		keysInBucket := map[string]bool{}
		for _, o := range objects {
			keysInBucket[o.Key] = true
		}
		finishedObjects := 0
		for page := 1; ; page++ {
			_, body := h.call(account, "DescribeTasks", fmt.Sprintf("RegionId=ap-southeast-1&PageSize=100&PageNumber=%d", page))
			tasks := acs.AsList(body["TaskSet"].(map[string]any)["Task"])
			if len(tasks) == 0 {
				break
			}
			for _, x := range tasks {
				task := x.(map[string]any)
				id, status := task["TaskId"].(string), task["TaskStatus"].(string)
				if seen[id] {
					t.Errorf("task %s listed twice", id)
				}
				seen[id] = true
				want := task["ResourceId"].(string) + "_system.qcow2" // no OSSPrefix was sent
				switch status {
				case "Finished":
					finishedObjects++
					if !keysInBucket[want] {
						t.Errorf("finished task %s has no object %s", id, want)
					}
				case "Deleted", "Failed":
				default:
					t.Errorf("task %s is %s after an hour", id, status)
				}
			}
		}
		if len(objects) > finishedObjects {
			t.Errorf("%s: %d objects for %d finished tasks", account, len(objects), finishedObjects)
		}
	}
	if len(seen) == 0 {
		t.Fatal("no task was created")
	}
	t.Logf("%d tasks over %d accounts", len(seen), accounts)
}

func firstTaskID(body map[string]any) string {
	set, _ := body["TaskSet"].(map[string]any)
	for _, x := range acs.AsList(set["Task"]) {
		if task, ok := x.(map[string]any); ok {
			id, _ := task["TaskId"].(string)
			return id
		}
	}
	return ""
}

// TestServer_ServeShutsDownAndReportsTasks starts a real-clock server on a loopback listener,
// submits an export too slow to finish, cancels the context and expects a clean stop that
// names the interrupted task.
func TestServer_ServeShutsDownAndReportsTasks(t *testing.T) {
	ref, err := reference.New(reference.WithExportSpeed(1)) // one byte a second: never finishes
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		ids []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		ids, err := ref.Serve(ctx, l)
		done <- result{ids, err}
	}()
	base := "http://" + l.Addr().String()
	h := &harness{t: t, srv: &httptest.Server{URL: base}, ctl: &control.Client{Base: base, Token: ref.ControlToken()}}
	_, body := h.callWith(http.DefaultClient, "demo", "ExportImage", exportOK)
	taskID, _ := body["TaskId"].(string)
	if taskID == "" {
		t.Fatalf("ExportImage: %v", body)
	}
	cancel()
	select {
	case r := <-done:
		if r.err != nil {
			t.Errorf("Serve: %v", r.err)
		}
		if len(r.ids) != 1 || r.ids[0] != taskID {
			t.Errorf("interrupted tasks = %v, want [%s]", r.ids, taskID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}
