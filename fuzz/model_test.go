package fuzz

import (
	"testing"
	"time"

	"github.com/exportimage/eic/spec"
)

func req(account, action string, kv ...string) Request {
	r := Request{Action: action, Account: account}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Params = append(r.Params, Param{kv[i], kv[i+1]})
	}
	return r
}

// base is a valid export of the main account with parameters set (replaced or added).
func base(kv ...string) Request {
	r := req("demo", "ExportImage", "RegionId", "cn-hangzhou", "ImageId", "m-eic-custom", "OSSBucket", "eic-export")
	for i := 0; i+1 < len(kv); i += 2 {
		r = r.With(kv[i], kv[i+1])
	}
	return r
}

func TestExpect_ExportImageOrderOfChecks(t *testing.T) {
	w := DefaultWorld()
	busy := NewState(time.Unix(0, 0))
	busy.Tasks = append(busy.Tasks, &Task{ID: "t-1", Account: "demo", Region: "cn-hangzhou", Image: "m-eic-custom", Status: "Waiting"})
	full := NewState(time.Unix(0, 0))
	full.Quotas["demo/ap-southeast-1"] = Quota{Concurrent: 1, Weekly: 10}
	full.Tasks = append(full.Tasks, &Task{ID: "t-2", Account: "demo", Region: "ap-southeast-1", Image: "m-eic-sg-custom", Status: "Processing"})
	week := NewState(time.Unix(0, 0).Add(Week - time.Second))
	week.Quotas["demo/cn-hangzhou"] = Quota{Concurrent: 5, Weekly: 1}
	week.Tasks = append(week.Tasks, &Task{ID: "t-3", Account: "demo", Region: "cn-hangzhou", Image: "m-eic-custom", Status: "Finished", Created: time.Unix(0, 0)})
	later := NewState(time.Unix(0, 0).Add(Week + time.Second))
	later.Quotas, later.Tasks = week.Quotas, week.Tasks

	tests := []struct {
		name string
		st   *State
		req  Request
		want *spec.Code // nil: success
	}{
		{"valid", nil, base(), nil},
		{"dry run", nil, base("DryRun", "true"), spec.DryRunOperation},
		{"all required missing names RegionId", nil, req("demo", "ExportImage"), spec.MissingRegionID},
		{"empty ImageId", nil, base("ImageId", ""), spec.MissingImageID},
		{"repeated parameter", nil, req("demo", "ExportImage", "RegionId", "cn-hangzhou", "RegionId", "cn-hangzhou"), spec.InvalidParameter},
		{"empty OSSBucket", nil, req("demo", "ExportImage", "RegionId", "cn-hangzhou", "ImageId", "m", "OSSBucket", ""), spec.MissingOSSBucket},
		{"prefix 30", nil, base("OSSPrefix", "abcdefghijklmnopqrstuvwxyz0123"), nil},
		{"prefix 31", nil, base("OSSPrefix", "abcdefghijklmnopqrstuvwxyz01234"), spec.InvalidOSSPrefix},
		{"prefix hyphen", nil, base("OSSPrefix", "Ecs-Export"), spec.InvalidOSSPrefix},
		{"prefix empty", nil, base("OSSPrefix", ""), spec.InvalidOSSPrefix},
		{"prefix before region", nil, req("demo", "ExportImage", "RegionId", "nowhere", "ImageId", "m", "OSSBucket", "b", "OSSPrefix", "a_b"), spec.InvalidOSSPrefix},
		{"RAW", nil, base("ImageFormat", "RAW"), spec.InvalidImageFormat},
		{"vhd in a raw-only region", nil, base("ImageFormat", "vhd"), spec.FormatRegionNotSupported},
		{"unknown region", nil, req("demo", "ExportImage", "RegionId", "eic-nowhere-1", "ImageId", "m", "OSSBucket", "b"), spec.InvalidRegionID},
		{"region without export", nil, req("demo", "ExportImage", "RegionId", "cn-wulanchabu", "ImageId", "m", "OSSBucket", "b"), spec.RegionNotSupport},
		{"not allow-listed", nil, req("nowhitelist", "ExportImage", "RegionId", "cn-hangzhou", "ImageId", "m-eic-custom-nowhitelist", "OSSBucket", "eic-export-nowhitelist"), spec.UserNotInTheWhiteList},
		{"other account's image", nil, base("ImageId", "m-eic-other"), spec.InvalidImageID},
		{"image of another region", nil, req("demo", "ExportImage", "RegionId", "cn-beijing", "ImageId", "m-eic-custom", "OSSBucket", "eic-export-bj"), spec.InvalidImageID},
		{"marketplace", nil, req("demo", "ExportImage", "RegionId", "cn-hangzhou", "ImageId", "m-eic-marketplace", "OSSBucket", "eic-export"), spec.MarketImageForbidden},
		{"data disks off", nil, req("demo", "ExportImage", "RegionId", "cn-shanghai", "ImageId", "m-eic-sh-datadisks", "OSSBucket", "eic-export-sh"), spec.OperationDenied},
		{"501 GiB", nil, req("demo", "ExportImage", "RegionId", "ap-southeast-1", "ImageId", "m-eic-datadisk501", "OSSBucket", "eic-export-sg"), spec.DiskAmountOrSize},
		{"4 data disks", nil, req("demo", "ExportImage", "RegionId", "ap-southeast-1", "ImageId", "m-eic-datadisks4", "OSSBucket", "eic-export-sg", "ImageFormat", "vdi"), nil},
		{"other role name", nil, base("RoleName", "MyRole"), spec.NoSetRole},
		{"role missing", nil, req("norole", "ExportImage", "RegionId", "cn-hangzhou", "ImageId", "m-eic-custom-norole", "OSSBucket", "eic-export-norole"), spec.NoSetRole},
		{"bucket of another region", nil, base("OSSBucket", "eic-export-bj"), spec.BucketNotMatched},
		{"exporting", busy, base(), spec.ImageIsExporting},
		{"broken", nil, req("demo", "ExportImage", "RegionId", "cn-hangzhou", "ImageId", "m-eic-broken", "OSSBucket", "eic-export"), spec.ExportImageFailed},
		{"concurrent quota", full, req("demo", "ExportImage", "RegionId", "ap-southeast-1", "ImageId", "m-eic-datadisks4", "OSSBucket", "eic-export-sg", "DryRun", "true"), spec.ConcurrentQuotaExceed},
		{"weekly quota inside the week", week, base(), spec.WeeklyQuotaExceed},
		{"weekly quota after the week", later, base(), nil},
		{"unknown parameter", nil, base("OssPrefix", "x"), spec.InvalidParameter},
		{"bad boolean", nil, base("DryRun", "True"), spec.InvalidParameter},
		{"int64 overflow", nil, base("OwnerId", "9223372036854775808"), spec.InvalidParameter},
		{"not UTF-8", nil, base("OSSPrefix", "\xff"), spec.InvalidParameter},
		{"unknown key first", nil, req(UnknownKey, "ExportImage", "Foo", "x"), spec.AccessKeyNotFound},
		{"too large", nil, base("RoleName", string(make([]byte, 40000))), spec.RequestTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req
			got := Expect(w, tt.st, r)
			switch {
			case tt.want == nil && !got.Success:
				t.Errorf("Expect(%s) = %s, want success", r, got)
			case tt.want != nil && (got.Success || got.Any || len(got.Rows) != 1 || got.Rows[0] != tt.want):
				t.Errorf("Expect(%s) = %s, want %s %s", r, got, tt.want.ID, tt.want.Wire)
			}
		})
	}
}

