package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecsclient "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// fakeCreds is a credential store: good (account demo), off (disabled), other (account other)
// and STS.temp (temporary, of demo; its token is valid-token).
type fakeCreds struct{}

func (fakeCreds) Credential(id string) (Credential, bool) {
	switch id {
	case "good":
		return Credential{Secret: "good-secret", Account: "demo"}, true
	case "off":
		return Credential{Secret: "off-secret", Account: "demo", Disabled: true}, true
	case "other":
		return Credential{Secret: "other-secret", Account: "other"}, true
	case "STS.temp":
		return Credential{Secret: "temp-secret", Account: "demo", Temporary: true}, true
	}
	return Credential{}, false
}

func (fakeCreds) CheckToken(token, id string) error {
	if token == "valid-token" {
		return nil
	}
	return spec.SecurityTokenMalformed.Err()
}

// protocolServer serves DescribeRegions (always succeeds) and DescribeTasks (fails with
// InvalidRegionId.NotFound unless RegionId is cn-hangzhou) behind the real protocol layer.
func protocolServer(t *testing.T, opts ...Option) *httptest.Server {
	t.Helper()
	actions := map[string]Action{
		"DescribeRegions": func(ctx context.Context, c *Call) (any, error) {
			return map[string]any{"Regions": map[string]any{"Region": []any{map[string]any{"RegionId": "cn-hangzhou"}}}}, nil
		},
		"DescribeImages": func(ctx context.Context, c *Call) (any, error) {
			if c.DryRun {
				return nil, spec.DryRunOperation.Err()
			}
			return map[string]any{"TotalCount": 0, "PageNumber": 1, "PageSize": 10, "Images": map[string]any{}}, nil
		},
		"DescribeTasks": func(ctx context.Context, c *Call) (any, error) {
			if r, _ := c.Str("RegionId"); r != "cn-hangzhou" {
				return nil, spec.InvalidRegionID.Err()
			}
			if c.DryRun {
				return nil, spec.DryRunOperation.Err()
			}
			return map[string]any{"TotalCount": 0, "PageNumber": 1, "PageSize": 10, "TaskSet": map[string]any{}}, nil
		},
	}
	h, err := New(fakeCreds{}, actions, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func sdkClient(t *testing.T, srv *httptest.Server, secret, algorithm string) *ecsclient.Client {
	t.Helper()
	host := strings.TrimPrefix(srv.URL, "http://")
	cfg := &openapiutil.Config{
		AccessKeyId:     dara.String("good"),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(host),
		Protocol:        dara.String("http"),
		RegionId:        dara.String("cn-hangzhou"),
		ReadTimeout:     dara.Int(5000), // ms
		ConnectTimeout:  dara.Int(5),    // the SDK multiplies this one by seconds
		NoProxy:         dara.String(host),
	}
	if algorithm != "" {
		cfg.SignatureAlgorithm = dara.String(algorithm)
	}
	c, err := ecsclient.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHandler_OfficialSDK(t *testing.T) {
	srv := protocolServer(t)
	for _, mode := range []struct{ name, algorithm string }{{"v3", ""}, {"v1", "v2"}} {
		t.Run(mode.name, func(t *testing.T) {
			c := sdkClient(t, srv, "good-secret", mode.algorithm)
			resp, err := c.DescribeRegions(&ecsclient.DescribeRegionsRequest{})
			if err != nil {
				t.Fatalf("DescribeRegions: %v", err)
			}
			if got := dara.StringValue(resp.Body.Regions.Region[0].RegionId); got != "cn-hangzhou" {
				t.Errorf("RegionId = %q, want cn-hangzhou", got)
			}
			if dara.StringValue(resp.Body.RequestId) == "" || resp.Headers["x-acs-request-id"] == nil {
				t.Error("no request id in body or header")
			}

			_, err = c.DescribeTasks(&ecsclient.DescribeTasksRequest{RegionId: dara.String("mars-1")})
			assertSDKError(t, err, "InvalidRegionId.NotFound", 400)

			bad := sdkClient(t, srv, "wrong-secret", mode.algorithm)
			_, err = bad.DescribeRegions(&ecsclient.DescribeRegionsRequest{})
			assertSDKError(t, err, "SignatureDoesNotMatch", 400)
		})
	}
}

func assertSDKError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("error = %T %v, want *tea.SDKError", err, err)
	}
	if got := dara.StringValue(se.Code); got != code {
		t.Errorf("error code = %q, want %q", got, code)
	}
	if got := dara.IntValue(se.StatusCode); got != status {
		t.Errorf("status = %d, want %d", got, status)
	}
}

// send signs and sends one call; it returns status, content type and the decoded error code
// ("" for a success).
func send(t *testing.T, srv *httptest.Server, s *acs.Signer, c acs.Call, edit func(*http.Request)) (int, string, *acs.Body, http.Header) {
	t.Helper()
	c.Endpoint = srv.URL
	req, err := s.NewRequest(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	body, err := acs.DecodeBody(resp.Header.Get("Content-Type"), data)
	if err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	code, _ := body.Fields["Code"].(string)
	return resp.StatusCode, code, body, resp.Header
}

func TestHandler_Errors(t *testing.T) {
	clock := time.Now
	srv := protocolServer(t, WithWallClock(func() time.Time { return clock() }), WithStrictParams())
	good := &acs.Signer{KeyID: "good", Secret: "good-secret"}
	goodV1 := &acs.Signer{KeyID: "good", Secret: "good-secret", Version: "v1"}
	fixedNonce := &acs.Signer{KeyID: "good", Secret: "good-secret", Nonce: func() string { return "0123456789abcdef0123456789abcdef" }}
	stale := &acs.Signer{KeyID: "good", Secret: "good-secret", Now: func() time.Time { return time.Now().Add(-16 * time.Minute) }}
	regions := acs.Call{Action: "DescribeRegions"}
	tasks := func(extra string) acs.Call {
		v, _ := url.ParseQuery("RegionId=cn-hangzhou" + extra)
		return acs.Call{Action: "DescribeTasks", Params: v}
	}

	images := func(extra string) acs.Call {
		v, _ := url.ParseQuery("RegionId=cn-hangzhou" + extra)
		return acs.Call{Action: "DescribeImages", Params: v}
	}

	// The first use of a fixed nonce passes; replaying it does not.
	if status, code, _, _ := send(t, srv, fixedNonce, regions, nil); status != 200 {
		t.Fatalf("first use of nonce: %d %s", status, code)
	}

	tests := []struct {
		name   string
		signer *acs.Signer
		call   acs.Call
		edit   func(*http.Request)
		status int
		code   string
	}{
		{"v3 ok", good, regions, nil, 200, ""},
		{"v1 ok", goodV1, regions, nil, 200, ""},
		{"replayed nonce", fixedNonce, regions, nil, 400, "SignatureNonceUsed"},
		{"stale timestamp", stale, regions, nil, 400, "InvalidTimeStamp.Expired"},
		{"unknown key", &acs.Signer{KeyID: "nobody", Secret: "x"}, regions, nil, 404, "InvalidAccessKeyId.NotFound"},
		{"disabled key", &acs.Signer{KeyID: "off", Secret: "off-secret"}, regions, nil, 400, "InvalidAccessKeyId.Inactive"},
		{"bad sts token", &acs.Signer{KeyID: "good", Secret: "good-secret", SecurityToken: "forged"}, regions, nil, 400, "InvalidSecurityToken.Malformed"},
		{"good sts token", &acs.Signer{KeyID: "good", Secret: "good-secret", SecurityToken: "valid-token"}, regions, nil, 200, ""},
		{"v1 wrong secret", &acs.Signer{KeyID: "good", Secret: "nope", Version: "v1"}, regions, nil, 400, "SignatureDoesNotMatch"},
		{"no signature", good, regions, func(r *http.Request) {
			r.Header.Del("Authorization")
			r.Header.Del("X-Acs-Signature-Nonce")
			r.Header.Del("X-Acs-Date")
		}, 400, "MissingParameter"},
		{"garbled authorization", good, regions, func(r *http.Request) { r.Header.Set("Authorization", "ACS3-HMAC-SHA256 nonsense") }, 400, "IncompleteSignature"},
		{"unknown action", good, acs.Call{Action: "RunInstances"}, nil, 404, "InvalidAction.NotFound"},
		{"wrong version", good, acs.Call{Action: "DescribeRegions", APIVersion: "2016-04-28"}, nil, 400, "InvalidVersion"},
		{"dry run maybe", good, images("&DryRun=maybe"), nil, 400, "InvalidParameter"},
		{"dry run true", good, images("&DryRun=true"), nil, 400, "DryRunOperation"},
		{"dry run false", good, images("&DryRun=false"), nil, 200, ""},
		{"page size text", good, tasks("&PageSize=ten"), nil, 400, "InvalidParameter"},
		{"unknown parameter", good, tasks("&OssBucket=b"), nil, 400, "InvalidParameter"},
		{"flattened list", good, tasks("&ResourceIds.1=m-1&ResourceIds.2=m-2"), nil, 200, ""},
		{"list index 0", good, tasks("&ResourceIds.0=m-1"), nil, 400, "InvalidParameter"},
		{"list index 101", good, tasks("&ResourceIds.101=m-1"), nil, 400, "InvalidParameter"},
		{"list not flattened", good, tasks("&ResourceIds=m-1"), nil, 400, "InvalidParameter"},
		{"scalar with index", good, tasks("&TaskIds.1=t-1"), nil, 400, "InvalidParameter"},
		{"int64 max", good, tasks("&OwnerId=9223372036854775807"), nil, 200, ""},
		{"int64 overflow", good, tasks("&OwnerId=9223372036854775808"), nil, 400, "InvalidParameter"},
		{"duplicated parameter", good, tasks("&TaskIds=a&TaskIds=b"), nil, 400, "InvalidParameter"},
		{"invalid utf-8", good, tasks("&TaskIds=%ff%fe"), nil, 400, "InvalidParameter"},
		{"oversized query", good, tasks("&TaskIds=" + strings.Repeat("a", MaxQueryBytes)), nil, 413, "RequestEntityTooLarge"},
		{"put", good, acs.Call{Action: "DescribeRegions", Method: http.MethodPut}, nil, 403, "UnsupportedHTTPMethod"},
		{"other path", good, regions, func(r *http.Request) { r.URL.Path = "/v2/" }, 404, "InvalidAction.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, body, header := send(t, srv, tt.signer, tt.call, tt.edit)
			if status != tt.status || code != tt.code {
				t.Errorf("got %d %q, want %d %q (body %v)", status, code, tt.status, tt.code, body.Fields)
			}
			if header.Get("x-acs-request-id") == "" {
				t.Error("no x-acs-request-id header")
			}
			if tt.code != "" {
				for _, k := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
					if body.Fields[k] == nil {
						t.Errorf("error envelope lacks %s", k)
					}
				}
				if rows := spec.Lookup(tt.code); len(rows) == 0 {
					t.Errorf("code %s is not in the spec table", tt.code)
				}
			}
		})
	}
}

