package fuzz

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/exportimage/eic/spec"
)

// Config drives Run, the differential fuzzer.
type Config struct {
	Session *Session
	// Gen generates the requests; Run sets its ControlAPI and VirtualClock from the session.
	Gen  *Generator
	Seed int64
	// Runs is the number of requests (stateless) or sequences (Stateful).
	Runs     int
	Stateful bool
	// SeqLen is the number of steps of a sequence (default 20).
	SeqLen int
	// Steps generates the steps of sequences (default GenStep; GenQuotaStep aims at quotas).
	Steps func(r *rand.Rand, i int) Step
	// Actions to fuzz, the first most often (default ExportImage and its companions).
	Actions []string
	// ShrinkBudget bounds the re-runs spent shrinking one finding (default 400).
	ShrinkBudget int
	// Out is the directory findings are written to ("" = none).
	Out string
	// Log receives progress lines (nil = none).
	Log io.Writer
	// StopAfter stops after this many findings (0 = never).
	StopAfter int
	// Workers is the number of stateless requests checked at once (0 or 1: one at a time;
	// eic fuzz uses GOMAXPROCS). Each worker checks with a Session of its own: one from
	// NewSession, or, for an endpoint without a control API, a copy of Session. An endpoint
	// with a control API and no NewSession has one state that workers would race on, so it
	// gets one worker. Session itself shrinks the findings. Request i is generated from
	// (Seed, i) alone and findings, reach and rules are collected in request order, so a
	// seed gives the same report whatever the number of workers. Sequences (Stateful) run
	// one at a time.
	Workers int
	// NewSession makes the Session of one more worker (nil: see Workers).
	NewSession func() (*Session, error)
}

// Finding is one divergence, shrunk.
type Finding struct {
	ID    string // file-safe name
	Seed  int64
	Run   int
	Known string // a KnownDivergences ID, or ""
	// Rule is the documented rule the endpoint broke, as RuleOf names it: the error row(s)
	// the model expected ("EI-E05"), "success" for a refused valid request, or the invariant.
	Rule       string
	Original   string // the generated request or sequence before shrinking
	Request    *Request
	Steps      []Step
	Expected   Outcome
	Divergence Divergence
	Exchanges  []*Exchange // of the shrunk case (the last one is where it diverged)
	Results    []*Result   // of the shrunk case
	Shrink     int         // re-runs spent shrinking
	Feature    string
	File       string
}

// Report is the outcome of Run.
type Report struct {
	Seed     int64
	Runs     int
	Checked  int // requests sent while fuzzing (shrinking not included)
	Findings []*Finding
	Elapsed  time.Duration
	// Reach counts, per error row ID ("EI-E05"; "success" for an expected success, "open" where
	// the documents leave the answer open), the generated requests whose expected outcome
	// was that row. Where several rows are acceptable, the one the endpoint answered counts
	// (the first when it answered none of them).
	Reach map[string]int
	// Rules counts the generated requests per deciding rule of the model (Outcome.Rule).
	Rules map[string]int
	// FirstReached is, per row ID of Reach, how many requests had been generated when it was
	// first reached.
	FirstReached map[string]int
}

// count records which row and rule a generated request reached.
func (r *Report) count(res *Result) {
	if r.Reach == nil {
		r.Reach, r.Rules, r.FirstReached = map[string]int{}, map[string]int{}, map[string]int{}
	}
	r.Rules[res.Expected.Rule]++
	row := reachedRow(res)
	if r.Reach[row] == 0 {
		r.FirstReached[row] = r.Checked
	}
	r.Reach[row]++
}

// RequestsToReach is the number of generated requests it took to reach every row of ids
// (0 when one was not reached).
func (r *Report) RequestsToReach(ids []string) int {
	n := 0
	for _, id := range ids {
		first, ok := r.FirstReached[id]
		if !ok {
			return 0
		}
		n = max(n, first)
	}
	return n
}

func reachedRow(res *Result) string {
	exp := res.Expected
	switch {
	case exp.Any:
		return "open"
	case exp.Success:
		return "success"
	}
	for _, row := range exp.Rows {
		if row.Wire == res.Code && res.Exchange != nil && row.Status() == res.Exchange.Status {
			return row.ID
		}
	}
	return exp.Rows[0].ID
}

// RuleOf names the rule an outcome stands for in finding titles: its row IDs and codes
// ("EI-E05 InvalidOSSPrefix.Malformed"), "success (…)" or "open (…)".
func RuleOf(o Outcome) string {
	switch {
	case o.Any:
		return "open (" + o.Rule + ")"
	case o.Success:
		return "success (" + o.Rule + ")"
	}
	var ids []string
	for _, c := range o.Rows {
		ids = append(ids, c.ID+" "+c.Wire)
	}
	return strings.Join(ids, " or ")
}

