package spec

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/exportimage/eic/spec/internal/errgen"
)

// seedRow is one row of the source document's error table, parsed from the markdown itself.
type seedRow struct {
	status  int
	code    string
	message string
}

var seedRowLine = regexp.MustCompile(`^\|(\d{3})\|([^|]+)\|([^|]+)\|`)

// seedErrorRows reads the error table of the Chinese source document (the authoritative one).
func seedErrorRows(t *testing.T) []seedRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "ExportImage.zh.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []seedRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		m := seedRowLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		status, _ := strconv.Atoi(m[1])
		rows = append(rows, seedRow{status: status, code: m[2], message: strings.ReplaceAll(m[3], `\_`, "_")})
	}
	if len(rows) == 0 {
		t.Fatal("no error rows found in the seed document")
	}
	return rows
}

func TestLoad_EveryActionResolves(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"ExportImage", "DescribeTasks", "DescribeTaskAttribute", "CancelTask", "DescribeImages", "DescribeRegions"} {
		op, err := s.Operation(action)
		if err != nil {
			t.Errorf("Operation(%q): %v", action, err)
			continue
		}
		if op.Operation.OperationID != action {
			t.Errorf("Operation(%q).OperationID = %q", action, op.Operation.OperationID)
		}
	}
	if _, err := s.Operation("RunInstances"); err == nil {
		t.Error("Operation(RunInstances) succeeded, want an error")
	}
}

func TestCodes_EverySeedRowPresent(t *testing.T) {
	rows := seedErrorRows(t)
	if got, want := len(rows), 24; got != want {
		t.Fatalf("seed error rows = %d, want %d (did the parser break?)", got, want)
	}
	used := map[*Code]bool{}
	for _, r := range rows {
		var found *Code
		for _, c := range Lookup(r.code) {
			if c.Status() == r.status && c.Message() == r.message && c.Source == "seed" {
				found = c
			}
		}
		if found == nil {
			t.Errorf("seed row %d %s %q has no row in the spec", r.status, r.code, r.message)
			continue
		}
		used[found] = true
	}
	for _, c := range Codes() {
		if c.Source == "seed" && !used[c] {
			t.Errorf("spec row %s (%s) is marked seed but is not in the seed document", c.ID, c.Wire)
		}
	}
}

func TestErrorsGen_MatchesDocument(t *testing.T) {
	rows, aliases, err := errgen.Generate(Document)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string][]byte{"errcode/rows_gen.go": rows, "errors_gen.go": aliases} {
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s drifted from openapi.yaml: run go generate ./spec", file)
		}
	}
}

func TestSeedCopy_MatchesShared(t *testing.T) {
	for _, name := range []string{"ExportImage.zh.md", "ExportImage.en.md"} {
		shared, err := os.ReadFile(filepath.Join("..", "..", "shared", "seed", name))
		if err != nil {
			t.Skipf("shared seed not beside the repository: %v", err)
		}
		mine, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(shared, mine) {
			t.Errorf("spec/testdata/%s differs from shared/seed/%s", name, name)
		}
	}
}

func TestRules_CiteEverySeedRow(t *testing.T) {
	s := MustLoad()
	cited := map[string]bool{}
	for _, r := range s.Rules {
		for _, e := range r.Errors {
			cited[e] = true
		}
	}
	for _, c := range Codes() {
		if c.Source == "seed" && !cited[c.ID] {
			t.Errorf("seed row %s (%s) is cited by no rule", c.ID, c.Wire)
		}
	}
	if s.Rule("EI-R2") == nil || s.Rule("EI-R99") != nil {
		t.Error("Rule lookup is wrong")
	}
}

func TestCode_ErrAndMatches(t *testing.T) {
	e := ConcurrentQuotaExceed.Err("2 export tasks are running")
	if e.Message != "2 export tasks are running" || e.Status() != 403 {
		t.Errorf("Err = %q %d", e.Message, e.Status())
	}
	if got := BucketNotMatched.Err("bucket is in cn-beijing").Message; got != "The specified OSS bucket is incorrect, bucket is in cn-beijing." {
		t.Errorf("BucketNotMatched message = %q", got)
	}
	if !BucketNotMatched.Matches("The specified OSS bucket is incorrect, anything.") || BucketNotMatched.Matches("The specified OSS bucket is incorrect, .") {
		t.Error("template matching is wrong")
	}
	if !InvalidOSSPrefix.Matches(InvalidOSSPrefix.Message()) || InvalidOSSPrefix.Matches("x") {
		t.Error("fixed matching is wrong")
	}
	v1 := SignatureDoesNotMatchV1.ErrWithStringToSign(StringToSignFormV1, "POST&%2F&AccessKeyId%3Dk")
	v3 := SignatureDoesNotMatch.ErrWithStringToSign(StringToSignFormV3, "ACS3-HMAC-SHA256\nabc")
	if v1.Message != "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3Dk" ||
		v3.Message != "Specified signature does not match our calculation. server StringToSign is [ACS3-HMAC-SHA256\nabc]" {
		t.Errorf("string to sign messages = %q, %q", v1.Message, v3.Message)
	}
	if !SignatureDoesNotMatchV1.Matches(v1.Message) || !SignatureDoesNotMatch.Matches(v3.Message) ||
		SignatureDoesNotMatch.Matches(v1.Message) || SignatureDoesNotMatch.Matches(SignatureDoesNotMatch.Message()+" server StringToSign is [x") ||
		SignatureDoesNotMatch.Matches(SignatureDoesNotMatch.Message()+" trailing") {
		t.Error("string-to-sign matching is wrong")
	}
	if InvalidOSSPrefix.Err().Is(InvalidImageFormat.Err()) || !InvalidOSSPrefix.Err().Is(InvalidOSSPrefix.Err()) {
		t.Error("Is is wrong")
	}
}

