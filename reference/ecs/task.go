package ecs

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/spec/errcode"
)

// Task states (protocol.md E; Deleted is the cancelled state).
const (
	StatusWaiting    = "Waiting"
	StatusProcessing = "Processing"
	StatusFinished   = "Finished"
	StatusFailed     = "Failed"
	StatusDeleted    = "Deleted"
)

// TimeLayout is how times are written in answers other than the task actions' (UTC, seconds
// precision). DescribeTasks accepts it and TaskTimeLayout in StartTime and EndTime.
const TimeLayout = "2006-01-02T15:04:05Z"

// TaskTimeLayout is how DescribeTasks and DescribeTaskAttribute write CreationTime and
// FinishedTime: UTC to the minute, as their documents' samples do (protocol.md E.1, and
// "CreationTime": "2015-11-23T02:13Z" in DescribeTaskAttribute's).
const TaskTimeLayout = "2006-01-02T15:04Z"

// TaskAction is the only task action this reference creates. Tasks of other actions exist
// only as fixtures (TaskSpec).
const TaskAction = "ExportImage"

// importAction is the other action CancelTask supports (protocol.md E.3).
const importAction = "ImportImage"

// task is one export task, or a fixture task of another action (image nil, action set).
// Fields written by the writer goroutine: none (see runner).
type task struct {
	id    string
	seq   uint64 // creation order in the Service, the listing order
	sc    scope
	image *image // nil for a fixture task
	// action and resource are a fixture task's TaskAction and ResourceId.
	action   string
	resource string
	bucket   string
	prefix   string // "" when OSSPrefix was absent
	format   diskimage.Format
	status   string
	created  time.Time
	started  time.Time // when Processing began
	// finished is when the task reached its terminal state.
	finished time.Time
	total    int64 // source bytes to export (all disks)
	done     int64 // source bytes exported so far, as shown
	errCode  string
	errMsg   string
	fault    *Fault
	faultAt  int64 // bytes at which fault strikes
	run      *runner
	uploads  []oss.Upload
}

// objectKeys names the objects of the task, one per disk (objectStem):
// <OSSPrefix>_<ImageId>_system.<ext>, <OSSPrefix>_<ImageId>_data_<device>.<ext>.
func (t *task) objectKeys() []string {
	if t.foreign() {
		return []string{}
	}
	keys := make([]string, len(t.image.disks))
	for i, d := range t.image.disks {
		k := t.image.objectStem(d) + "." + t.format.Extension()
		if t.prefix != "" {
			k = t.prefix + "_" + k
		}
		keys[i] = k
	}
	return keys
}

func (t *task) inFlight() bool { return t.status == StatusWaiting || t.status == StatusProcessing }

// foreign reports a fixture task of another action: it never moves on its own and is kept out
// of the export indexes (and of the quotas).
func (t *task) foreign() bool { return t.image == nil }

// actionName is the task's TaskAction.
func (t *task) actionName() string {
	if t.foreign() {
		return t.action
	}
	return TaskAction
}

// resourceID is the task's ResourceId: the image of an export.
func (t *task) resourceID() string {
	if t.foreign() {
		return t.resource
	}
	return t.image.spec.ID
}

// cancellable reports whether CancelTask supports the task's action (protocol.md E.3:
// ImportImage and ExportImage).
func (t *task) cancellable() bool {
	return t.actionName() == TaskAction || t.actionName() == importAction
}

// supportCancel is SupportCancel: an in-flight task of an action CancelTask supports.
func (t *task) supportCancel() string { return boolString(t.inFlight() && t.cancellable()) }

// newer is the listing order: later creation first, then later sequence (fixture tasks have
// the lowest sequence numbers).
func newer(a, b *task) bool {
	if !a.created.Equal(b.created) {
		return a.created.After(b.created)
	}
	return a.seq > b.seq
}

// percent is TaskProcess: the share of source bytes exported, rounded down; 100% only when
// Finished.
func (t *task) percent() string {
	switch {
	case t.status == StatusFinished:
		return "100%"
	case t.total == 0:
		return "0%"
	}
	return strconv.FormatInt(min(t.done*100/t.total, 99), 10) + "%"
}

func boolString(b bool) string { return strconv.FormatBool(b) }