func TestExpect_Companions(t *testing.T) {
	w := DefaultWorld()
	st := NewState(time.Unix(0, 0))
	st.Tasks = append(st.Tasks, &Task{ID: "t-1", Account: "demo", Region: "cn-hangzhou", Status: "Finished"},
		&Task{ID: "t-2", Account: "demo", Region: "cn-hangzhou", Status: "Waiting"})
	tests := []struct {
		req  Request
		want string // "ok", "any" or a wire code
	}{
		{req("demo", "DescribeTasks"), "MissingParameter"},
		{req("demo", "DescribeTasks", "RegionId", "cn-hangzhou", "TaskStatus", "Bogus"), "ok"},
		{req("demo", "DescribeTasks", "RegionId", "cn-hangzhou", "PageSize", "101"), "any"},
		{req("demo", "DescribeTasks", "RegionId", "cn-hangzhou", "PageSize", "ten"), "InvalidParameter"},
		{req("demo", "CancelTask", "RegionId", "cn-hangzhou", "TaskId", "t-1"), "InvalidTaskId.IncorrectTaskStatus"},
		{req("demo", "CancelTask", "RegionId", "cn-hangzhou", "TaskId", "t-2"), "ok"},
		{req("other", "CancelTask", "RegionId", "cn-hangzhou", "TaskId", "t-2"), "InvalidTaskId.NotFound"},
		{req("demo", "DescribeTaskAttribute", "RegionId", "cn-hangzhou", "TaskId", "t-1"), "ok"},
		{req("demo", "DescribeTaskAttribute", "RegionId", "cn-hangzhou", "TaskId", "t-eic-modifydiskspec"), "ok"},
		{req("demo", "CancelTask", "RegionId", "cn-hangzhou", "TaskId", "t-eic-modifydiskspec"), "InvalidTaskId.TaskActionNotSupport"},
		{req("other", "CancelTask", "RegionId", "cn-hangzhou", "TaskId", "t-eic-modifydiskspec"), "InvalidTaskId.NotFound"},
		{req("demo", "CancelTask", "RegionId", "cn-beijing", "TaskId", "t-eic-modifydiskspec"), "InvalidTaskId.NotFound"},
		{req("demo", "DescribeTaskAttribute", "RegionId", "cn-hangzhou"), "MissingParameter"},
	}
	for _, tt := range tests {
		got := Expect(w, st, tt.req)
		var code string
		switch {
		case got.Success:
			code = "ok"
		case got.Any:
			code = "any"
		default:
			code = got.Rows[0].Wire
		}
		if code != tt.want {
			t.Errorf("Expect(%s) = %s, want %s", tt.req, got, tt.want)
		}
	}
}

