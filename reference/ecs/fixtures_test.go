package ecs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exportimage/eic/spec/errcode"
)

// TestDefaultFixtures checks the IDs, keys and secrets docs/reference.md lists.
func TestDefaultFixtures(t *testing.T) {
	s, _ := newTestService(t, "")
	want := map[string]Key{
		"LTAI5tEicDemoKey0000001": {Secret: "EicDemoSecret00000000000000001", Account: "demo"},
		"LTAI5tEicOtherKey000002": {Secret: "EicOtherSecret0000000000000002", Account: "other"},
		"LTAI5tEicNoWhiteKey0003": {Secret: "EicNoWhiteSecret00000000000003", Account: "nowhitelist"},
		"LTAI5tEicNoRoleKey00004": {Secret: "EicNoRoleSecret000000000000004", Account: "norole"},
		"LTAI5tEicBadTrustKey005": {Secret: "EicBadTrustSecret0000000000005", Account: "badtrust"},
		"LTAI5tEicNoPermKey00006": {Secret: "EicNoPermSecret000000000000006", Account: "noperm"},
		"LTAI5tEicDisabledKey007": {Secret: "EicDisabledSecret0000000000007", Account: "demo", Disabled: true},
	}
	for id, w := range want {
		k, ok := s.Key(id)
		w.ID = id
		if !ok || k != w {
			t.Errorf("Key(%s) = %+v %v, want %+v", id, k, ok, w)
		}
	}
	uids := map[string]string{"demo": "1000000000000001", "other": "1000000000000002", "nowhitelist": "1000000000000003",
		"norole": "1000000000000004", "badtrust": "1000000000000005", "noperm": "1000000000000006"}
	accs := s.Accounts()
	if len(accs) != len(uids) {
		t.Fatalf("%d accounts, want %d", len(accs), len(uids))
	}
	for _, a := range accs {
		if uids[a.Name] != a.ID {
			t.Errorf("account %s id %s, want %s", a.Name, a.ID, uids[a.Name])
		}
	}
	regions, _ := s.DescribeRegions(context.Background(), "demo", DescribeRegionsRequest{})
	var ids []string
	for _, r := range regions.Regions.Region {
		ids = append(ids, r.RegionId)
	}
	if strings.Join(ids, ",") != "cn-hangzhou,ap-southeast-1,cn-shanghai,cn-wulanchabu,cn-beijing" {
		t.Errorf("regions = %v", ids)
	}
	if ep := regions.Regions.Region[0].RegionEndpoint; ep != "ecs-cn-hangzhou.aliyuncs.com" {
		t.Errorf("cn-hangzhou endpoint = %s", ep)
	}
	for _, b := range []string{"eic-export", "eic-export-sg", "eic-export-sh", "eic-export-bj", "eic-other",
		"eic-export-nowhitelist", "eic-export-norole", "eic-export-badtrust", "eic-export-noperm"} {
		if _, err := s.Store().Bucket(context.Background(), b); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
	for _, im := range []string{"m-eic-custom", "m-eic-sg-custom", "m-eic-datadisks4", "m-eic-datadisks5", "m-eic-datadisk501",
		"m-eic-sh-datadisks", "m-eic-market-derived", "m-eic-marketplace", "m-eic-encrypted", "m-eic-creating",
		"m-eic-licensed", "m-eic-broken", "m-eic-badname", "m-eic-other", "m-eic-custom-nowhitelist",
		"m-eic-custom-norole", "m-eic-custom-badtrust", "m-eic-custom-noperm"} {
		if s.st.images[im] == nil {
			t.Errorf("image %s missing", im)
		}
	}
	// The foreign-action task of docs/reference.md: described, never cancellable.
	a := attr(t, s, "demo", "cn-hangzhou", "t-eic-modifydiskspec")
	if a.TaskAction != "ModifyDiskSpec" || a.TaskStatus != StatusProcessing || a.SupportCancel != "false" {
		t.Errorf("t-eic-modifydiskspec = %+v", a)
	}
	if err := s.CancelTask(context.Background(), "demo", "cn-hangzhou", "t-eic-modifydiskspec"); codeOf(err) != errcode.TaskActionNotSupport {
		t.Errorf("CancelTask(t-eic-modifydiskspec) = %v, want TaskActionNotSupport", err)
	}
}

func TestParseFixtures_errors(t *testing.T) {
	cases := map[string]struct{ doc, want string }{
		"unknown field":    {"regions: [{id: r, export: true, colour: red}]", "field colour not found"},
		"empty":            {"", "empty document"},
		"duplicate region": {"regions: [{id: r}, {id: r}]", `region "r" is defined twice`},
		"unknown region": {`regions: [{id: r}]
accounts: [{name: a, id: "1", buckets: [{name: bkt, region: nowhere}]}]`, `unknown region "nowhere"`},
		"duplicate image": {`regions: [{id: r}]
accounts:
  - {name: a, id: "1", images: [{id: m-1, region: r, name: x1, systemDisk: {size: 1}}]}
  - {name: b, id: "2", images: [{id: m-1, region: r, name: x1, systemDisk: {size: 1}}]}`, `image "m-1" is unnamed or defined twice`},
		"duplicate key": {`accounts:
  - {name: a, id: "1", keys: [{id: K, secret: s}]}
  - {name: b, id: "2", keys: [{id: K, secret: s}]}`, `access key "K" is defined twice`},
		"duplicate uid": {`accounts: [{name: a, id: "1"}, {name: b, id: "1"}]`, `id "1" is empty or used twice`},
		"bad format":    {"regions: [{id: r, formats: [zip]}]", `unknown format "zip"`},
		"bad origin": {`regions: [{id: r}]
accounts: [{name: a, id: "1", images: [{id: m, region: r, name: x1, origin: stolen, systemDisk: {size: 1}}]}]`, `unknown origin "stolen"`},
		"data larger than disk": {`regions: [{id: r}]
accounts: [{name: a, id: "1", images: [{id: m, region: r, name: x1, systemDisk: {sizeMiB: 1, dataMiB: 2}}]}]`, "larger than the disk"},
		"both sizes": {`regions: [{id: r}]
accounts: [{name: a, id: "1", images: [{id: m, region: r, name: x1, systemDisk: {size: 1, sizeMiB: 2}}]}]`, "exactly one of size"},
		"negative quota": {"quotas: {concurrent: -1, weekly: 1}", "must not be negative"},
		"task action unknown": {`regions: [{id: r}]
accounts: [{name: a, id: "1", tasks: [{id: t-1, region: r, action: ResizeDisk}]}]`, `task t-1: unknown action "ResizeDisk"`},
		"task action export": {`regions: [{id: r}]
accounts: [{name: a, id: "1", tasks: [{id: t-1, region: r, action: ExportImage}]}]`, "export tasks are made by ExportImage"},
		"task status unknown": {`regions: [{id: r}]
accounts: [{name: a, id: "1", tasks: [{id: t-1, region: r, action: ModifyDiskSpec, status: Paused}]}]`, `unknown status "Paused"`},
		"task created": {`regions: [{id: r}]
accounts: [{name: a, id: "1", tasks: [{id: t-1, region: r, action: ModifyDiskSpec, created: yesterday}]}]`, "task t-1: created"},
		"task region": {`regions: [{id: r}]
accounts: [{name: a, id: "1", tasks: [{id: t-1, region: nowhere, action: ModifyDiskSpec}]}]`, `task t-1: unknown region "nowhere"`},
		"duplicate task": {`regions: [{id: r}]
accounts:
  - {name: a, id: "1", tasks: [{id: t-1, region: r, action: ModifyDiskSpec}]}
  - {name: b, id: "2", tasks: [{id: t-1, region: r, action: ArchiveSnapshot}]}`, `task "t-1" is unnamed or defined twice`},
		"unnamed task": {`regions: [{id: r}]
accounts: [{name: a, id: "1", tasks: [{region: r, action: ModifyDiskSpec}]}]`, `task "" is unnamed`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFixtures([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestService_LoadFixtures replaces and extends the loaded set; a bad document changes nothing.
func TestService_LoadFixtures(t *testing.T) {
	s, _ := newTestService(t, "")
	ctx := context.Background()
	ext := `
regions: [{id: eu-central-1, export: true, formats: [raw, vhd]}]
accounts:
  - name: extra
    id: "3000000000000001"
    keys: [{id: AKextra, secret: SKextra}]
    roles: [{name: AliyunECSImageExportDefaultRole, trust: ecs.aliyuncs.com, actions: ["oss:*"]}]
    buckets: [{name: extra-bkt, region: eu-central-1}]
    images: [{id: m-extra, region: eu-central-1, name: extra, systemDisk: {sizeMiB: 4, dataMiB: 1, seed: 9}}]
`
	if err := s.LoadFixtures([]byte(ext), true); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Key("LTAI5tEicDemoKey0000001"); !ok {
		t.Error("extend dropped the default demo key")
	}
	if _, err := export(s, "extra", "eu-central-1", "m-extra", "extra-bkt", func(r *ExportImageRequest) { r.ImageFormat = P("vhd") }); err != nil {
		t.Fatalf("export in the added region: %v", err)
	}
	if err := s.LoadFixtures([]byte("regions: [{id: r, nonsense: 1}]"), false); err == nil {
		t.Fatal("a bad document was accepted")
	}
	if _, ok := s.Key("AKextra"); !ok {
		t.Error("a rejected document changed the loaded set")
	}
	if err := s.LoadFixtures([]byte(ext), false); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Key("LTAI5tEicDemoKey0000001"); ok {
		t.Error("replace kept the default demo key")
	}
	if _, err := s.Store().Bucket(ctx, "eic-export"); err == nil {
		t.Error("replace kept the default buckets")
	}
	if err := s.LoadFixtures([]byte(`{"accounts": [{"name": "j", "id": "9"}]}`), true); err != nil {
		t.Errorf("a JSON document: %v", err)
	}
}

// TestService_STS: issued credentials verify; expiry, mismatch and forgery are reported.
func TestService_STS(t *testing.T) {
	s, _ := newTestService(t, "")
	tok, err := s.IssueToken("demo", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := s.Key(tok.AccessKeyID)
	if !ok || !k.Temporary || k.Account != "demo" || k.Secret != tok.AccessKeySecret || !strings.HasPrefix(tok.AccessKeyID, "STS.") {
		t.Fatalf("key = %+v", k)
	}
	if err := s.CheckToken(tok.SecurityToken, tok.AccessKeyID); err != nil {
		t.Errorf("fresh token: %v", err)
	}
	if err := s.CheckToken("forged", tok.AccessKeyID); codeOf(err) != errcode.SecurityTokenMalformed {
		t.Errorf("forged: %v", err)
	}
	if err := s.CheckToken(tok.SecurityToken, "LTAI5tEicDemoKey0000001"); codeOf(err) != errcode.SecurityTokenMismatch {
		t.Errorf("other key: %v", err)
	}
	s.Advance(time.Hour)
	if err := s.CheckToken(tok.SecurityToken, tok.AccessKeyID); codeOf(err) != errcode.SecurityTokenExpired {
		t.Errorf("expired: %v", err)
	}
	if _, err := s.IssueToken("nobody", time.Hour); err == nil {
		t.Error("token for an unknown account")
	}
}

// TestService_requestFaults: throttle, internal-error and unavailable answer the next Count
// requests of their account (or of anyone), in injection order; Reset drops them.
func TestService_requestFaults(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	mustInject(t, s, Fault{Kind: FaultInternalError, Account: "acme"})
	mustInject(t, s, Fault{Kind: FaultUnavailable, Count: 2})
	mustInject(t, s, Fault{Kind: FaultThrottle, Account: "zed"})
	for i, c := range []struct {
		account string
		want    *errcode.Code
	}{
		{"zed", errcode.ServiceUnavailable}, // the first fault matching zed: acme's is skipped
		{"acme", errcode.InternalError},
		{"acme", errcode.ServiceUnavailable},
		{"acme", nil},
		{"zed", errcode.Throttling},
		{"zed", nil},
	} {
		got := s.TakeRequestFault(c.account)
		if (got == nil) != (c.want == nil) || got != nil && (got.Code != c.want || got.Status() != c.want.Status()) {
			t.Errorf("request %d of %s: %v, want %v", i, c.account, got, c.want)
		}
	}
	// Request faults never touch exports, and export faults never answer requests.
	mustInject(t, s, Fault{Kind: FaultFailSubmit, Account: "acme"})
	if got := s.TakeRequestFault("acme"); got != nil {
		t.Errorf("fail-submit answered a request: %v", got)
	}
	mustInject(t, s, Fault{Kind: FaultInternalError, Count: 3})
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if got := s.TakeRequestFault("acme"); got != nil {
		t.Errorf("a fault survived Reset: %v", got)
	}
	for _, f := range []Fault{{Kind: FaultUnavailable, Account: "nobody"}, {Kind: FaultInternalError, Count: -1}} {
		if err := s.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) accepted", f)
		}
	}
}

// TestService_control covers the small control operations.
func TestService_control(t *testing.T) {
	s, _ := newTestService(t, smallFixtures)
	if !s.Virtual() || !s.Now().Equal(t0) {
		t.Fatalf("clock: virtual %v, now %v", s.Virtual(), s.Now())
	}
	if err := s.InjectFault(Fault{Kind: FaultThrottle, Count: 2}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []*errcode.Code{errcode.Throttling, errcode.Throttling, nil} {
		if got := s.TakeRequestFault("zed"); (got == nil) != (want == nil) || got != nil && got.Code != want {
			t.Errorf("request %d: fault %v, want %v (throttle fires exactly twice, for anyone)", i, got, want)
		}
	}
	for _, f := range []Fault{{Kind: "explode"}, {Kind: FaultFailExport, Account: "nobody"}, {Kind: FaultFailExport, AtPercent: 101}} {
		if err := s.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) accepted", f)
		}
	}
	for _, q := range [][2]string{{"nobody", "test-1"}, {"acme", "nowhere"}} {
		if err := s.SetQuota(q[0], q[1], 1, 1); err == nil {
			t.Errorf("SetQuota(%v) accepted", q)
		}
	}
	if _, err := s.Advance(-time.Second); err == nil {
		t.Error("advanced backwards")
	}
	disks, err := s.ImageDisks(context.Background(), "m-small")
	if err != nil || len(disks) != 2 || disks[0].Device != "system" || disks[1].Device != "xvdb" ||
		disks[0].Object != "m-small_system" || disks[1].Object != "m-small_data_xvdb" || disks[0].Size != 16<<20 || len(disks[0].SHA256) != 64 {
		t.Errorf("ImageDisks = %+v, %v", disks, err)
	}
	if _, err := s.ImageDisks(context.Background(), "m-nothere"); codeOf(err) != errcode.InvalidImageID {
		t.Errorf("ImageDisks(unknown) = %v", err)
	}
}

// TestService_realClock: under the real clock tasks progress in the background, Advance is
// refused, and Close reports the tasks it interrupted and stops every goroutine.
func TestService_realClock(t *testing.T) {
	f, err := ParseFixtures([]byte(smallFixtures))
	if err != nil {
		t.Fatal(err)
	}
	s := New(WithFixtures(f))
	defer s.Close()
	if _, err := s.Advance(time.Second); err != ErrRealClock {
		t.Errorf("Advance under the real clock: %v", err)
	}
	id := mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
	if got := s.Close(); len(got) != 1 || got[0] != id {
		t.Errorf("Close = %v, want [%s]", got, id)
	}
	if s.Close() != nil {
		t.Error("second Close reported tasks")
	}
}

// manualClock is a clock that is not a VirtualClock: the Service treats it as real (ticker).
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// TestService_backgroundProgress: under a non-virtual clock the ticker finishes tasks with no
// Service call (ListObjects goes straight to the store).
func TestService_backgroundProgress(t *testing.T) {
	f, err := ParseFixtures([]byte(smallFixtures))
	if err != nil {
		t.Fatal(err)
	}
	clock := &manualClock{now: t0}
	s := New(WithFixtures(f), WithClock(clock))
	defer s.Close()
	mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
	clock.set(t0.Add(time.Minute))
	deadline := time.Now().Add(10 * time.Second)
	for len(keys(t, s, "acme-bkt")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the task did not finish in the background")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