func TestHandler_UnknownParams(t *testing.T) {
	var mu sync.Mutex
	var entries []Entry
	logged := WithLog(func(e Entry) { mu.Lock(); entries = append(entries, e); mu.Unlock() })
	lenient, strict := protocolServer(t, logged), protocolServer(t, WithStrictParams())
	good := &acs.Signer{KeyID: "good", Secret: "good-secret"}
	call := func(action, query string) acs.Call {
		v, err := url.ParseQuery("RegionId=cn-hangzhou" + query)
		if err != nil {
			t.Fatal(err)
		}
		return acs.Call{Action: action, Params: v}
	}
	tests := []struct {
		name        string
		call        acs.Call
		lenientCode string // "" = 200
		strictCode  string
		wantIgnored []string
	}{
		{"misspelt parameter", call("DescribeTasks", "&OssBucket=b"), "", "InvalidParameter", []string{"OssBucket"}},
		{"another action's parameter", call("DescribeTasks", "&ImageName=x"), "", "InvalidParameter", []string{"ImageName"}},
		{"unknown dotted", call("DescribeTasks", "&Foo.1.Bar=x"), "", "InvalidParameter", []string{"Foo.1.Bar"}},
		{"tag element", call("DescribeImages", "&Tag.1.Key=k&Tag.1.Value=v"), "", "", nil},
		{"filter element", call("DescribeImages", "&Filter.2.Key=CreationStartTime"), "", "", nil},
		{"tag without field", call("DescribeImages", "&Tag.1=k"), "InvalidParameter", "InvalidParameter", nil},
		{"tag unknown field", call("DescribeImages", "&Tag.1.Colour=k"), "InvalidParameter", "InvalidParameter", nil},
		{"list element with field", call("DescribeTasks", "&ResourceIds.1.Key=m-1"), "InvalidParameter", "InvalidParameter", nil},
		{"known parameter, wrong type", call("DescribeImages", "&ShowExpired=yes"), "InvalidParameter", "InvalidParameter", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			entries = nil
			mu.Unlock()
			if _, code, body, _ := send(t, lenient, good, tt.call, nil); code != tt.lenientCode {
				t.Errorf("lenient: got %q, want %q (body %v)", code, tt.lenientCode, body.Fields)
			}
			if _, code, body, _ := send(t, strict, good, tt.call, nil); code != tt.strictCode {
				t.Errorf("strict: got %q, want %q (body %v)", code, tt.strictCode, body.Fields)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(entries) != 1 {
				t.Fatalf("got %d log entries, want 1", len(entries))
			}
			if got := entries[0].Ignored; strings.Join(got, ",") != strings.Join(tt.wantIgnored, ",") {
				t.Errorf("ignored: got %q, want %q", got, tt.wantIgnored)
			}
		})
	}
}