// taskIndex lists an account's export tasks in one region by creation order, all of them and
// per filterable status, so DescribeTasks pages without sorting or scanning. Fixture tasks of
// other actions are few and kept apart, in foreign (oldest first, see newer).
type taskIndex struct {
	all      []*task
	byStatus map[string][]*task // Finished, Processing, Failed
	inFlight int
	foreign  []*task
}

func (s *Service) index(sc scope) *taskIndex {
	ix := s.st.indexes[sc]
	if ix == nil {
		ix = &taskIndex{byStatus: map[string][]*task{}}
		s.st.indexes[sc] = ix
	}
	return ix
}

func filterable(status string) bool {
	return status == StatusFinished || status == StatusProcessing || status == StatusFailed
}

// setStatus changes a task's status and keeps its index in step.
func (s *Service) setStatus(t *task, status string) {
	ix := s.index(t.sc)
	old := t.status
	if filterable(old) {
		l := ix.byStatus[old]
		i := sort.Search(len(l), func(i int) bool { return l[i].seq >= t.seq })
		if i < len(l) && l[i] == t {
			ix.byStatus[old] = append(l[:i], l[i+1:]...)
		}
	}
	if filterable(status) {
		l := ix.byStatus[status]
		i := sort.Search(len(l), func(i int) bool { return l[i].seq > t.seq })
		l = append(l, nil)
		copy(l[i+1:], l[i:])
		l[i] = t
		ix.byStatus[status] = l
	}
	if t.inFlight() {
		ix.inFlight--
	}
	t.status = status
	if t.inFlight() {
		ix.inFlight++
	}
}

// addTask registers a new task (status already set to Waiting or a terminal state).
func (s *Service) addTask(t *task) {
	ix := s.index(t.sc)
	ix.all = append(ix.all, t)
	status := t.status
	t.status = ""
	s.setStatus(t, status)
	s.st.tasks[t.id] = t
	if t.inFlight() {
		s.st.active = append(s.st.active, t)
		s.st.exporting[t.image.spec.ID] = t
	}
}

// Task is one entry of DescribeTasks.
type Task struct {
	TaskId        string `json:"TaskId"`
	TaskAction    string `json:"TaskAction"`
	TaskStatus    string `json:"TaskStatus"`
	SupportCancel string `json:"SupportCancel"` // "true" or "false"
	CreationTime  string `json:"CreationTime"`
	FinishedTime  string `json:"FinishedTime,omitempty"`
	ResourceId    string `json:"ResourceId"` // the image ID
}

// TaskSet wraps the list as the SDK expects (an object, not an array).
type TaskSet struct {
	Task []Task `json:"Task"`
}

// DescribeTasksResult is the answer of DescribeTasks (the API layer adds RequestId).
type DescribeTasksResult struct {
	RegionId   string  `json:"RegionId"`
	TotalCount int     `json:"TotalCount"`
	PageNumber int     `json:"PageNumber"`
	PageSize   int     `json:"PageSize"`
	TaskSet    TaskSet `json:"TaskSet"`
}

func (t *task) wire() Task {
	out := Task{
		TaskId: t.id, TaskAction: t.actionName(), TaskStatus: t.status, SupportCancel: t.supportCancel(),
		CreationTime: t.created.Format(TaskTimeLayout), ResourceId: t.resourceID(),
	}
	if !t.inFlight() {
		out.FinishedTime = t.finished.Format(TaskTimeLayout)
	}
	return out
}

// DescribeTasksRequest carries the parameters of DescribeTasks as received ("" = absent).
type DescribeTasksRequest struct {
	RegionID    string
	TaskAction  string   // only tasks of that action (other actions than ExportImage: fixture tasks)
	TaskIDs     string   // comma-separated, at most 100 (a JSON-array string is tolerated)
	TaskStatus  string   // Finished, Processing or Failed filter; other values are ignored
	StartTime   string   // creation time ≥, yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mmZ
	EndTime     string   // creation time ≤
	ResourceIDs []string // image IDs, at most 100
	PageNumber  string   // ≥ 1, default 1
	PageSize    string   // 1–100, default 10
	// TaskGroupID keeps the tasks of that group; no task here belongs to a group, so any
	// value lists nothing. Real ECS: groups batch tasks of other actions.
	TaskGroupID string
}

