package fuzz

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/exportimage/eic/spec"
)

// Outcome is what the model expects of one request.
type Outcome struct {
	// Success: HTTP 200 (for ExportImage with a TaskId).
	Success bool
	// Rows: an error, any one of these rows (same wire code and status, message of its shape).
	// Several rows when the documents leave the order of two failing checks open, or when a
	// wire code has several rows.
	Rows []*spec.Code
	// Any: the documents do not decide; only "no 5xx" and "valid per the spec" apply.
	Any bool
	// Rule names the documented rule that decided, for reports.
	Rule string
	// Lenient is the other acceptable outcome where an endpoint may choose (nil: none): a
	// parameter the action does not define is refused (InvalidParameter) by a strict endpoint
	// and ignored by a lenient one, which then answers as Lenient says.
	Lenient *Outcome
}

func (o Outcome) String() string {
	switch {
	case o.Any:
		return "anything but 5xx (" + o.Rule + ")"
	case o.Success:
		return "success (" + o.Rule + ")"
	}
	ids := make([]string, len(o.Rows))
	for i, c := range o.Rows {
		ids[i] = c.ID + " " + c.Wire
	}
	return strings.Join(ids, " or ") + " (" + o.Rule + ")"
}

func fail(rule string, rows ...*spec.Code) Outcome { return Outcome{Rows: rows, Rule: rule} }

// State is what the model remembers between requests: the virtual clock, quotas set
// through the control API, and the export tasks it has seen accepted.
type State struct {
	Now    time.Time
	Quotas map[string]Quota // "account/region" → quota set through the control API
	Tasks  []*Task
}

// Task is an export task as the model tracks it.
type Task struct {
	ID, Account, Region, Image, Bucket, Prefix, Format string
	Created                                            time.Time
	Status                                             string // Waiting, Processing, Finished, Failed, Deleted
	Progress                                           int
	Ended                                              time.Time
}

// InFlight reports whether the task still holds a concurrent slot.
func (t *Task) InFlight() bool { return t.Status == "Waiting" || t.Status == "Processing" }

// NewState is the state of freshly loaded fixtures at time now.
func NewState(now time.Time) *State { return &State{Now: now, Quotas: map[string]Quota{}} }

// Quota is the quota in force for an account and region.
func (s *State) Quota(w *World, account, region string) Quota {
	if q, ok := s.Quotas[account+"/"+region]; ok {
		return q
	}
	return w.Quota
}

// InFlight counts the account's Waiting or Processing exports in a region.
func (s *State) InFlight(account, region string) int {
	n := 0
	for _, t := range s.Tasks {
		if t.Account == account && t.Region == region && t.InFlight() {
			n++
		}
	}
	return n
}

// Week is the rolling window of the weekly quota.
const Week = 7 * 24 * time.Hour

// Submissions counts the account's accepted exports in a region within the rolling week;
// edge is true when one sits exactly on the window's boundary (the model then accepts both
// answers).
func (s *State) Submissions(account, region string) (n int, edge bool) {
	for _, t := range s.Tasks {
		if t.Account != account || t.Region != region {
			continue
		}
		switch age := s.Now.Sub(t.Created); {
		case age < Week:
			n++
		case age == Week:
			edge = true
		}
	}
	return n, edge
}

