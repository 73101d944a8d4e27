package reference_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/reference"
)

// TestServer_HTTPClient: with nothing listening, HTTPClient reaches the ECS API and the
// control API, and OSSHTTPClient the OSS API.
func TestServer_HTTPClient(t *testing.T) {
	ref, err := reference.New(reference.WithVirtualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	c := ref.HTTPClient()
	s := &acs.Signer{KeyID: keys["demo"][0], Secret: keys["demo"][1]}
	call := func(action string, params url.Values) map[string]any {
		t.Helper()
		req, err := s.NewRequest(context.Background(), acs.Call{Endpoint: "http://ecs.eic.invalid", Action: action, Params: params})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		body, err := acs.DecodeBody(resp.Header.Get("Content-Type"), data)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %s %v: %s", action, resp.Status, err, data)
		}
		return body.Fields
	}
	if body := call("DescribeRegions", nil); body["Regions"] == nil {
		t.Errorf("DescribeRegions: %v", body)
	}
	id := call("ExportImage", url.Values{"RegionId": {"cn-hangzhou"}, "ImageId": {"m-eic-custom"}, "OSSBucket": {"eic-export"}})["TaskId"]
	if _, err := ref.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if a := call("DescribeTaskAttribute", url.Values{"RegionId": {"cn-hangzhou"}, "TaskId": {id.(string)}}); a["TaskStatus"] != "Finished" {
		t.Fatalf("task %v after an hour: %v", id, a)
	}
	// The control API streams the object back.
	req, _ := http.NewRequest(http.MethodGet, "http://ecs.eic.invalid/_reference/buckets/eic-export/objects/m-eic-custom_system.raw.tar.gz", nil)
	req.Header.Set("Authorization", "Bearer "+ref.ControlToken())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || n == 0 || n != resp.ContentLength {
		t.Errorf("object: %s, read %d of %d bytes: %v", resp.Status, n, resp.ContentLength, err)
	}
	// The OSS client reaches the OSS API, which refuses an anonymous listing in its own way.
	for name, c := range map[string]*http.Client{"ECS": ref.HTTPClient(), "OSS": ref.OSSHTTPClient()} {
		resp, err := c.Get("http://oss-cn-hangzhou.eic.invalid/eic-export/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, want := resp.Header.Get("x-oss-request-id") != "", name == "OSS"; got != want {
			t.Errorf("%s client: x-oss-request-id sent %t, want %t", name, got, want)
		}
	}
}