// DescribeTasks lists the account's tasks in the region, newest first. Cost: O(page) without
// TaskIds and ResourceIds (binary search on the time range in the creation-ordered index of
// the status asked), O(matches in the range) with ResourceIds, O(ids) with TaskIds; fixture
// tasks of other actions add O(their number × log tasks).
func (s *Service) DescribeTasks(ctx context.Context, account string, req DescribeTasksRequest) (DescribeTasksResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	out := DescribeTasksResult{RegionId: req.RegionID, TaskSet: TaskSet{Task: []Task{}}}
	if _, err := s.companionRegion(req.RegionID); err != nil {
		return out, err
	}
	n, size, err := paging(req.PageNumber, req.PageSize)
	if err != nil {
		return out, err
	}
	out.PageNumber, out.PageSize = n, size
	q := taskQuery{action: req.TaskAction, resources: req.ResourceIDs}
	if q.from, q.to, err = timeRange(req.StartTime, req.EndTime); err != nil {
		return out, err
	}
	ids := splitList(req.TaskIDs)
	if len(ids) > 100 {
		return out, errcode.InvalidParameter.Err("TaskIds")
	}
	if len(req.ResourceIDs) > 100 {
		return out, errcode.InvalidParameter.Err("ResourceIds")
	}
	if filterable(req.TaskStatus) {
		q.status = req.TaskStatus
	}
	sc := scope{account, req.RegionID}
	ix := s.st.indexes[sc]
	if ix == nil || req.TaskGroupID != "" {
		return out, nil
	}
	p := taskPage{from: (n - 1) * size, size: size}
	if len(ids) > 0 {
		s.pageByID(&p, sc, ids, q)
	} else {
		q.pageIndex(&p, ix)
	}
	out.TotalCount = p.total
	for _, t := range p.tasks {
		out.TaskSet.Task = append(out.TaskSet.Task, t.wire())
	}
	return out, nil
}

// taskQuery is the filter of a DescribeTasks request.
type taskQuery struct {
	action    string    // "" or a TaskAction
	status    string    // "" or a filterable status
	from, to  time.Time // creation time range, both ends included
	resources []string  // ResourceIds, none for any
}

func (q *taskQuery) keep(t *task) bool {
	return (q.action == "" || t.actionName() == q.action) &&
		(q.status == "" || t.status == q.status) &&
		!t.created.Before(q.from) && !t.created.After(q.to) &&
		(len(q.resources) == 0 || contains(q.resources, t.resourceID()))
}

// pageByID pages the tasks of scope sc named by ids (duplicates and unknown IDs ignored) that q
// keeps.
func (s *Service) pageByID(p *taskPage, sc scope, ids []string, q taskQuery) {
	var match []*task
	seen := map[string]bool{}
	for _, id := range ids {
		if t := s.st.tasks[id]; t != nil && t.sc == sc && !seen[id] && q.keep(t) {
			seen[id] = true
			match = append(match, t)
		}
	}
	sort.Slice(match, func(i, j int) bool { return newer(match[i], match[j]) })
	for _, t := range match {
		p.add(t)
	}
}

// pageIndex pages the tasks of ix that q keeps. The index's list for the status asked, cut to
// the time range by binary search, holds the exports; the fixture tasks are merged into it by
// creation order: the exports between two fixture tasks are a contiguous run of the list, also
// found by binary search.
func (q *taskQuery) pageIndex(p *taskPage, ix *taskIndex) {
	var list []*task // oldest first
	if q.action == "" || q.action == TaskAction {
		list = ix.all
		if q.status != "" {
			list = ix.byStatus[q.status]
		}
	}
	lo := sort.Search(len(list), func(i int) bool { return !list[i].created.Before(q.from) })
	hi := sort.Search(len(list), func(i int) bool { return list[i].created.After(q.to) })
	list = list[lo:max(lo, hi)]
	i := len(list) // list[:i] is still to come
	for j := len(ix.foreign) - 1; j >= -1; j-- {
		k := 0
		if j >= 0 {
			f := ix.foreign[j]
			k = sort.Search(i, func(x int) bool { return newer(list[x], f) })
		}
		q.pageExports(p, list[k:i])
		i = k
		if j >= 0 && q.keep(ix.foreign[j]) {
			p.add(ix.foreign[j])
		}
	}
}