// Task finds a task by ID.
func (s *State) Task(id string) *Task {
	for _, t := range s.Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// MaxQueryBytes is the reference's limit on the raw query (reference/api: 32 KiB); over it
// the answer is RequestEntityTooLarge.
const MaxQueryBytes = 32 << 10

// Expect is the model: the outcome the documents prescribe for req against w in state st.
// It is pure (it reads st, never changes it) and independent of reference/ecs.
//
// The transport part follows reference/api's documented pipeline (docs/reference.md and its
// package doc): request size, authentication (unknown or disabled key), parameter decoding (a
// repeated parameter or a name or value that is not UTF-8 is InvalidParameter), the action, then parameters the action does not define and ill-typed booleans and integers
// (InvalidParameter). The domain part follows the documents per action.
func Expect(w *World, st *State, req Request) Outcome { return ExpectSigned(w, st, req, "v3", false) }

// ExpectSigned is Expect for requests signed with scheme ("v3" or "v1"), spoiled as
// req.Tamper says. strictParams: the endpoint is known to refuse parameters an action does
// not define; otherwise either that refusal or ignoring them is accepted (Outcome.Lenient).
//
// The signature checks follow reference/api's pipeline: the path and the method first, then
// the query's size and decoding, the signature's shape, the access key, the signature
// itself, the time window, the STS token, the nonce, the parameters' decoding, Action and
// Version.
func ExpectSigned(w *World, st *State, req Request, scheme string, strictParams bool) Outcome {
	loadParams()
	if st == nil {
		st = NewState(time.Time{})
	}
	if c := tamperEarly(req.Tamper); c != nil {
		return fail("api: "+req.Tamper, c)
	}
	q := req.Values()
	if queryLen(req.Params) > MaxQueryBytes {
		return fail("reference: query over 32 KiB", spec.RequestTooLarge)
	}
	if rows := tamperParse(req.Tamper, scheme); rows != nil {
		return fail("signature: "+req.Tamper, rows...)
	}
	switch req.Account {
	case UnknownKey:
		return fail("api: unknown access key", spec.AccessKeyNotFound)
	case DisabledKey:
		return fail("api: disabled access key", spec.AccessKeyInactive)
	}
	if rows := tamperVerify(req.Tamper, scheme); rows != nil {
		return fail("signature: "+req.Tamper, rows...)
	}
	names := sortedKeys(q) // the rule named is the same in every run (not map order)
	for _, name := range names {
		if vs := q[name]; !utf8.ValidString(name) || len(vs) > 1 || !utf8.ValidString(vs[0]) {
			return fail("api: "+strconv.Quote(name)+" repeated or not UTF-8", spec.InvalidParameter)
		}
	}
	if rows := tamperAction(req.Tamper); rows != nil {
		return fail("signature: "+req.Tamper, rows...)
	}
	params, known := actionParams[req.Action]
	if !known {
		return fail("api: action not served", spec.ActionNotFound)
	}
	var unknown []string
	for _, name := range names {
		vs := q[name]
		kind, ok := params[name]
		if base, index, dotted := strings.Cut(name, "."); dotted && flattened[req.Action][base] {
			if n, err := strconv.Atoi(index); err == nil && n >= 1 && n <= 100 && strconv.Itoa(n) == index {
				continue // one element of a flattened list (Name.1 … Name.100)
			}
		}
		if !ok || kind == "flattened" {
			unknown = append(unknown, name)
			continue
		}
		if kind == "boolean" && vs[0] != "true" && vs[0] != "false" {
			return fail("api: "+name+" is not true or false", spec.InvalidParameter)
		}
		if kind == "integer" && !isInt64(vs[0]) {
			return fail("api: "+name+" is not an int64", spec.InvalidParameter)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		out := fail("api: parameter "+strconv.Quote(unknown[0])+" not defined for "+req.Action, spec.InvalidParameter)
		if !strictParams {
			known := req
			for _, name := range unknown {
				known = known.Without(name)
			}
			lenient := ExpectSigned(w, st, known, scheme, true)
			out.Lenient = &lenient
		}
		return out
	}
	account := req.Account
	switch req.Action {
	case "ExportImage":
		return expectExport(w, st, account, q)
	case "DescribeTasks":
		return expectDescribeTasks(w, q)
	case "DescribeTaskAttribute", "CancelTask":
		return expectTaskCall(w, st, account, req.Action, q)
	}
	return Outcome{Any: true, Rule: req.Action + " is modelled only up to its transport checks"}
}

// actionParams: each served action's own parameters and their types — from the spec
// (ParamsOf), plus the owner parameters every action takes. Filled by loadParams from the
// embedded document on first use (not at init: every eic command would pay for it), so a
// parameter added there is known here.
var actionParams = map[string]map[string]string{}

// flattened: per action, the list parameters the spec marks x-eic-flattened; they are sent
// only as Name.1 … Name.100, never under their bare name.
var flattened = map[string]map[string]bool{}

// loadParams fills actionParams and flattened once.
var loadParams = sync.OnceFunc(func() {
	s := spec.MustLoad()
	for _, a := range s.Actions() {
		ps, err := ParamsOf(s, a)
		if err != nil {
			panic(err)
		}
		m, f := map[string]string{}, map[string]bool{}
		for _, p := range ps {
			m[p.Name] = p.Type
		}
		op, _ := s.Operation(a)
		for _, ref := range op.Operation.Parameters {
			if ref.Value != nil && ref.Value.Extensions["x-eic-flattened"] == true {
				f[ref.Value.Name], m[ref.Value.Name] = true, "flattened"
			}
		}
		flattened[a] = f
		for name := range protocolParams {
			m[name] = "protocol"
		}
		m["SignatureType"], m["BearerToken"] = "protocol", "protocol"
		actionParams[a] = m
	}
})

// isInt64: an optional minus sign and decimal digits that fit an int64 (format int64).
func isInt64(s string) bool {
	if s == "" || s[0] == '+' {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// validPrefix is the OSSPrefix rule: 1–30 ASCII letters or digits (the document; reference.md
// check 2). Written out rather than taken from the spec's pattern: a second opinion.
func validPrefix(s string) bool {
	if len(s) < 1 || len(s) > 30 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// imageFormats is the document's list, lower case only (reference.md check 3).
var imageFormats = map[string]bool{"raw": true, "vhd": true, "qcow2": true, "vmdk": true, "vdi": true}

// expectExport is docs/reference.md "ExportImage: order of checks", step by step.
func expectExport(w *World, st *State, account string, q url.Values) Outcome {
	get := func(name string) (string, bool) {
		v, ok := q[name]
		if !ok {
			return "", false
		}
		return v[0], true
	}
	// 1. Required parameters, in this order.
	for _, r := range []struct {
		name string
		code *spec.Code
	}{{"RegionId", spec.MissingRegionID}, {"ImageId", spec.MissingImageID}, {"OSSBucket", spec.MissingOSSBucket}} {
		if v, _ := get(r.name); v == "" {
			return fail("check 1: "+r.name+" missing or empty", r.code)
		}
	}
	regionID, _ := get("RegionId")
	imageID, _ := get("ImageId")
	bucketName, _ := get("OSSBucket")
	// 2. OSSPrefix.
	if v, ok := get("OSSPrefix"); ok && !validPrefix(v) {
		return fail("check 2: OSSPrefix not 1–30 ASCII letters or digits", spec.InvalidOSSPrefix)
	}
	// 3. ImageFormat.
	format := "raw"
	if v, ok := get("ImageFormat"); ok {
		if !imageFormats[v] {
			return fail("check 3: ImageFormat not one of raw|vhd|qcow2|vmdk|vdi", spec.InvalidImageFormat)
		}
		format = v
	}
	// 4. Region.
	region, ok := w.Regions[regionID]
	switch {
	case !ok:
		return fail("check 4: no such region", spec.InvalidRegionID)
	case !region.Export:
		return fail("check 4: region does not export", spec.RegionNotSupport)
	case format != "raw" && !region.AllFormats:
		return fail("check 4: region produces raw only", spec.FormatRegionNotSupported)
	}
	// 5. Allow-list.
	acct := w.Accounts[account]
	if acct == nil || !acct.AllowListed {
		return fail("check 5: account not allow-listed", spec.UserNotInTheWhiteList)
	}
	// 6. Image visible to the account in the region.
	img, ok := w.Images[imageID]
	if !ok || img.Owner != account || img.Region != regionID {
		return fail("check 6: image not visible to the account in the region", spec.InvalidImageID)
	}
	// 7. Image properties, in this order.
	switch {
	case img.BadName:
		return fail("check 7: stored image name malformed", spec.InvalidImageName)
	case img.Marketplace:
		return fail("check 7: marketplace image", spec.MarketImageForbidden)
	case img.MarketDerived:
		return fail("check 7: made from a marketplace image", spec.MarketDerivedImage)
	case img.Encrypted:
		return fail("check 7: encrypted snapshot", spec.EncryptedImage)
	case img.Licensed:
		return fail("check 7: licence forbids export", spec.ImageLicenseNotSupported)
	case img.Status != "Available":
		return fail("check 7: image not Available", spec.IncorrectImageStatus)
	}
	// 8. Data disks.
	if len(img.DataDisks) > 0 {
		if !region.DataDiskExport {
			return fail("check 8: data-disk export off in the region", spec.OperationDenied)
		}
		big := false
		for _, gib := range img.DataDisks {
			big = big || gib > 500
		}
		if len(img.DataDisks) > 4 || big {
			return fail("check 8: more than 4 data disks or one over 500 GiB", spec.DiskAmountOrSize)
		}
	}
	// 9. RAM role.
	if v, ok := get("RoleName"); ok && v != DefaultRole {
		return fail("check 9: RoleName other than "+DefaultRole, spec.NoSetRole)
	}
	if acct.Role != "ok" {
		return fail("check 9: role "+acct.Role, spec.NoSetRole)
	}
	// 10. Bucket.
	bucket, ok := w.Buckets[bucketName]
	if !ok || bucket.Owner != account {
		return fail("check 10: no such bucket for the account", spec.BucketNotFound)
	}
	if bucket.Region != regionID {
		return fail("check 10: bucket in another region", spec.BucketNotMatched)
	}
	// 11. Already exporting.
	for _, t := range st.Tasks {
		if t.Account == account && t.Image == imageID && t.InFlight() {
			return fail("check 11: image already exporting", spec.ImageIsExporting)
		}
	}
	// 12. Source readable.
	if img.Unreadable {
		return fail("check 12: source unreadable", spec.ExportImageFailed)
	}
	// 13. Quotas: concurrent, then weekly.
	quota := st.Quota(w, account, regionID)
	if st.InFlight(account, regionID) >= quota.Concurrent {
		return fail("check 13: concurrent quota reached", spec.ConcurrentQuotaExceed)
	}
	n, edge := st.Submissions(account, regionID)
	if n >= quota.Weekly {
		return fail("check 13: weekly quota reached", spec.WeeklyQuotaExceed)
	}
	if edge && n+1 >= quota.Weekly {
		return Outcome{Any: true, Rule: "check 13: a submission sits exactly on the weekly window's edge"}
	}
	// 14. Dry run.
	if v, _ := get("DryRun"); v == "true" {
		return fail("check 14: DryRun", spec.DryRunOperation)
	}
	return Outcome{Success: true, Rule: "check 15: task created"}
}

// missingParameter: every row of the wire code (the companion actions' message is the
// common one, ExportImage's its own).
func missingParameter() []*spec.Code { return spec.Lookup("MissingParameter") }

// expectDescribeTasks follows protocol.md E.1: RegionId required and existing; TaskStatus
// values other than the three filters are ignored; the rest is decided only for values the
// document describes (paging in range, at most 100 IDs, the two time layouts, the TaskAction
// enum). Anything else the document leaves open.
func expectDescribeTasks(w *World, q url.Values) Outcome {
	region := q.Get("RegionId")
	if region == "" {
		return fail("E.1: RegionId missing", missingParameter()...)
	}
	if _, ok := w.Regions[region]; !ok {
		return fail("E.1: no such region", spec.InvalidRegionID)
	}
	open := func(why string) Outcome { return Outcome{Any: true, Rule: "E.1 leaves " + why + " open"} }
	if v, ok := q["TaskAction"]; ok && !oneOf(v[0], "ImportImage", "ExportImage", "RedeployInstance", "ModifyDiskSpec", "ArchiveSnapshot") {
		return open("an unknown TaskAction")
	}
	if v, ok := q["TaskIds"]; ok && (v[0] == "" || strings.Count(v[0], ",") >= 100) {
		return open("an empty or over-long TaskIds")
	}
	for _, name := range []string{"StartTime", "EndTime"} {
		if v, ok := q[name]; ok && !isTime(v[0]) {
			return open("a malformed " + name)
		}
	}
	if v, ok := q["PageNumber"]; ok && atoi(v[0]) < 1 {
		return open("PageNumber below 1")
	}
	if v, ok := q["PageSize"]; ok && (atoi(v[0]) < 1 || atoi(v[0]) > 100) {
		return open("PageSize outside 1–100")
	}
	return Outcome{Success: true, Rule: "E.1: a page of tasks"}
}

func oneOf(s string, list ...string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

func isTime(s string) bool {
	for _, layout := range []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04Z"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func atoi(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// expectTaskCall is DescribeTaskAttribute and CancelTask (protocol.md E.2, E.3, reference.md
// "Tasks"): RegionId and TaskId required (the documents do not order the two checks, nor
// region existence against TaskId presence), the task must be the account's own in that
// region, and CancelTask needs a Waiting or Processing task. A fixture task of another action
// (World.Tasks) is described but not cancelled (TaskActionNotSupport, E.3).
func expectTaskCall(w *World, st *State, account, action string, q url.Values) Outcome {
	region, taskID := q.Get("RegionId"), q.Get("TaskId")
	var rows []*spec.Code
	if region == "" || taskID == "" {
		rows = append(rows, missingParameter()...)
	}
	if _, ok := w.Regions[region]; region != "" && !ok {
		rows = append(rows, spec.InvalidRegionID)
	}
	if len(rows) > 0 {
		return fail("E.2/E.3: RegionId and TaskId required, region must exist", rows...)
	}
	if f, ok := w.Tasks[taskID]; ok && st.Task(taskID) == nil {
		switch {
		case f.Account != account || f.Region != region:
			return fail("E.2/E.3: not the account's task in that region", spec.TaskNotFound)
		case action == "CancelTask" && f.Action != "ImportImage":
			return fail("E.3: CancelTask supports ImportImage and ExportImage tasks only", spec.TaskActionNotSupport)
		case action == "CancelTask" && f.Status != "Waiting" && f.Status != "Processing":
			return fail("E.3: only a Waiting or Processing task can be cancelled", spec.TaskStatusIncorrect)
		}
		return Outcome{Success: true, Rule: "E.2/E.3: a fixture task"}
	}
	t := st.Task(taskID)
	if t == nil || t.Account != account || t.Region != region {
		return fail("E.2/E.3: not the account's task in that region", spec.TaskNotFound)
	}
	if action == "CancelTask" && !t.InFlight() {
		return fail("E.3: only a Waiting or Processing task can be cancelled", spec.TaskStatusIncorrect)
	}
	return Outcome{Success: true, Rule: "E.2/E.3: the task"}
}

// queryLen is the length of the request's query as url.Values.Encode writes it (each name
// and value query-escaped, "=" and "&" between), counted without building it.
func queryLen(params []Param) int {
	n := 0
	for i, p := range params {
		if i > 0 {
			n++
		}
		n += escapedLen(p.Name) + 1 + escapedLen(p.Value)
	}
	return n
}

// escapedLen is len(url.QueryEscape(s)).
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~', c == ' ':
		default:
			n += 2
		}
	}
	return n
}
