package fuzz

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
)

var (
	fuzzOnce    sync.Once
	fuzzSession *Session
	fuzzErr     error
)

// fuzzTarget is one embedded reference shared by every input of a fuzz process.
func fuzzTarget(t *testing.T) *Session {
	fuzzOnce.Do(func() {
		var e *Embedded
		if e, fuzzErr = NewEmbedded(); fuzzErr != nil {
			return
		}
		fuzzSession = e.Session(false)
		fuzzSession.AutoReset = true
		fuzzErr = fuzzSession.Start(context.Background())
	})
	if fuzzErr != nil {
		t.Fatal(fuzzErr)
	}
	return fuzzSession
}

// paramsFromBytes reads arbitrary bytes as name=value pairs separated by '&'; each part is
// percent-decoded when it can be and used raw otherwise, so any byte string is a request.
func paramsFromBytes(q string) []Param {
	var out []Param
	if q == "" {
		return nil
	}
	for _, part := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(part, "=")
		if d, err := url.QueryUnescape(k); err == nil {
			k = d
		}
		if d, err := url.QueryUnescape(v); err == nil {
			v = d
		}
		out = append(out, Param{k, v})
	}
	return out
}

// FuzzExportImageParams: arbitrary ExportImage parameters — the reference never answers
// 5xx or hangs, always answers valid per the spec, and agrees with the model (known
// reference divergences excepted).
func FuzzExportImageParams(f *testing.F) {
	for _, seed := range []string{
		"RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-export",
		"RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-export&OSSPrefix=abcdefghijklmnopqrstuvwxyz01234",
		"RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-export&ImageFormat=RAW&DryRun=true",
		"RegionId=ap-southeast-1&ImageId=m-eic-datadisks4&OSSBucket=eic-export-sg&ImageFormat=vdi",
		"RegionId=&ImageId=&OSSBucket=",
		"OSSPrefix=%FF&RegionId=cn-hangzhou",
		"DryRun=True",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		s := fuzzTarget(t)
		req := Request{Action: "ExportImage", Account: MainAccount, Params: paramsFromBytes(q)}
		res, err := s.Check(context.Background(), req)
		if err != nil {
			t.Skipf("request not buildable: %v", err)
		}
		if res.Divergence != nil && KnownID(res) == "" {
			t.Fatalf("%s\n%v\n%s", res.Request, res.Divergence, res.Exchange)
		}
	})
}

// FuzzCompanionParams: the same for DescribeTasks, DescribeTaskAttribute and CancelTask;
// the first byte picks the action.
func FuzzCompanionParams(f *testing.F) {
	f.Add(byte(0), "RegionId=cn-hangzhou&PageSize=100&TaskAction=ExportImage")
	f.Add(byte(0), "RegionId=cn-hangzhou&PageSize=0&StartTime=2026-01-01T00:00Z")
	f.Add(byte(1), "RegionId=cn-hangzhou&TaskId=t-eic-no-such-task-01")
	f.Add(byte(2), "RegionId=eic-nowhere-1")
	f.Fuzz(func(t *testing.T, which byte, q string) {
		s := fuzzTarget(t)
		action := []string{"DescribeTasks", "DescribeTaskAttribute", "CancelTask"}[int(which)%3]
		res, err := s.Check(context.Background(), Request{Action: action, Account: MainAccount, Params: paramsFromBytes(q)})
		if err != nil {
			t.Skipf("request not buildable: %v", err)
		}
		if res.Divergence != nil && KnownID(res) == "" {
			t.Fatalf("%s\n%v\n%s", res.Request, res.Divergence, res.Exchange)
		}
	})
}