// pageExports pages run, exports oldest first already within q's action, status and time
// range: by count without ResourceIds, else one by one.
func (q *taskQuery) pageExports(p *taskPage, run []*task) {
	if len(q.resources) == 0 {
		p.addRun(run)
		return
	}
	for k := len(run) - 1; k >= 0; k-- {
		if contains(q.resources, run[k].resourceID()) {
			p.add(run[k])
		}
	}
}

// taskPage collects one page of a newest-first listing and counts the whole listing, keeping
// only the page's tasks.
type taskPage struct {
	from, size int     // position of the page's first task in the listing, page size
	total      int     // tasks listed so far: TotalCount at the end
	tasks      []*task // the page, newest first
}

// add lists t.
func (p *taskPage) add(t *task) {
	if p.total >= p.from && p.total < p.from+p.size {
		p.tasks = append(p.tasks, t)
	}
	p.total++
}

// addRun lists run, oldest first (so listed from its end), in O(page) whatever its length.
func (p *taskPage) addRun(run []*task) {
	for k := max(p.from-p.total, 0); k < min(p.from+p.size-p.total, len(run)); k++ {
		p.tasks = append(p.tasks, run[len(run)-1-k])
	}
	p.total += len(run)
}

// TaskAttribute is the answer of DescribeTaskAttribute (the API layer adds RequestId).
type TaskAttribute struct {
	RegionId             string               `json:"RegionId"`
	TaskId               string               `json:"TaskId"`
	TaskAction           string               `json:"TaskAction"`
	TaskStatus           string               `json:"TaskStatus"`
	TaskProcess          string               `json:"TaskProcess"` // "42%"
	SupportCancel        string               `json:"SupportCancel"`
	CreationTime         string               `json:"CreationTime"`
	FinishedTime         string               `json:"FinishedTime,omitempty"`
	TotalCount           int                  `json:"TotalCount"`   // objects (disks)
	SuccessCount         int                  `json:"SuccessCount"` // objects committed
	FailedCount          int                  `json:"FailedCount"`  // objects failed
	OperationProgressSet OperationProgressSet `json:"OperationProgressSet"`
}

// OperationProgressSet wraps the per-object progress list.
type OperationProgressSet struct {
	OperationProgress []OperationProgress `json:"OperationProgress"`
}

// OperationProgress is the state of one object of the task. OperationStatus is Success,
// Failed, Processing (Waiting or Processing task) or Deleted (cancelled).
type OperationProgress struct {
	OperationStatus string         `json:"OperationStatus"`
	ErrorCode       string         `json:"ErrorCode,omitempty"`
	ErrorMsg        string         `json:"ErrorMsg,omitempty"`
	RelatedItemSet  RelatedItemSet `json:"RelatedItemSet"`
}

// RelatedItemSet wraps the related items of an operation.
type RelatedItemSet struct {
	RelatedItem []RelatedItem `json:"RelatedItem"`
}

// RelatedItem names the object: {Name: "OSSObject", Value: <key>}.
type RelatedItem struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// DescribeTaskAttribute describes one task of the account in the region. Unknown tasks,
// another account's and another region's are all InvalidTaskId.NotFound.
// Real ECS: unknown whether a task of another region is found.
func (s *Service) DescribeTaskAttribute(ctx context.Context, account, regionID, taskID string) (TaskAttribute, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	t, err := s.findTask(account, regionID, taskID)
	if err != nil {
		return TaskAttribute{}, err
	}
	out := TaskAttribute{
		RegionId: regionID, TaskId: t.id, TaskAction: t.actionName(), TaskStatus: t.status, TaskProcess: t.percent(),
		SupportCancel: t.supportCancel(), CreationTime: t.created.Format(TaskTimeLayout),
		OperationProgressSet: OperationProgressSet{OperationProgress: []OperationProgress{}},
	}
	if !t.inFlight() {
		out.FinishedTime = t.finished.Format(TaskTimeLayout)
	}
	keys := t.objectKeys()
	out.TotalCount = len(keys)
	op := OperationProgress{OperationStatus: "Processing"}
	switch t.status {
	case StatusFinished:
		op.OperationStatus, out.SuccessCount = "Success", len(keys)
	case StatusFailed:
		op.OperationStatus, op.ErrorCode, op.ErrorMsg, out.FailedCount = "Failed", t.errCode, t.errMsg, len(keys)
	case StatusDeleted:
		op.OperationStatus = StatusDeleted
	}
	for _, k := range keys {
		p := op
		p.RelatedItemSet.RelatedItem = []RelatedItem{{Name: "OSSObject", Value: k}}
		out.OperationProgressSet.OperationProgress = append(out.OperationProgressSet.OperationProgress, p)
	}
	return out, nil
}

