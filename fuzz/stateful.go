package fuzz

import (
	"github.com/exportimage/eic/internal/control"

	"context"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
)

// Step is one command of a stateful sequence. Sequences need the reference's control API
// (clock, quotas, bucket listings) and run as the main account.
type Step struct {
	// Op: "export", "cancel", "describe", "list", "advance", "quota", "free" (cancel every
	// in-flight task).
	Op     string
	Image  string // export
	Region string // export, list, quota
	Bucket string // export
	Format string // export ("" = absent)
	Prefix string // export: unique per sequence, so each task's objects are its own
	DryRun bool   // export
	Task   int    // cancel, describe: index into the tasks accepted so far (mod their number)
	// Advance is how far the clock moves.
	Advance time.Duration
	Quota   Quota // quota
}

func (s Step) String() string {
	switch s.Op {
	case "export":
		out := fmt.Sprintf("export %s→%s in %s prefix %s", s.Image, s.Bucket, s.Region, s.Prefix)
		if s.Format != "" {
			out += " format " + s.Format
		}
		if s.DryRun {
			out += " dry-run"
		}
		return out
	case "cancel", "describe":
		return fmt.Sprintf("%s task#%d", s.Op, s.Task)
	case "list":
		return "list " + s.Region
	case "advance":
		return "advance " + s.Advance.String()
	case "quota":
		return fmt.Sprintf("quota %s %d/%d", s.Region, s.Quota.Concurrent, s.Quota.Weekly)
	}
	return s.Op
}

// exportable: the main account's images that can be exported, with their bucket, plus one
// that fails at submission (a source that cannot be read).
var exportable = []struct{ image, region, bucket string }{
	{"m-eic-custom", "cn-hangzhou", "eic-export"},
	{"m-eic-sg-custom", "ap-southeast-1", "eic-export-sg"},
	{"m-eic-datadisks4", "ap-southeast-1", "eic-export-sg"},
	{"m-eic-broken", "cn-hangzhou", "eic-export"},
}

var advances = []time.Duration{time.Second, 5 * time.Second, 9 * time.Second, 11 * time.Second, 30 * time.Second,
	2 * time.Minute, time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, Week + time.Second}

// GenStep generates step number i of a sequence.
func GenStep(r *rand.Rand, i int) Step {
	switch n := r.Intn(100); {
	case n < 40:
		e := exportable[r.Intn(len(exportable))]
		s := Step{Op: "export", Image: e.image, Region: e.region, Bucket: e.bucket, Prefix: "P" + strconv.Itoa(i),
			DryRun: r.Intn(8) == 0}
		if e.region == "ap-southeast-1" && r.Intn(2) == 0 {
			s.Format = pick(r, []string{"raw", "vhd", "qcow2", "vmdk", "vdi"})
		}
		return s
	case n < 52:
		return Step{Op: "cancel", Task: r.Intn(8)}
	case n < 62:
		return Step{Op: "describe", Task: r.Intn(8)}
	case n < 67:
		return Step{Op: "list", Region: pick(r, []string{"cn-hangzhou", "ap-southeast-1"})}
	case n < 85:
		return Step{Op: "advance", Advance: pick(r, advances)}
	case n < 95:
		return Step{Op: "quota", Region: pick(r, []string{"cn-hangzhou", "ap-southeast-1"}),
			Quota: Quota{Concurrent: 1 + r.Intn(3), Weekly: 1 + r.Intn(6)}}
	default:
		return Step{Op: "free"}
	}
}

// GenQuotaStep generates steps aimed at the concurrent quota: low quotas, exports,
// cancels and clock moves too short for a task to leave Waiting (so nothing is written and
// sequences are cheap).
func GenQuotaStep(r *rand.Rand, i int) Step {
	switch n := r.Intn(100); {
	case n < 55:
		e := exportable[r.Intn(3)]
		return Step{Op: "export", Image: e.image, Region: e.region, Bucket: e.bucket, Prefix: "P" + strconv.Itoa(i),
			DryRun: r.Intn(6) == 0}
	case n < 70:
		return Step{Op: "quota", Region: pick(r, []string{"cn-hangzhou", "ap-southeast-1"}),
			Quota: Quota{Concurrent: 1 + r.Intn(2), Weekly: 2 + r.Intn(6)}}
	case n < 82:
		return Step{Op: "cancel", Task: r.Intn(8)}
	case n < 90:
		return Step{Op: "advance", Advance: time.Second}
	case n < 95:
		return Step{Op: "describe", Task: r.Intn(8)}
	default:
		return Step{Op: "free"}
	}
}