// ByRule counts the findings per broken rule.
func (r *Report) ByRule() map[string]int {
	out := map[string]int{}
	for _, f := range r.Findings {
		out[f.Rule]++
	}
	return out
}

// New counts findings that match no known divergence.
func (r *Report) New() int {
	n := 0
	for _, f := range r.Findings {
		if f.Known == "" {
			n++
		}
	}
	return n
}

// runRand is the generator of run i of a seed: any run can be replayed alone.
func runRand(seed int64, i int) *rand.Rand {
	return rand.New(rand.NewSource(runSeed(seed, i)))
}

func runSeed(seed int64, i int) int64 { return seed*1_000_003 + int64(i) }

// reseed makes r the generator of run i of a seed, as runRand does, reusing r's source
// (5 KiB) rather than allocating one per request.
func reseed(r *rand.Rand, seed int64, i int) *rand.Rand {
	r.Seed(runSeed(seed, i))
	return r
}

// Run fuzzes cfg.Session: it generates requests (or sequences), checks each against the
// model and the spec, shrinks every new kind of divergence to a minimal case, and writes
// each finding (report and .feature) to cfg.Out.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	s := cfg.Session
	if cfg.SeqLen <= 0 {
		cfg.SeqLen = 20
	}
	if len(cfg.Actions) == 0 {
		cfg.Actions = []string{"ExportImage", "DescribeTasks", "DescribeTaskAttribute", "CancelTask"}
	}
	if cfg.ShrinkBudget <= 0 {
		cfg.ShrinkBudget = 400
	}
	start := time.Now()
	rep := &Report{Seed: cfg.Seed, Runs: cfg.Runs}
	if err := s.Start(ctx); err != nil {
		return nil, fmt.Errorf("fuzz: start: %w", err)
	}
	if !cfg.Stateful {
		s.AutoReset = true
	}
	cfg.Gen.ControlAPI, cfg.Gen.VirtualClock = s.Control != nil, false
	if s.Control != nil {
		virtual, err := s.Control.Virtual(ctx)
		if err != nil {
			return nil, fmt.Errorf("fuzz: control API: %w", err)
		}
		cfg.Gen.VirtualClock = virtual
	}
	seen := map[string]bool{}
	rnd := rand.New(rand.NewSource(0))
	if workers, err := cfg.workerSessions(ctx); err != nil {
		return nil, err
	} else if len(workers) > 1 {
		err := runParallel(ctx, cfg, workers, seen, rep)
		rep.Elapsed = time.Since(start)
		return rep, err
	}
	for i := 0; i < cfg.Runs; i++ {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		r := reseed(rnd, cfg.Seed, i)
		var f *Finding
		var err error
		if cfg.Stateful {
			f, err = statefulRun(ctx, cfg, r, i, seen, rep)
		} else {
			res, cerr := s.Check(ctx, generate(cfg, r, s.State))
			f, err = judgeStateless(ctx, cfg, res, cerr, seen, rep)
		}
		if err != nil {
			return rep, err
		}
		stop, err := rep.add(cfg, f, i)
		if err != nil || stop {
			rep.Elapsed = time.Since(start)
			return rep, err
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// add records the finding of run i (nil: none), writes it to cfg.Out, and says whether
// the run stops (StopAfter reached).
func (rep *Report) add(cfg Config, f *Finding, i int) (stop bool, err error) {
	if f == nil {
		return false, nil
	}
	f.Seed, f.Run = cfg.Seed, i
	f.ID = fmt.Sprintf("seed%d-run%d-%s", cfg.Seed, i, slug(f.Rule+"-"+f.Divergence.Kind+"-"+f.signatureCode()))
	f.Feature = Feature(f)
	if cfg.Out != "" {
		if err := writeFinding(cfg.Out, f); err != nil {
			return true, err
		}
	}
	rep.Findings = append(rep.Findings, f)
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "finding %s: %s\n", f.ID, f.Divergence.Error())
	}
	return cfg.StopAfter > 0 && len(rep.Findings) >= cfg.StopAfter, nil
}