// CancelTask cancels a Waiting or Processing task: its writer stops, its uploads are aborted,
// it becomes Deleted and frees its concurrent slot. A task of an action other than ExportImage
// and ImportImage (a fixture task) is InvalidTaskId.TaskActionNotSupport, whatever its state;
// a task in any other state is InvalidTaskId.IncorrectTaskStatus.
func (s *Service) CancelTask(ctx context.Context, account, regionID, taskID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	t, err := s.findTask(account, regionID, taskID)
	if err != nil {
		return err
	}
	if !t.cancellable() {
		return errcode.TaskActionNotSupport.Err()
	}
	if !t.inFlight() {
		return errcode.TaskStatusIncorrect.Err()
	}
	if t.foreign() { // a fixture ImportImage task: outside the export indexes
		t.status, t.finished = StatusDeleted, s.clock.Now()
		return nil
	}
	if t.run != nil {
		t.run.halt()
	}
	t.abortUploads()
	s.end(t, s.clock.Now(), StatusDeleted)
	return nil
}

func (s *Service) findTask(account, regionID, taskID string) (*task, error) {
	if _, err := s.companionRegion(regionID); err != nil {
		return nil, err
	}
	if taskID == "" {
		return nil, errcode.MissingCommonParameter.Err("TaskId")
	}
	t := s.st.tasks[taskID]
	if t == nil || t.sc != (scope{account, regionID}) {
		return nil, errcode.TaskNotFound.Err()
	}
	return t, nil
}

// paging parses PageNumber (≥ 1, default 1) and PageSize (1–100, default 10).
func paging(number, size string) (int, int, error) {
	n, sz := 1, 10
	if number != "" {
		v, err := strconv.Atoi(number)
		if err != nil || v < 1 {
			return 0, 0, errcode.InvalidParameter.Err("PageNumber")
		}
		n = v
	}
	if size != "" {
		v, err := strconv.Atoi(size)
		if err != nil || v < 1 || v > 100 {
			return 0, 0, errcode.InvalidParameter.Err("PageSize")
		}
		sz = v
	}
	return n, sz, nil
}

// pageOf is page n (from 1) of list.
func pageOf[T any](list []T, n, size int) []T {
	from := (n - 1) * size
	if from >= len(list) || from < 0 {
		return nil
	}
	return list[from:min(from+size, len(list))]
}

// splitList splits a comma-separated list, tolerating a JSON-array string (["a","b"]) as an
// old document shows, and drops empty items.
func splitList(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.Trim(strings.TrimSpace(p), `"`); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// timeRange parses StartTime and EndTime (either may be absent).
func timeRange(start, end string) (time.Time, time.Time, error) {
	from, to := time.Time{}, time.Unix(1<<62, 0)
	// A minute-precision bound covers its whole minute.
	parse := func(name, v string, wholeMinute time.Duration) (time.Time, error) {
		if t, err := time.Parse(TimeLayout, v); err == nil {
			return t, nil
		}
		if t, err := time.Parse(TaskTimeLayout, v); err == nil {
			return t.Add(wholeMinute), nil
		}
		return time.Time{}, errcode.InvalidParameter.Err(name)
	}
	var err error
	if start != "" {
		if from, err = parse("StartTime", start, 0); err != nil {
			return from, to, err
		}
	}
	if end != "" {
		if to, err = parse("EndTime", end, time.Minute-time.Nanosecond); err != nil {
			return from, to, err
		}
	}
	return from, to, nil
}
