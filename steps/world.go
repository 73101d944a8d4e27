package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// world is the state of one scenario: who calls, how requests are signed, the request being
// built, the last exchange and the task the scenario created. Register makes a fresh one for
// every scenario; nothing is shared between scenarios but the read-only Config.
type world struct {
	cfg      *Config
	pickle   *godog.Scenario
	location string
	tags     map[string]bool
	started  time.Time

	skip    error  // set once a step decides the scenario cannot run here (wraps godog.ErrSkip)
	failErr error  // first failing step's error, for the report
	status  string // worst step status so far: passed, skipped, failed, undefined

	stepStatus map[string]string // by pickle step ID, for the report

	account   Account
	signature string // v3 or v1
	format    string // Format parameter ("" = the SDK's default)
	params    url.Values

	tweak tweaks // one-shot changes to the next request

	last        *exchange
	task        *task
	objectsSeen map[string]bool // objects already listed in the report
	owned       []objectOwner   // objects to delete after the scenario (objects.go)
	taskCount   int
}

// tweaks alter the next request only; send clears them.
type tweaks struct {
	wrongSecret, unknownKey, noSignature, badTime bool
	timeShift                                     time.Duration
	dropParam, version, method                    string
	token                                         *string
}

// task is what the scenario knows of the export it created.
type task struct {
	id, region, image, bucket, prefix, format string
}

func (w *world) ctx() context.Context { return context.Background() }

// skipf marks the scenario skipped with a reason; the returned error wraps godog.ErrSkip.
func (w *world) skipf(format string, args ...any) error {
	w.skip = fmt.Errorf("%w: %s", godog.ErrSkip, fmt.Sprintf(format, args...))
	return w.skip
}

// check turns a missing-fixture error into a skip and anything else into a failure.
func (w *world) check(err error) error {
	if err == nil {
		return nil
	}
	var mf missingFixture
	if errors.As(err, &mf) {
		return w.skipf("%v", mf)
	}
	if errors.Is(err, godog.ErrSkip) {
		w.skip = err
		return err
	}
	return w.fail(err)
}

// fail decorates a step failure with the scenario's location and the last HTTP exchange.
func (w *world) fail(err error) error {
	if err == nil {
		return nil
	}
	if w.last == nil {
		return fmt.Errorf("%w\n  at %s", err, w.location)
	}
	return fmt.Errorf("%w\n  at %s\n  last exchange:\n%s", err, w.location, w.last)
}

func (w *world) failf(format string, args ...any) error {
	return w.fail(fmt.Errorf(format, args...))
}

func (w *world) needControl(what string) error {
	if w.cfg.Control == nil {
		return w.skipf("%s needs the reference control API (no control token for this endpoint)", what)
	}
	return nil
}

// now is the client clock for signatures: the wall clock, also against the reference, whose
// virtual clock drives tasks and STS expiry but whose signature window follows the wall clock.
func (w *world) now() time.Time { return time.Now() }

// --- sending ---------------------------------------------------------------------------

// send signs and sends one call of action with params, applying and clearing the tweaks,
// records the exchange and validates the response against the spec.
func (w *world) send(action string, params url.Values) error {
	t := w.tweak
	w.tweak = tweaks{}
	signer := acs.Signer{
		KeyID: w.account.AccessKeyID, Secret: w.account.AccessKeySecret,
		SecurityToken: w.account.SecurityToken, Version: w.signature,
		Now: func() time.Time { return w.now().Add(t.timeShift) },
	}
	if t.wrongSecret {
		signer.Secret += "x"
	}
	if t.unknownKey {
		signer.KeyID = "LTAI5tEicUnknown" + acs.NewNonce()[:8]
	}
	if t.token != nil {
		signer.SecurityToken = *t.token
	}
	call := acs.Call{Endpoint: w.cfg.Endpoint, Action: action, Params: params, Format: w.format,
		APIVersion: t.version, Method: t.method}
	req, err := signer.NewRequest(w.ctx(), call)
	if err != nil {
		return w.failf("build request: %v", err)
	}
	if t.noSignature {
		req.Header.Del("Authorization")
		q := req.URL.Query()
		q.Del("Signature")
		req.URL.RawQuery = q.Encode()
	}
	if t.badTime {
		if req.Header.Get(acs.HeaderDate) != "" {
			req.Header.Set(acs.HeaderDate, "2024/01/01 00:00:00")
		}
		q := req.URL.Query()
		if q.Has("Timestamp") {
			q.Set("Timestamp", "2024/01/01 00:00:00")
			req.URL.RawQuery = q.Encode()
		}
	}
	if t.dropParam != "" {
		q := req.URL.Query()
		q.Del(t.dropParam)
		req.URL.RawQuery = q.Encode()
		req.Header.Del(t.dropParam)
	}
	return w.exchange(action, req, nil)
}