// workerSessions are the started sessions of a stateless run's workers (nil: the run
// checks on cfg.Session alone).
func (cfg Config) workerSessions(ctx context.Context) ([]*Session, error) {
	n := min(cfg.Workers, max(cfg.Runs, 1))
	if cfg.Stateful || n <= 1 || (cfg.NewSession == nil && cfg.Session.Control != nil) {
		return nil, nil
	}
	out := make([]*Session, n)
	for i := range out {
		var w *Session
		if cfg.NewSession != nil {
			var err error
			if w, err = cfg.NewSession(); err != nil {
				return nil, fmt.Errorf("fuzz: worker %d: %w", i, err)
			}
		} else {
			w = cfg.Session.worker()
		}
		if err := w.Start(ctx); err != nil {
			return nil, fmt.Errorf("fuzz: worker %d: start: %w", i, err)
		}
		w.AutoReset = true
		out[i] = w
	}
	return out, nil
}

// checked is the outcome of checking request i on a worker.
type checked struct {
	i   int
	res *Result
	err error
}

// runParallel checks cfg.Runs stateless requests on the workers, and judges, counts and
// shrinks them in request order on the coordinating goroutine (shrinking on cfg.Session).
// Workers run at most window requests ahead of the judged one, so memory stays bounded.
func runParallel(ctx context.Context, cfg Config, workers []*Session, seen map[string]bool, rep *Report) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := 64 * len(workers)
	tokens := make(chan struct{}, window)
	for range window {
		tokens <- struct{}{}
	}
	results := make(chan checked, window)
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(0))
			for {
				select {
				case <-tokens:
				case <-wctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= cfg.Runs {
					return
				}
				res, err := w.Check(wctx, generate(cfg, reseed(rnd, cfg.Seed, i), w.State))
				select {
				case results <- checked{i, res, err}:
				case <-wctx.Done():
					return
				}
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	pending := map[int]checked{}
	for i := 0; i < cfg.Runs; i++ {
		c, ok := pending[i]
		for !ok {
			select {
			case got := <-results:
				pending[got.i] = got
				c, ok = pending[i]
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		delete(pending, i)
		tokens <- struct{}{}
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := judgeStateless(ctx, cfg, c.res, c.err, seen, rep)
		if err != nil {
			return err
		}
		if stop, err := rep.add(cfg, f, i); err != nil || stop {
			return err
		}
	}
	return nil
}

// worker is a copy of s for one more worker on the same endpoint (no control API: nothing
// is shared but the transport), with a state of its own.
func (s *Session) worker() *Session {
	return &Session{World: s.World, Spec: s.Spec, Endpoint: s.Endpoint, Transport: s.Transport, Keys: s.Keys,
		Timeout: s.Timeout, Signature: s.Signature, StrictParams: s.StrictParams, AutoReset: s.AutoReset}
}

func (f *Finding) signatureCode() string {
	for i := len(f.Results) - 1; i >= 0; i-- {
		if f.Results[i].Divergence != nil && f.Results[i].Code != "" {
			return f.Results[i].Code
		}
	}
	if len(f.Results) > 0 {
		return f.Results[len(f.Results)-1].Got
	}
	return "x"
}

// signature groups divergences that are the same bug: the action, the kind, and the rule
// broken (a known divergence: its ID and the rule) (the expected rows, or the success rule). What came back instead is left out: an
// endpoint that accepts a malformed OSSPrefix answers 200, or DryRunOperation on a dry run,
// and that is one bug.
func signature(res *Result) string {
	if known := KnownID(res); known != "" {
		return "known|" + known + "|" + RuleOf(res.Expected) // one report per rule, whatever the action
	}
	return res.Request.Action + "|" + res.Divergence.Kind + "|" + RuleOf(res.Expected)
}

// generate is the stateless request of a run: a pure function of r (runRand(seed, i))
// and the state's tasks (none in a stateless run, which resets after every change).
func generate(cfg Config, r *rand.Rand, st *State) Request {
	action := cfg.Actions[0]
	if len(cfg.Actions) > 1 && r.Intn(100) >= 70 {
		action = cfg.Actions[1+r.Intn(len(cfg.Actions)-1)]
	}
	return cfg.Gen.Request(r, action, st)
}

// judgeStateless counts a checked request and, when it diverged in a way not reported yet,
// shrinks it on cfg.Session into a finding.
func judgeStateless(ctx context.Context, cfg Config, res *Result, err error, seen map[string]bool, rep *Report) (*Finding, error) {
	s := cfg.Session
	rep.Checked++
	if err != nil {
		return nil, err
	}
	rep.count(res)
	if res.Divergence == nil {
		return nil, nil
	}
	sig := signature(res)
	if seen[sig] {
		return nil, nil // this rule already broke the same way, and was reported then
	}
	seen[sig] = true
	// Shrinking keeps the signature (the same rule broken) and the kind of answer, so the
	// culprit stays in the request and nothing else starts to fail: a simplification that
	// still diverges but now meets another refusal (a region cut to "e") is a precedence
	// matter, not a simpler case of this bug.
	answer := answerClass(res)
	var last *Result
	shrunk, calls := Shrink(res.Request, cfg.ShrinkBudget, func(c Request) bool {
		if err := s.ResetState(ctx); err != nil {
			return false
		}
		got, err := s.Check(ctx, c)
		if err != nil || got.Divergence == nil || signature(got) != sig || answerClass(got) != answer {
			return false
		}
		last = got
		return true
	})
	if last == nil || last.Request.String() != shrunk.String() {
		if err := s.ResetState(ctx); err != nil {
			return nil, err
		}
		if last, err = s.Check(ctx, shrunk); err != nil {
			return nil, err
		}
	}
	if err := s.ResetState(ctx); err != nil {
		return nil, err
	}
	if last.Divergence == nil || signature(last) != sig { // flaky: report the original
		last = res
	}
	rq := last.Request
	return &Finding{Known: KnownID(last), Rule: RuleOf(last.Expected), Original: res.Request.String(), Request: &rq,
		Expected: last.Expected, Divergence: *last.Divergence, Exchanges: []*Exchange{last.Exchange},
		Results: []*Result{last}, Shrink: calls}, nil
}

// answerClass is what came back, with a dry run's DryRunOperation counted as an acceptance.
func answerClass(res *Result) string {
	if res.Code == spec.DryRunOperation.Wire {
		return "200"
	}
	return res.Got
}

func statefulRun(ctx context.Context, cfg Config, r *rand.Rand, i int, seen map[string]bool, rep *Report) (*Finding, error) {
	s := cfg.Session
	steps := GenSequence(r, cfg.SeqLen, cfg.Steps)
	log, div, err := s.Sequence(ctx, steps)
	rep.Checked += len(log)
	for _, res := range log {
		rep.count(res)
	}
	if err != nil {
		return nil, err
	}
	if div == nil {
		return nil, nil
	}
	kind := div.Kind
	if seen[sequenceSignature(log, div)] {
		return nil, nil // reported already; not worth shrinking again
	}
	shrunk, calls := ShrinkSequence(steps, cfg.ShrinkBudget, func(c []Step) bool {
		_, d, err := s.Sequence(ctx, c)
		return err == nil && d != nil && d.Kind == kind
	})
	firstLog, firstDiv := log, div
	log, div, err = s.Sequence(ctx, shrunk)
	if err != nil {
		return nil, err
	}
	if div == nil || div.Kind != kind { // flaky: report the original run as it was seen
		shrunk, log, div = steps, firstLog, firstDiv
	}
	var last *Result
	if len(log) > 0 {
		last = log[len(log)-1]
	}
	sig := sequenceSignature(log, div)
	if first := sequenceSignature(firstLog, firstDiv); sig != first {
		if seen[sig] {
			return nil, nil // shrunk onto a divergence reported already
		}
		seen[first] = true
	}
	seen[sig] = true
	var orig []string
	for _, st := range steps {
		orig = append(orig, st.String())
	}
	f := &Finding{Original: strings.Join(orig, "; "), Steps: shrunk, Divergence: *div, Results: log, Shrink: calls}
	for _, res := range log {
		f.Exchanges = append(f.Exchanges, res.Exchange)
	}
	f.Rule = "invariant: " + stripStep(div.Detail)
	if last != nil {
		f.Expected = last.Expected
		if last.Divergence != nil {
			f.Known, f.Rule = KnownID(last), RuleOf(last.Expected)
		}
	}
	return f, nil
}

// sequenceSignature is the signature of a sequence's divergence: the request's when a
// request diverged, else the invariant with its figures stripped.
func sequenceSignature(log []*Result, div *Divergence) string {
	if n := len(log); n > 0 && log[n-1].Divergence != nil {
		return "seq|" + signature(log[n-1])
	}
	return "seq|" + div.Kind + "|" + stripStep(div.Detail)
}

// stripStep drops "step N (…): ", IDs, keys and figures so that the same invariant groups
// together.
func stripStep(d string) string {
	if i := strings.Index(d, "): "); i >= 0 {
		d = d[i+3:]
	}
	var words []string
	for _, w := range strings.Fields(d) {
		if !strings.ContainsAny(w, "/_0123456789") {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

func slug(s string) string {
	s = strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			return c
		}
		return '-'
	}, s)
	if len(s) > 60 {
		s = s[:60]
	}
	return strings.Trim(s, "-")
}

// Text is the finding as a report: what diverged, the seed, the shrunk case, the exchanges.
func (f *Finding) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# eic fuzz finding %s\n\n", f.ID)
	fmt.Fprintf(&b, "Rule broken: %s\n", f.Rule)
	fmt.Fprintf(&b, "Divergence: %s\n", f.Divergence.Error())
	if f.Known != "" {
		fmt.Fprintf(&b, "Known reference divergence: %s\n", f.Known)
	}
	fmt.Fprintf(&b, "Seed: %d, run %d (eic fuzz --seed %d --runs %d%s)\n", f.Seed, f.Run, f.Seed, f.Run+1, map[bool]string{true: " --stateful"}[f.Steps != nil])
	fmt.Fprintf(&b, "Model: %s\n", f.Expected)
	fmt.Fprintf(&b, "Shrunk in %d re-runs from:\n  %s\n\n", f.Shrink, f.Original)
	if f.Request != nil {
		fmt.Fprintf(&b, "Minimal request:\n  %s\n\n", f.Request)
	}
	if f.Steps != nil {
		b.WriteString("Minimal sequence:\n")
		for i, st := range f.Steps {
			fmt.Fprintf(&b, "  %d. %s\n", i, st)
		}
		b.WriteString("\n")
	}
	for i, x := range f.Exchanges {
		if len(f.Exchanges) > 1 {
			fmt.Fprintf(&b, "--- exchange %d of %d ---\n", i+1, len(f.Exchanges))
		} else {
			b.WriteString("--- exchange ---\n")
		}
		b.WriteString(x.String())
		b.WriteString("\n")
	}
	return b.String()
}

func writeFinding(dir string, f *Finding) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, f.ID)
	if err := os.WriteFile(base+".txt", []byte(f.Text()), 0o644); err != nil {
		return err
	}
	f.File = base + ".feature"
	return os.WriteFile(f.File, []byte(f.Feature), 0o644)
}