// GenSequence generates n steps with gen (GenStep when nil).
func GenSequence(r *rand.Rand, n int, gen func(*rand.Rand, int) Step) []Step {
	if gen == nil {
		gen = GenStep
	}
	out := make([]Step, n)
	for i := range out {
		out[i] = gen(r, i)
	}
	return out
}

// floors remembers, per account/region, the in-flight count and submissions when a quota was
// lowered below them: those tasks were legitimately accepted under the older quota.
type floors map[string][2]int

// Sequence runs steps on a reset reference; it returns the results of the requests made
// and the first divergence (nil when every step kept the model and the invariants).
func (s *Session) Sequence(ctx context.Context, steps []Step) ([]*Result, *Divergence, error) {
	if s.Control == nil {
		return nil, nil, errorf("stateful sequences need the control API")
	}
	if err := s.Start(ctx); err != nil {
		return nil, nil, err
	}
	var log []*Result
	fl := floors{}
	for i, st := range steps {
		results, div, err := s.step(ctx, st, fl)
		log = append(log, results...)
		if err != nil {
			return log, nil, fmt.Errorf("step %d (%s): %w", i, st, err)
		}
		if div == nil {
			div = s.invariants(fl)
		}
		if div != nil {
			div.Detail = fmt.Sprintf("step %d (%s): %s", i, st, div.Detail)
			return log, div, nil
		}
	}
	return log, nil, nil
}

func (s *Session) call(ctx context.Context, action string, params ...string) (*Result, error) {
	req := Request{Action: action, Account: MainAccount}
	for i := 0; i+1 < len(params); i += 2 {
		req.Params = append(req.Params, Param{params[i], params[i+1]})
	}
	return s.Check(ctx, req)
}

func (s *Session) pickTask(i int) *Task {
	if len(s.State.Tasks) == 0 {
		return nil
	}
	return s.State.Tasks[i%len(s.State.Tasks)]
}

func (s *Session) step(ctx context.Context, st Step, fl floors) ([]*Result, *Divergence, error) {
	var log []*Result
	check := func(action string, params ...string) (*Result, *Divergence, error) {
		res, err := s.call(ctx, action, params...)
		if res != nil {
			log = append(log, res)
		}
		if err != nil {
			return res, nil, err
		}
		return res, res.Divergence, nil
	}
	switch st.Op {
	case "export":
		p := []string{"RegionId", st.Region, "ImageId", st.Image, "OSSBucket", st.Bucket, "OSSPrefix", st.Prefix}
		if st.Format != "" {
			p = append(p, "ImageFormat", st.Format)
		}
		if st.DryRun {
			p = append(p, "DryRun", "true")
		}
		_, div, err := check("ExportImage", p...)
		return log, div, err
	case "cancel", "describe":
		t := s.pickTask(st.Task)
		id, region := "t-eic-no-such-task-01", "cn-hangzhou"
		if t != nil {
			id, region = t.ID, t.Region
		}
		action := map[string]string{"cancel": "CancelTask", "describe": "DescribeTaskAttribute"}[st.Op]
		res, div, err := check(action, "RegionId", region, "TaskId", id)
		if err != nil || div != nil || t == nil || action == "CancelTask" {
			return log, div, err
		}
		return log, s.observeTask(t, res), nil
	case "list":
		res, div, err := check("DescribeTasks", "RegionId", st.Region, "TaskAction", "ExportImage", "PageSize", "100")
		if err != nil || div != nil {
			return log, div, err
		}
		return log, s.checkListing(st.Region, res), nil
	case "advance":
		now, err := s.Control.Advance(ctx, st.Advance)
		if err != nil {
			return log, nil, err
		}
		s.State.Now = now
		div, err := s.sync(ctx, &log)
		return log, div, err
	case "quota":
		key := MainAccount + "/" + st.Region
		n, _ := s.State.Submissions(MainAccount, st.Region)
		fl[key] = [2]int{s.State.InFlight(MainAccount, st.Region), n}
		if err := s.Control.SetQuota(ctx, MainAccount, st.Region, st.Quota.Concurrent, st.Quota.Weekly); err != nil {
			return log, nil, err
		}
		s.State.Quotas[key] = st.Quota
		return log, nil, nil
	case "free":
		for _, t := range s.State.Tasks {
			if t.InFlight() {
				if _, div, err := check("CancelTask", "RegionId", t.Region, "TaskId", t.ID); err != nil || div != nil {
					return log, div, err
				}
			}
		}
		return log, nil, nil
	}
	return log, nil, errorf("unknown step %q", st.Op)
}