func (w *world) exchange(action string, req *http.Request, body []byte) error {
	x := do(w.ctx(), w.cfg.httpClient(), action, req, body)
	w.last = x
	if x.err != nil {
		return w.failf("request failed: %v", x.err)
	}
	if err := x.validate(w.ctx(), w.cfg.spec()); err != nil {
		return w.fail(err)
	}
	return nil
}

// errorEnvelope decodes the last response as an error.
func (w *world) errorEnvelope() (*acs.ErrorEnvelope, error) {
	if w.last == nil || w.last.err != nil {
		return nil, w.failf("no response to check")
	}
	if w.last.status < 400 {
		return nil, w.failf("status = %d, want an error", w.last.status)
	}
	env, err := acs.DecodeError(w.last.header.Get("Content-Type"), w.last.body)
	if err != nil {
		return nil, w.failf("error body: %v", err)
	}
	return env, nil
}

// body decodes the last response (any status).
func (w *world) body() (*acs.Body, error) {
	if w.last == nil || w.last.err != nil {
		return nil, w.failf("no response to check")
	}
	b, err := acs.DecodeBody(w.last.header.Get("Content-Type"), w.last.body)
	if err != nil {
		return nil, w.failf("body: %v", err)
	}
	return b, nil
}

// success checks the last response is a 200 and returns its body.
func (w *world) success() (*acs.Body, error) {
	if w.last == nil || w.last.err != nil {
		return nil, w.failf("no response to check")
	}
	if w.last.status != http.StatusOK {
		code := ""
		if env, err := acs.DecodeError(w.last.header.Get("Content-Type"), w.last.body); err == nil {
			code = env.Code
		}
		return nil, w.failf("status = %d (error code = %q), want 200", w.last.status, code)
	}
	return w.body()
}