// Summary is the machine-readable report of a run (eic fuzz --json).
type Summary struct {
	Seed     int64 `json:"seed"`
	Runs     int   `json:"runs"`
	Requests int   `json:"requests"`
	// Reach: generated requests per documented error row ID (every row of spec/ listed, 0
	// when unreached), plus "success" and "open".
	Reach map[string]int `json:"reach"`
	// Unreached lists the documented rows no generated request reached.
	Unreached []string         `json:"unreached"`
	Rules     map[string]int   `json:"rules"`
	ByRule    map[string]int   `json:"findingsByRule"`
	New       int              `json:"newFindings"`
	Known     int              `json:"knownFindings"`
	Findings  []FindingSummary `json:"findings"`
	ElapsedMS int64            `json:"elapsedMs"`
}

// FindingSummary is one finding in a Summary.
type FindingSummary struct {
	ID       string   `json:"id"`
	Rule     string   `json:"rule"`
	Kind     string   `json:"kind"`
	Detail   string   `json:"detail"`
	Known    string   `json:"known,omitempty"`
	Run      int      `json:"run"`
	Request  string   `json:"request,omitempty"`
	Steps    []string `json:"steps,omitempty"`
	Expected string   `json:"expected"`
	Feature  string   `json:"feature,omitempty"`
}