// MaxExportTime bounds an export from submission to its end in clock time. The documents
// give no bound; the reference's fixtures export in minutes at its default speed, so a task
// still running a day after it was submitted has stopped (an @assumption of the model).
const MaxExportTime = 24 * time.Hour

// terminal task states never change.
var terminal = map[string]bool{"Finished": true, "Failed": true, "Deleted": true}

// transitions allowed by docs/reference.md "Tasks": Waiting → Processing → Finished|Failed,
// Waiting|Processing → Deleted (cancel); observation may skip intermediate states.
var transitions = map[string]map[string]bool{
	"Waiting":    {"Waiting": true, "Processing": true, "Finished": true, "Failed": true, "Deleted": true},
	"Processing": {"Processing": true, "Finished": true, "Failed": true, "Deleted": true},
}

// observeTask checks a DescribeTaskAttribute answer against the task's known state and
// records it.
func (s *Session) observeTask(t *Task, res *Result) *Divergence {
	status := fmt.Sprint(res.Fields["TaskStatus"])
	progress := -1
	if p, ok := res.Fields["TaskProcess"].(string); ok {
		if n, err := strconv.Atoi(strings.TrimSuffix(p, "%")); err == nil {
			progress = n
		}
	}
	bad := func(format string, args ...any) *Divergence {
		return &Divergence{"invariant", fmt.Sprintf("task %s: ", t.ID) + fmt.Sprintf(format, args...)}
	}
	switch {
	case terminal[t.Status] && status != t.Status:
		return bad("terminal state %s became %s", t.Status, status)
	case !terminal[t.Status] && !transitions[t.Status][status]:
		return bad("moved %s → %s", t.Status, status)
	case status != "Waiting" && status != "Deleted" && s.State.Now.Sub(t.Created) < 10*time.Second:
		return bad("%s after %v of clock; Waiting lasts 10 s", status, s.State.Now.Sub(t.Created))
	case progress >= 0 && progress < t.Progress:
		return bad("progress went down %d%% → %d%%", t.Progress, progress)
	case !terminal[status] && s.State.Now.Sub(t.Created) > MaxExportTime:
		return &Divergence{"invariant", fmt.Sprintf("task %s never finishes: still %s a day after its submission (%v)", t.ID, status, s.State.Now.Sub(t.Created))}
	}
	if progress >= 0 {
		t.Progress = progress
	}
	if status != t.Status {
		t.Status = status
		if terminal[status] {
			t.Ended = s.State.Now
		}
	}
	return nil
}