func str(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

// --- Given: who and how ------------------------------------------------------------------

func (w *world) iAmAccount(name string) error {
	a, err := w.cfg.Fixtures.account(name)
	if err != nil {
		return w.check(err)
	}
	w.account = a
	return nil
}

func (w *world) iSignWith(version string) error {
	w.signature = version
	return nil
}

func (w *world) iAskFor(format string) error {
	w.format = format
	return nil
}

func (w *world) anExportRequest(image, bucket string) error {
	img, err := w.cfg.Fixtures.image(image)
	if err != nil {
		return w.check(err)
	}
	b, err := w.cfg.Fixtures.bucket(bucket)
	if err != nil {
		return w.check(err)
	}
	region := img.Region
	if region == "" {
		region = w.cfg.Region
	}
	w.params = url.Values{"RegionId": {region}, "ImageId": {img.ID}, "OSSBucket": {b.Name}, "OSSPrefix": {"EcsExport"}}
	return nil
}

func (w *world) setParam(name, value string) error {
	v, err := w.cfg.Fixtures.expand(value, w.vars())
	if err != nil {
		return w.check(err)
	}
	if w.params == nil {
		w.params = url.Values{}
	}
	w.params.Set(name, v)
	return nil
}

func (w *world) setParamRepeated(name, value string, n int) error {
	return w.setParam(name, strings.Repeat(value, n))
}

func (w *world) paramAbsent(name string) error {
	w.params.Del(name)
	return nil
}

func (w *world) paramEmpty(name string) error { return w.setParam(name, "") }

func (w *world) vars() map[string]string {
	v := map[string]string{}
	if w.task != nil {
		v["task"] = w.task.id
	}
	return v
}

// --- Given: reference control -----------------------------------------------------------

func (w *world) quota(account, region string, concurrent, weekly int) error {
	if err := w.needControl("setting quotas"); err != nil {
		return err
	}
	a, err := w.cfg.Fixtures.account(account)
	if err != nil {
		return w.check(err)
	}
	r, err := w.cfg.Fixtures.region(region)
	if err != nil {
		return w.check(err)
	}
	if err := w.cfg.Control.SetQuota(w.ctx(), a.Name, r, concurrent, weekly); err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *world) exportFault(account string, percent int) error {
	if err := w.needControl("fault injection"); err != nil {
		return err
	}
	a, err := w.cfg.Fixtures.account(account)
	if err != nil {
		return w.check(err)
	}
	return w.fail(w.cfg.Control.Fault(w.ctx(), map[string]any{"kind": "fail-export", "account": a.Name, "atPercent": percent}))
}

func (w *world) throttled() error { return w.requestFault(1, "", "throttle") }

// requestFault makes the next n requests of account (a logical name; "" for anyone) answer
// an injected fault: "throttle" (ACS-E13), "internal-error" (ACS-E15) or "unavailable"
// (ACS-E16). n of 0 is one request.
func (w *world) requestFault(n int, account, kind string) error {
	if err := w.needControl("fault injection"); err != nil {
		return err
	}
	f := map[string]any{"kind": kind, "count": max(n, 1)}
	if account != "" {
		a, err := w.cfg.Fixtures.account(account)
		if err != nil {
			return w.check(err)
		}
		f["account"] = a.Name
	}
	return w.fail(w.cfg.Control.Fault(w.ctx(), f))
}

func (w *world) nextRequestFails(kind string) error { return w.requestFault(1, "", kind) }

func (w *world) nextRequestsOfFail(n int, account, kind string) error {
	return w.requestFault(n, account, kind)
}

func (w *world) stsCredentials(account, ttl string) error {
	if err := w.needControl("STS credentials"); err != nil {
		return err
	}
	a, err := w.cfg.Fixtures.account(account)
	if err != nil {
		return w.check(err)
	}
	d, err := time.ParseDuration(ttl)
	if err != nil {
		return w.failf("ttl %q: %v", ttl, err)
	}
	c, err := w.cfg.Control.STS(w.ctx(), a.Name, d)
	if err != nil {
		return w.fail(err)
	}
	w.account = Account{Name: a.Name, AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
	return nil
}

func (w *world) tokenFromAnotherSession() error {
	if err := w.needControl("STS credentials"); err != nil {
		return err
	}
	c, err := w.cfg.Control.STS(w.ctx(), w.account.Name, time.Hour)
	if err != nil {
		return w.fail(err)
	}
	w.account.SecurityToken = c.SecurityToken
	return nil
}

func (w *world) securityToken(token string) error {
	w.account.SecurityToken = token
	return nil
}

// --- Given: request tweaks ---------------------------------------------------------------

func (w *world) wrongSecret() error   { w.tweak.wrongSecret = true; return nil }
func (w *world) unknownKey() error    { w.tweak.unknownKey = true; return nil }
func (w *world) noSignature() error   { w.tweak.noSignature = true; return nil }
func (w *world) malformedTime() error { w.tweak.badTime = true; return nil }

func (w *world) timeShift(n int, dir string) error {
	w.tweak.timeShift = time.Duration(n) * time.Minute
	if dir == "past" {
		w.tweak.timeShift = -w.tweak.timeShift
	}
	return nil
}

func (w *world) dropParam(name string) error { w.tweak.dropParam = name; return nil }
func (w *world) apiVersion(v string) error   { w.tweak.version = v; return nil }
func (w *world) httpMethod(m string) error   { w.tweak.method = m; return nil }

// --- When --------------------------------------------------------------------------------

func (w *world) iExport() error { return w.send("ExportImage", w.params) }

func (w *world) iCall(action string) error {
	if w.params == nil {
		w.params = url.Values{}
	}
	return w.send(action, w.params)
}

func (w *world) iCallWith(action string, table *godog.Table) error {
	params := url.Values{}
	for _, row := range table.Rows {
		if len(row.Cells) != 2 {
			return w.failf("the table of %q needs two columns: name | value", action)
		}
		v, err := w.cfg.Fixtures.expand(row.Cells[1].Value, w.vars())
		if err != nil {
			return w.check(err)
		}
		params.Add(row.Cells[0].Value, v)
	}
	w.params = params
	return w.send(action, params)
}

func (w *world) iReplay() error {
	if w.last == nil || w.last.req == nil {
		return w.failf("no request to replay")
	}
	req := w.last.req.Clone(w.ctx())
	req.Body = http.NoBody
	return w.exchange(w.last.action, req, w.last.reqBody)
}

func (w *world) needTask() error {
	if w.task == nil {
		return w.failf("no export task was created in this scenario")
	}
	return nil
}

func (w *world) describeTask() error {
	if err := w.needTask(); err != nil {
		return err
	}
	return w.send("DescribeTaskAttribute", url.Values{"RegionId": {w.task.region}, "TaskId": {w.task.id}})
}

func (w *world) cancelTask() error {
	if err := w.needTask(); err != nil {
		return err
	}
	return w.send("CancelTask", url.Values{"RegionId": {w.task.region}, "TaskId": {w.task.id}})
}

func (w *world) listTasks() error {
	if err := w.needTask(); err != nil {
		return err
	}
	return w.send("DescribeTasks", url.Values{"RegionId": {w.task.region}, "TaskIds": {w.task.id}, "TaskAction": {"ExportImage"}})
}

func (w *world) timePasses(n int, unit string) error {
	if err := w.needControl("moving the clock"); err != nil {
		return err
	}
	if !w.cfg.virtualClock(w.ctx()) {
		return w.skipf("moving the clock needs a reference with a virtual clock (eic serve --clock virtual, or the embedded one)")
	}
	d := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(unit, "s")]
	if _, err := w.cfg.Control.Advance(w.ctx(), time.Duration(n)*d); err != nil {
		return w.fail(err)
	}
	return nil
}

// countTasks records how many ExportImage tasks the region of the request lists.
func (w *world) countTasks() error {
	n, err := w.exportTaskCount()
	if err != nil {
		return err
	}
	w.taskCount = n
	return nil
}

func (w *world) exportTaskCount() (int, error) {
	region := w.params.Get("RegionId")
	if err := w.send("DescribeTasks", url.Values{"RegionId": {region}, "TaskAction": {"ExportImage"}, "PageSize": {"100"}}); err != nil {
		return 0, err
	}
	b, err := w.success()
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(str(b.Fields["TotalCount"]))
	if err != nil {
		return 0, w.failf("TotalCount = %q, want a number", str(b.Fields["TotalCount"]))
	}
	return n, nil
}

// --- Then: responses ----------------------------------------------------------------------

// refusedWith is the older phrase naming only the row ID; same verdict as refusedWithPair.
func (w *world) refusedWith(id string) error {
	row := spec.CodeByID(id)
	if row == nil {
		return w.failf("unknown error row %q (see eic spec --errors)", id)
	}
	return w.refusedAs([]*spec.Code{row})
}

func (w *world) refusedWithCode(code string) error {
	if id := w.acceptedTask(); id != "" {
		w.recordTask(id, "unintended")
		return w.failf("the export was accepted (task %s, cancelled at once), want a refusal with code %q", id, code)
	}
	env, err := w.errorEnvelope()
	if err != nil {
		return err
	}
	if env.Code != code {
		return w.failf("error code = %q, want %q", env.Code, code)
	}
	return nil
}

// passesValidation accepts DryRunOperation, or — the seed does not list DryRun, so an
// endpoint may ignore it — an accepted export, whose task is cancelled at once and listed in
// the report.
func (w *world) passesValidation() error {
	if id := w.acceptedTask(); id != "" {
		w.recordTask(id, "validation")
		return nil
	}
	return w.refusedWith(spec.DryRunOperation.ID)
}

func (w *world) succeeds() error {
	_, err := w.success()
	return err
}

// exportAccepted checks a 200 with RequestId and TaskId (not ExportTaskId) and remembers
// the task.
func (w *world) exportAccepted() error {
	b, err := w.success()
	if err != nil {
		return err
	}
	id := str(b.Fields["TaskId"])
	if id == "" {
		if _, ok := b.Fields["ExportTaskId"]; ok {
			return w.failf("response field = \"ExportTaskId\", want \"TaskId\" (EI-R18: the response table and every SDK name it TaskId)")
		}
		return w.failf("response lacks TaskId")
	}
	if str(b.Fields["RequestId"]) == "" {
		return w.failf("response lacks RequestId")
	}
	format := w.params.Get("ImageFormat")
	if format == "" {
		format = "raw"
	}
	w.task = &task{id: id, region: w.params.Get("RegionId"), image: w.params.Get("ImageId"),
		bucket: w.params.Get("OSSBucket"), prefix: w.params.Get("OSSPrefix"), format: format}
	w.recordTask(id, "export")
	return nil
}

func (w *world) responseIs(format string) error {
	if w.last == nil || w.last.err != nil {
		return w.failf("no response to check")
	}
	ct := w.last.header.Get("Content-Type")
	want := acs.Format(format).ContentType()
	if ct != want {
		return w.failf("content type = %q, want %q", ct, want)
	}
	b, err := w.body()
	if err != nil {
		return err
	}
	if b.Format != acs.Format(format) {
		return w.failf("body format = %q, want %q", b.Format, format)
	}
	return nil
}

func (w *world) fieldIs(name, value string) error {
	want, err := w.cfg.Fixtures.expand(value, w.vars())
	if err != nil {
		return w.check(err)
	}
	b, err := w.body()
	if err != nil {
		return err
	}
	if got := str(b.Fields[name]); got != want {
		return w.failf("response field %s = %q, want %q", name, got, want)
	}
	return nil
}

func (w *world) fieldPresent(name string) error {
	b, err := w.body()
	if err != nil {
		return err
	}
	if str(b.Fields[name]) == "" {
		return w.failf("response field %s = \"\", want a value", name)
	}
	return nil
}

func (w *world) fieldAbsent(name string) error {
	b, err := w.body()
	if err != nil {
		return err
	}
	if _, ok := b.Fields[name]; ok {
		return w.failf("response has the field %s, want none", name)
	}
	return nil
}

func (w *world) envelopeComplete() error {
	env, err := w.errorEnvelope()
	if err != nil {
		return err
	}
	for name, v := range map[string]string{"RequestId": env.RequestId, "HostId": env.HostId, "Code": env.Code, "Message": env.Message, "Recommend": env.Recommend} {
		if v == "" {
			return w.failf("error envelope field %s = \"\", want a value", name)
		}
	}
	if !strings.Contains(env.Recommend, url.QueryEscape(env.Code)) {
		return w.failf("Recommend = %q, want a link naming the code %q", env.Recommend, env.Code)
	}
	return nil
}

func (w *world) tasksUnchanged() error {
	n, err := w.exportTaskCount()
	if err != nil {
		return err
	}
	if n != w.taskCount {
		return w.failf("export tasks = %d, want %d (unchanged)", n, w.taskCount)
	}
	return nil
}