func request(query string) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/?"+query, nil)
}

func TestValidateRequest(t *testing.T) {
	s := MustLoad()
	const ok = "RegionId=cn-hangzhou&ImageId=m-1&OSSBucket=b"
	tests := []struct {
		name, query string
		valid       bool
	}{
		{"minimal", ok, true},
		{"all documented", ok + "&OSSPrefix=EcsExport&ImageFormat=qcow2&RoleName=AliyunECSImageExportDefaultRole&DryRun=false", true},
		{"prefix 30", ok + "&OSSPrefix=" + strings.Repeat("a", 30), true},
		{"prefix 31", ok + "&OSSPrefix=" + strings.Repeat("a", 31), false},
		{"prefix dash", ok + "&OSSPrefix=a-b", false},
		{"prefix empty", ok + "&OSSPrefix=", false},
		{"format upper", ok + "&ImageFormat=RAW", false},
		{"format unknown", ok + "&ImageFormat=vhdx", false},
		{"no image", "RegionId=cn-hangzhou&OSSBucket=b", false},
		{"dry run maybe", ok + "&DryRun=maybe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateRequest(context.Background(), "ExportImage", request(tt.query))
			if (err == nil) != tt.valid {
				t.Errorf("ValidateRequest(%s) = %v, want valid=%v", tt.query, err, tt.valid)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	s := MustLoad()
	json := http.Header{"Content-Type": {"application/json;charset=utf-8"}}
	tests := []struct {
		name, action string
		status       int
		body         string
		valid        bool
	}{
		{"export ok", "ExportImage", 200, `{"RequestId":"r","TaskId":"t-1","RegionId":"cn-hangzhou"}`, true},
		{"export ExportTaskId", "ExportImage", 200, `{"RequestId":"r","ExportTaskId":"t-1","RegionId":"cn-hangzhou"}`, false},
		{"tasks object", "DescribeTasks", 200, `{"RequestId":"r","TotalCount":1,"PageNumber":1,"PageSize":10,"TaskSet":{"Task":[{"TaskId":"t","TaskAction":"ExportImage","TaskStatus":"Finished","SupportCancel":"false"}]}}`, true},
		{"tasks array", "DescribeTasks", 200, `{"RequestId":"r","TotalCount":1,"PageNumber":1,"PageSize":10,"TaskSet":[]}`, false},
		{"support cancel bool", "DescribeTaskAttribute", 200, `{"RequestId":"r","TaskId":"t","TaskAction":"ExportImage","TaskStatus":"Processing","SupportCancel":true}`, false},
		{"error envelope", "ExportImage", 400, `{"RequestId":"r","HostId":"ecs.aliyuncs.com","Code":"MissingParameter","Message":"m","Recommend":"u"}`, true},
		{"error without code", "ExportImage", 400, `{"RequestId":"r","Message":"m"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateResponse(context.Background(), tt.action, request(""), tt.status, json, []byte(tt.body))
			if (err == nil) != tt.valid {
				t.Errorf("ValidateResponse = %v, want valid=%v", err, tt.valid)
			}
		})
	}
}

func TestCheck_BrokenDocuments(t *testing.T) {
	if err := Check(Document); err != nil {
		t.Fatalf("Check(embedded) = %v", err)
	}
	doc := string(Document)
	broken := map[string]string{
		"empty":          "",
		"not yaml":       "{{{",
		"dup action":     strings.Replace(doc, "operationId: CancelTask", "operationId: ExportImage", 1),
		"bad rule cite":  strings.Replace(doc, "errors: [EI-E05]", "errors: [EI-E99]", 1),
		"bad status":     strings.Replace(doc, "source: seed, status: 400, code: InvalidOSSPrefix", "source: seed, status: 200, code: InvalidOSSPrefix", 1),
		"bad schema ref": strings.Replace(doc, `$ref: "#/components/schemas/Task"`, `$ref: "#/components/schemas/Nope"`, 1),
	}
	for name, d := range broken {
		if d == doc && name != "empty" {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if err := Check([]byte(d)); err == nil {
			t.Errorf("Check(%s) = nil, want an error", name)
		}
	}
}

func TestSpec_Variants(t *testing.T) {
	s := MustLoad()
	vs := s.Variants("ACS-E02")
	if len(vs) == 0 || vs[0].Code != "SignatureDoesNotMatch" || vs[0].Status != 400 {
		t.Fatalf("variants of ACS-E02 = %+v, want the row's status and code filled in", vs)
	}
	if !vs[0].Matches("Specified signature does not match our calculation. server StringToSign is [ACS3-HMAC-SHA256\nabc]") {
		t.Error("V3 message with the server's StringToSign does not match its variant")
	}
	if vs[0].Matches("Specified signature does not match our calculation.") {
		t.Error("the documented sentence alone matches the variant that appends the string to sign")
	}
	for _, r := range s.Rules {
		if r.Quote == "" || r.Source == "" {
			t.Errorf("rule %s: source %q quote %q, want both", r.ID, r.Source, r.Quote)
		}
	}
}
