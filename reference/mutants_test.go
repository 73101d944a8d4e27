package reference_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/spec"
)

// send signs c with s, lets edit change the signed request (nil for none), and returns the
// status and the code of the answer ("" on success) with its decoded body.
func (h *harness) send(s *acs.Signer, c acs.Call, edit func(r *http.Request)) (string, map[string]any) {
	h.t.Helper()
	c.Endpoint = h.srv.URL
	req, err := s.NewRequest(context.Background(), c)
	if err != nil {
		h.t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	body, err := acs.DecodeBody(resp.Header.Get("Content-Type"), data)
	if err != nil {
		h.t.Fatalf("%s: %v: %s", c.Action, err, data)
	}
	return statusCode(resp.StatusCode, body.Fields), body.Fields
}

// statusCode is "status code" of a response, "200" for a success.
func statusCode(status int, body map[string]any) string {
	if code, _ := body["Code"].(string); code != "" && status != http.StatusOK {
		return fmt.Sprintf("%d %s", status, code)
	}
	return fmt.Sprint(status)
}

// row is the "status code" a refusal with c shows.
func row(c *spec.Code) string { return fmt.Sprintf("%d %s", c.Status(), c.Wire) }

// exportAndFinish exports m-eic-custom and advances the clock until DescribeTaskAttribute
// answers Finished; it returns the task's ID.
func exportAndFinish(h *harness) string {
	h.t.Helper()
	_, body := h.call("demo", "ExportImage", exportOK)
	id, _ := body["TaskId"].(string)
	if id == "" {
		h.t.Fatalf("ExportImage: %v", body)
	}
	for range 100 {
		if _, a := h.call("demo", "DescribeTaskAttribute", "RegionId=cn-hangzhou&TaskId="+id); a["TaskStatus"] == "Finished" {
			return id
		}
		h.advance(10 * time.Second)
	}
	h.t.Fatalf("task %s not Finished after 1000 s of clock", id)
	return ""
}

// TestMutantsAndVariants checks one observable per mutant and variant on the reference built
// with it and on the default reference, so that a wrapper which stops working fails here, not
// only in the suite's teeth and precision tests. Every mutant and variant needs a case.
func TestMutantsAndVariants(t *testing.T) {
	demo := &acs.Signer{KeyID: keys["demo"][0], Secret: keys["demo"][1]}
	forged := &acs.Signer{KeyID: keys["demo"][0], Secret: "not-the-secret"}
	forgedV1 := &acs.Signer{KeyID: keys["demo"][0], Secret: "not-the-secret", Version: "v1"}
	status := func(h *harness, account, action, params string) string {
		h.t.Helper()
		return statusCode(h.call(account, action, params))
	}
	tests := []struct {
		name, kind string // kind: "mutant" or "variant"
		observe    func(h *harness) string
		def, want  string // what observe returns on the default reference, and with the option
	}{
		{"export-task-id", "mutant", func(h *harness) string {
			_, b := h.call("demo", "ExportImage", exportOK)
			return fmt.Sprintf("TaskId %t ExportTaskId %t", b["TaskId"] != nil, b["ExportTaskId"] != nil)
		}, "TaskId true ExportTaskId false", "TaskId false ExportTaskId true"},
		{"taskset-array", "mutant", func(h *harness) string {
			h.call("demo", "ExportImage", exportOK)
			_, b := h.call("demo", "DescribeTasks", "RegionId=cn-hangzhou")
			return fmt.Sprintf("%T", b["TaskSet"])
		}, "map[string]interface {}", "[]interface {}"},
		{"accept-bad-signature", "mutant", func(h *harness) string {
			var out []string
			a, _ := h.send(forged, acs.Call{Action: "DescribeRegions"}, nil)
			out = append(out, a)
			a, _ = h.send(forgedV1, acs.Call{Action: "DescribeRegions"}, nil)
			out = append(out, a)
			// V1 with its parameters, Signature among them, in a form body.
			a, _ = h.send(forgedV1, acs.Call{Action: "DescribeRegions"}, func(r *http.Request) {
				form := r.URL.Query()
				r.URL.RawQuery = ""
				body := form.Encode()
				r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			})
			out = append(out, a)
			// V3, rightly signed, with a body that is not the one signed.
			a, _ = h.send(demo, acs.Call{Action: "DescribeRegions", Form: url.Values{"AcceptLanguage": {"en-US"}}}, func(r *http.Request) {
				body := []byte(url.Values{"AcceptLanguage": {"zh-CN"}}.Encode())
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			})
			out = append(out, a)
			return strings.Join(out, ", ")
		}, strings.Repeat(row(spec.SignatureDoesNotMatch)+", ", 3) + row(spec.SignatureDoesNotMatch),
			"200, 200, 200, 200"},
		{"image-exporting-status", "mutant", func(h *harness) string {
			h.call("demo", "ExportImage", exportOK)
			return status(h, "demo", "ExportImage", exportOK) + ", " + status(h, "demo", "ExportImage", exportOK+"&Format=XML")
		}, "403 ImageIsExporting, 403 ImageIsExporting", "400 ImageIsExporting, 400 ImageIsExporting"},
		{"unchecked-oss-prefix", "mutant", func(h *harness) string {
			return status(h, "demo", "ExportImage", exportOK+"-x")
		}, row(spec.InvalidOSSPrefix), "200"},
		{"prefix-31", "mutant", func(h *harness) string {
			return status(h, "demo", "ExportImage", exportOK+"0123456789abcdefghijkl")
		}, row(spec.InvalidOSSPrefix), "200"},
		{"format-case-insensitive", "mutant", func(h *harness) string {
			return status(h, "demo", "ExportImage", exportOK+"&ImageFormat=RAW")
		}, row(spec.InvalidImageFormat), "200"},
		{"no-quota", "mutant", func(h *harness) string {
			h.must(h.ctl.SetQuota(context.Background(), "demo", "ap-southeast-1", 1, 10))
			h.call("demo", "ExportImage", "RegionId=ap-southeast-1&ImageId=m-eic-sg-custom&OSSBucket=eic-export-sg")
			return status(h, "demo", "ExportImage", "RegionId=ap-southeast-1&ImageId=m-eic-datadisks4&OSSBucket=eic-export-sg")
		}, row(spec.ConcurrentQuotaExceed), "200"},
		{"quota-off-by-one", "mutant", func(h *harness) string {
			h.must(h.ctl.SetQuota(context.Background(), "demo", "ap-southeast-1", 1, 10))
			h.call("demo", "ExportImage", "RegionId=ap-southeast-1&ImageId=m-eic-sg-custom&OSSBucket=eic-export-sg")
			return status(h, "demo", "ExportImage", "RegionId=ap-southeast-1&ImageId=m-eic-datadisks4&OSSBucket=eic-export-sg")
		}, row(spec.ConcurrentQuotaExceed), "200"},
		{"finished-without-object", "mutant", func(h *harness) string {
			exportAndFinish(h)
			objects, err := h.ctl.Objects(context.Background(), "eic-export")
			h.must(err)
			return fmt.Sprintf("%d objects", len(objects))
		}, "1 objects", "0 objects"},
		{"processing-at-once", "variant", func(h *harness) string {
			_, b := h.call("demo", "ExportImage", exportOK)
			_, a := h.call("demo", "DescribeTaskAttribute", fmt.Sprintf("RegionId=cn-hangzhou&TaskId=%v", b["TaskId"]))
			_, l := h.call("demo", "DescribeTasks", "RegionId=cn-hangzhou&TaskAction=ExportImage")
			set, _ := l["TaskSet"].(map[string]any)
			list := acs.AsList(set["Task"])
			if len(list) != 1 {
				return fmt.Sprintf("DescribeTasks: %v", l)
			}
			return fmt.Sprintf("%v %v", a["TaskStatus"], list[0].(map[string]any)["TaskStatus"])
		}, "Waiting Waiting", "Processing Processing"},
		{"lagging-cancel", "variant", func(h *harness) string {
			_, b := h.call("demo", "ExportImage", exportOK)
			id := fmt.Sprint(b["TaskId"])
			h.call("demo", "CancelTask", "RegionId=cn-hangzhou&TaskId="+id)
			var seen []string
			for range 3 {
				_, a := h.call("demo", "DescribeTaskAttribute", "RegionId=cn-hangzhou&TaskId="+id)
				seen = append(seen, fmt.Sprint(a["TaskStatus"]))
			}
			return strings.Join(seen, " ")
		}, "Deleted Deleted Deleted", "Processing Processing Deleted"},
		{"current-doc-messages", "variant", func(h *harness) string {
			_, b := h.call("demo", "ExportImage", "RegionId=cn-hangzhou&ImageId=m-nope&OSSBucket=eic-export")
			return fmt.Sprint(b["Message"])
		}, "The specified ImageId does not exist.", "The specified image m-nope does not exist."},
		{"bucket-region-not-found", "variant", func(h *harness) string {
			return status(h, "demo", "ExportImage", "RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-export-bj")
		}, row(spec.BucketNotMatched), row(spec.BucketNotFound)},
		{"dryrun-ignored", "variant", func(h *harness) string {
			return status(h, "demo", "ExportImage", exportOK+"&DryRun=true")
		}, row(spec.DryRunOperation), "200"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.kind+" "+tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			opt := reference.WithMutant(tt.name)
			if tt.kind == "variant" {
				opt = reference.WithVariant(tt.name)
			}
			for _, c := range []struct {
				label string
				opts  []reference.Option
				want  string
			}{{"default", nil, tt.def}, {tt.kind, []reference.Option{opt}, tt.want}} {
				h := start(t, c.opts...)
				if got := tt.observe(h); got != c.want {
					t.Errorf("%s: got %q, want %q", c.label, got, c.want)
				}
			}
		})
	}
	for _, name := range reference.Mutants() {
		if !covered["mutant "+name] {
			t.Errorf("mutant %s has no case", name)
		}
	}
	for _, name := range reference.Variants() {
		if !covered["variant "+name] {
			t.Errorf("variant %s has no case", name)
		}
	}
}