// Summary condenses the report.
func (r *Report) Summary() Summary {
	s := Summary{Seed: r.Seed, Runs: r.Runs, Requests: r.Checked, Reach: map[string]int{}, Rules: r.Rules,
		ByRule: r.ByRule(), New: r.New(), Known: len(r.Findings) - r.New(), Findings: []FindingSummary{},
		ElapsedMS: r.Elapsed.Milliseconds()}
	if s.Rules == nil {
		s.Rules = map[string]int{}
	}
	for _, c := range spec.Codes() {
		s.Reach[c.ID] = r.Reach[c.ID]
		if r.Reach[c.ID] == 0 {
			s.Unreached = append(s.Unreached, c.ID)
		}
	}
	for _, k := range []string{"success", "open"} {
		s.Reach[k] = r.Reach[k]
	}
	for _, f := range r.Findings {
		fs := FindingSummary{ID: f.ID, Rule: f.Rule, Kind: f.Divergence.Kind, Detail: f.Divergence.Detail, Known: f.Known,
			Run: f.Run, Expected: f.Expected.String(), Feature: f.File}
		if f.Request != nil {
			fs.Request = f.Request.String()
		}
		for _, st := range f.Steps {
			fs.Steps = append(fs.Steps, st.String())
		}
		s.Findings = append(s.Findings, fs)
	}
	return s
}