// checkListing compares a DescribeTasks page with the known tasks of the region.
func (s *Session) checkListing(region string, res *Result) *Divergence {
	set, _ := res.Fields["TaskSet"].(map[string]any)
	listed := map[string]string{}
	if set != nil {
		for _, item := range asList(set["Task"]) {
			if m, ok := item.(map[string]any); ok {
				listed[fmt.Sprint(m["TaskId"])] = fmt.Sprint(m["TaskStatus"])
			}
		}
	}
	for _, t := range s.State.Tasks {
		if t.Region != region {
			continue
		}
		st, ok := listed[t.ID]
		if !ok {
			return &Divergence{"invariant", fmt.Sprintf("task %s missing from DescribeTasks", t.ID)}
		}
		if terminal[t.Status] && st != t.Status {
			return &Divergence{"invariant", fmt.Sprintf("task %s: listed %s, known %s", t.ID, st, t.Status)}
		}
	}
	return nil
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

// sync describes every task that has not ended, then checks the buckets: objects only for
// Finished tasks, and every Finished task has its system-disk object.
func (s *Session) sync(ctx context.Context, log *[]*Result) (*Divergence, error) {
	for _, t := range s.State.Tasks {
		if terminal[t.Status] {
			continue
		}
		res, err := s.call(ctx, "DescribeTaskAttribute", "RegionId", t.Region, "TaskId", t.ID)
		if res != nil {
			*log = append(*log, res)
		}
		if err != nil {
			return nil, err
		}
		if res.Divergence != nil {
			return res.Divergence, nil
		}
		if d := s.observeTask(t, res); d != nil {
			return d, nil
		}
	}
	listings := map[string][]control.Object{}
	for _, t := range s.State.Tasks {
		if t.Status == "Processing" || t.Prefix == "" {
			continue
		}
		objs, ok := listings[t.Bucket]
		if !ok {
			var err error
			if objs, err = s.Control.Objects(ctx, t.Bucket); err != nil {
				return nil, err
			}
			listings[t.Bucket] = objs
		}
		stem := t.Prefix + "_" + t.Image + "_"
		ext := t.Format
		if ext == "raw" {
			ext = "raw.tar.gz"
		}
		var mine []string
		system := false
		for _, o := range objs {
			if strings.HasPrefix(o.Key, stem) {
				mine = append(mine, o.Key)
				system = system || o.Key == stem+"system."+ext
			}
		}
		switch {
		case t.Status == "Finished" && !system:
			return &Divergence{"invariant", fmt.Sprintf("task %s Finished but %s/%ssystem.%s is missing (has %v)", t.ID, t.Bucket, stem, ext, mine)}, nil
		case t.Status != "Finished" && len(mine) > 0:
			return &Divergence{"invariant", fmt.Sprintf("task %s %s but its objects exist: %v", t.ID, t.Status, mine)}, nil
		}
	}
	return nil, nil
}

// invariants: in flight ≤ concurrent quota and submissions in the rolling week ≤ weekly
// quota, per account and region (a quota lowered below what was already accepted counts
// from the older figures).
func (s *Session) invariants(fl floors) *Divergence {
	seen := map[string]bool{}
	for _, t := range s.State.Tasks {
		key := t.Account + "/" + t.Region
		if seen[key] {
			continue
		}
		seen[key] = true
		q := s.State.Quota(s.World, t.Account, t.Region)
		in := s.State.InFlight(t.Account, t.Region)
		week, _ := s.State.Submissions(t.Account, t.Region)
		if in > max(q.Concurrent, fl[key][0]) {
			return &Divergence{"invariant", fmt.Sprintf("%d exports in flight in %s, concurrent quota %d", in, key, q.Concurrent)}
		}
		if week > max(q.Weekly, fl[key][1]) {
			return &Divergence{"invariant", fmt.Sprintf("%d submissions this week in %s, weekly quota %d", week, key, q.Weekly)}
		}
	}
	return nil
}

// ShrinkSequence drops steps (halves first, then one at a time) while fails holds, spending
// at most budget calls.
func ShrinkSequence(steps []Step, budget int, fails func([]Step) bool) ([]Step, int) {
	calls := 0
	for chunk := len(steps) / 2; chunk >= 1; {
		improved := false
		for i := 0; i+chunk <= len(steps) && calls < budget; i++ {
			cand := append(append([]Step(nil), steps[:i]...), steps[i+chunk:]...)
			calls++
			if fails(cand) {
				steps, improved = cand, true
				break
			}
		}
		if calls >= budget {
			break
		}
		if !improved {
			chunk /= 2
		}
	}
	return steps, calls
}

// Commands is the stateful model as gopter commands: each command is a Step, the system
// under test a Session whose reference is reset for every sequence. gopter generates and
// shrinks the sequences; the model and the invariants live in the Session.
func Commands(newSession func() *Session) commands.Commands {
	return &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			s := newSession()
			if err := s.Start(context.Background()); err != nil {
				panic(err) // setup failure: gopter reports it as an error
			}
			return s
		},
		InitialStateGen: gopter.Gen(func(p *gopter.GenParameters) *gopter.GenResult {
			return gopter.NewGenResult(0, gopter.NoShrinker)
		}),
		GenCommandFunc: func(st commands.State) gopter.Gen {
			i := st.(int)
			return func(p *gopter.GenParameters) *gopter.GenResult {
				return gopter.NewGenResult(stepCommand{GenStep(p.Rng, i)}, gopter.NoShrinker)
			}
		},
	}
}

type stepCommand struct{ Step }

func (c stepCommand) Run(sut commands.SystemUnderTest) commands.Result {
	s := sut.(*Session)
	// Each step gets its own floors map through the session's field (gopter runs steps
	// one by one).
	if s.fl == nil {
		s.fl = floors{}
	}
	_, div, err := s.step(context.Background(), c.Step, s.fl)
	if err != nil {
		return err
	}
	if div == nil {
		div = s.invariants(s.fl)
	}
	if div != nil {
		return div
	}
	return nil
}

func (c stepCommand) NextState(st commands.State) commands.State { return st.(int) + 1 }
func (c stepCommand) PreCondition(commands.State) bool           { return true }
func (c stepCommand) PostCondition(_ commands.State, res commands.Result) *gopter.PropResult {
	if res == nil {
		return &gopter.PropResult{Status: gopter.PropTrue}
	}
	if d, ok := res.(*Divergence); ok {
		return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{d.Error()}}
	}
	return &gopter.PropResult{Status: gopter.PropError, Error: res.(error)}
}