func TestRequest_StringRoundTrip(t *testing.T) {
	g := generator(t)
	g.ControlAPI, g.VirtualClock = true, true // setups and every tamper too
	r := seedInt64(3)
	for i := 0; i < 400; i++ {
		want := g.Request(r, "ExportImage", nil)
		got, err := ParseRequest(want.String())
		if err != nil || got.String() != want.String() {
			t.Fatalf("ParseRequest(%q) = %v, %v", want.String(), got, err)
		}
	}
}

func TestGenerator_CoversEveryParameterAndClass(t *testing.T) {
	g := generator(t)
	r := seedInt64(5)
	seen := map[string]bool{}
	for i := 0; i < 3000; i++ {
		for _, p := range g.Request(r, "ExportImage", nil).Params {
			seen[p.Name] = true
			if p.Name == "OSSPrefix" {
				seen["OSSPrefix:"+map[bool]string{true: "valid", false: "invalid"}[validPrefix(p.Value)]] = true
				if len(p.Value) == 31 {
					seen["OSSPrefix:31"] = true
				}
			}
		}
	}
	for _, p := range g.Params("ExportImage") {
		if !seen[p.Name] {
			t.Errorf("parameter %s never generated", p.Name)
		}
	}
	for _, k := range []string{"OSSPrefix:valid", "OSSPrefix:invalid", "OSSPrefix:31"} {
		if !seen[k] {
			t.Errorf("%s never generated", k)
		}
	}
}