func TestHandler_XMLAndJSON(t *testing.T) {
	srv := protocolServer(t)
	s := &acs.Signer{KeyID: "good", Secret: "good-secret", Version: "v1"}
	status, _, body, header := send(t, srv, s, acs.Call{Action: "DescribeRegions", Format: "XML"}, nil)
	if status != 200 || header.Get("Content-Type") != acs.ContentTypeXML || body.Root != "DescribeRegionsResponse" {
		t.Errorf("XML success: %d %q root %q", status, header.Get("Content-Type"), body.Root)
	}
	v, _ := url.ParseQuery("RegionId=mars")
	status, code, body, header := send(t, srv, s, acs.Call{Action: "DescribeTasks", Format: "xml", Params: v}, nil)
	if status != 400 || code != "InvalidRegionId.NotFound" || body.Root != "Error" || header.Get("Content-Type") != acs.ContentTypeXML {
		t.Errorf("XML error: %d %q root %q", status, code, body.Root)
	}
	status, _, body, header = send(t, srv, s, acs.Call{Action: "DescribeRegions", Format: "JSON"}, nil)
	if status != 200 || header.Get("Content-Type") != acs.ContentTypeJSON || body.Fields["RequestId"] == nil {
		t.Errorf("JSON success: %d %q %v", status, header.Get("Content-Type"), body.Fields)
	}
}

func TestHandler_FormBodyAndGet(t *testing.T) {
	srv := protocolServer(t)
	for _, version := range []string{"v1", "v3"} {
		s := &acs.Signer{KeyID: "good", Secret: "good-secret", Version: version}
		form := url.Values{"RegionId": {"cn-hangzhou"}}
		if status, code, _, _ := send(t, srv, s, acs.Call{Action: "DescribeTasks", Form: form}, nil); status != 200 {
			t.Errorf("%s form body: %d %s", version, status, code)
		}
		get := acs.Call{Action: "DescribeTasks", Method: http.MethodGet, Params: url.Values{"RegionId": {"cn-hangzhou"}}}
		if status, code, _, _ := send(t, srv, s, get, nil); status != 200 {
			t.Errorf("%s GET: %d %s", version, status, code)
		}
	}
}

// requestIDShape is a version-4 UUID in upper case, as ECS's request IDs are.
var requestIDShape = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

func TestNewRequestID_Unique(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := NewRequestID()
		if seen[id] || !requestIDShape.MatchString(id) {
			t.Fatalf("request id %q repeated or malformed", id)
		}
		seen[id] = true
	}
}

// TestHandler_Faults: the fault taker sees the authenticated account and its error is the
// answer, with the row's status and envelope, whatever the error (400, 500, 503).
func TestHandler_Faults(t *testing.T) {
	var mu sync.Mutex
	var queue []*spec.Code
	var accounts []string
	srv := protocolServer(t, WithFaults(func(account string) *spec.Error {
		mu.Lock()
		defer mu.Unlock()
		accounts = append(accounts, account)
		if len(queue) == 0 {
			return nil
		}
		c := queue[0]
		queue = queue[1:]
		return c.Err()
	}))
	s := &acs.Signer{KeyID: "good", Secret: "good-secret"}
	queue = []*spec.Code{spec.Throttling, spec.InternalError, spec.ServiceUnavailable}
	for _, want := range []*spec.Code{spec.Throttling, spec.InternalError, spec.ServiceUnavailable} {
		status, code, body, _ := send(t, srv, s, acs.Call{Action: "DescribeRegions"}, nil)
		msg, _ := body.Fields["Message"].(string)
		if status != want.Status() || code != want.Wire || !want.Matches(msg) {
			t.Errorf("injected %s: got %d %s %q, want %d %s", want.ID, status, code, msg, want.Status(), want.Wire)
		}
	}
	if status, _, _, _ := send(t, srv, s, acs.Call{Action: "DescribeRegions"}, nil); status != 200 {
		t.Errorf("after the faults: %d", status)
	}
	// Before authentication faults are not asked: an unknown key is refused as such.
	queue = []*spec.Code{spec.InternalError}
	bad := &acs.Signer{KeyID: "nobody", Secret: "x"}
	if _, code, _, _ := send(t, srv, bad, acs.Call{Action: "DescribeRegions"}, nil); code != spec.AccessKeyNotFound.Wire {
		t.Errorf("unauthenticated request: %s, want %s", code, spec.AccessKeyNotFound.Wire)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(accounts) != 4 || accounts[0] != "demo" || len(queue) != 1 {
		t.Errorf("faults asked for %v (queue left %d), want 4 times for demo", accounts, len(queue))
	}
}