// TestExpectSigned_Tampers: each tamper of a valid export expects its documented row, in the
// order of the reference's pipeline (an unknown key before a bad signature, a path before
// everything).
func TestExpectSigned_Tampers(t *testing.T) {
	w := DefaultWorld()
	want := map[string]string{
		TamperSignatureByte: "ACS-E02", TamperDate: "ACS-E02", TamperNonce: "ACS-E02", TamperSignedHeader: "ACS-E02",
		TamperReplay: "ACS-E06", TamperStaleTimestamp: "ACS-E07", TamperFutureTimestamp: "ACS-E07",
		TamperTimestampFormat: "ACS-E08", TamperNoSignature: "ACS-E01", TamperNoTimestamp: "ACS-E09",
		TamperUnsignedHeader: "ACS-E01", TamperVersion: "ACS-E11", TamperNoAction: "ACS-E09",
		TamperMethod: "ACS-E12", TamperPath: "ACS-E10", TamperBogusToken: "ACS-E18",
		TamperForeignToken: "ACS-E19", TamperExpiredToken: "ACS-E17", TamperMissingToken: "ACS-E23",
	}
	for _, tamper := range Tampers {
		r := base()
		r.Tamper = tamper
		if got := ExpectSigned(w, nil, r, "v3", false); got.Success || got.Any || got.Rows[0].ID != want[tamper] {
			t.Errorf("tamper %s: Expect = %s, want %s", tamper, got, want[tamper])
		}
	}
	r := base()
	r.Tamper = TamperSignatureByte
	if got := ExpectSigned(w, nil, r, "v1", false); got.Rows[0].ID != "ACS-E03" {
		t.Errorf("V1 signature byte: Expect = %s, want ACS-E03", got)
	}
	r.Account = UnknownKey
	if got := ExpectSigned(w, nil, r, "v3", false); got.Rows[0].ID != "ACS-E04" {
		t.Errorf("unknown key and a bad signature: Expect = %s, want ACS-E04 first", got)
	}
	r.Tamper = TamperPath
	if got := ExpectSigned(w, nil, r, "v3", false); got.Rows[0].ID != "ACS-E10" {
		t.Errorf("unknown key and a wrong path: Expect = %s, want ACS-E10 first", got)
	}
}

// TestExpectSigned_UnknownParameterStrictOrLenient: a parameter the action does not define is
// InvalidParameter for a strict endpoint; otherwise ignoring it is accepted too.
func TestExpectSigned_UnknownParameterStrictOrLenient(t *testing.T) {
	w := DefaultWorld()
	r := base("Foo", "x")
	strict := ExpectSigned(w, nil, r, "v3", true)
	if strict.Rows[0].ID != "ACS-E20" || strict.Lenient != nil {
		t.Errorf("strict: Expect = %s (lenient %v), want ACS-E20 only", strict, strict.Lenient)
	}
	lenient := ExpectSigned(w, nil, r, "v3", false)
	if lenient.Rows[0].ID != "ACS-E20" || lenient.Lenient == nil || !lenient.Lenient.Success {
		t.Errorf("lenient: Expect = %s (lenient %v), want ACS-E20 or success", lenient, lenient.Lenient)
	}
}

// TestQueryLen: the model's count of the query's length is url.Values.Encode's, for odd
// bytes too.
func TestQueryLen(t *testing.T) {
	g := generator(t)
	r := seedInt64(3)
	reqs := []Request{{Params: []Param{{"a b", "x+y&z=é~"}, {"a b", ""}, {"%", "\x00\xff"}}}}
	for range 300 {
		reqs = append(reqs, g.Request(r, "ExportImage", nil))
	}
	for _, req := range reqs {
		if got, want := queryLen(req.Params), len(req.Values().Encode()); got != want {
			t.Errorf("queryLen(%s) = %d, want %d", req, got, want)
		}
	}
}
