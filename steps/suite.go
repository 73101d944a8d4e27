package steps

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/exportimage/eic/features"
)

// RunOptions configures one run of the suite.
type RunOptions struct {
	Config *Config
	// Tags is a godog tag expression, e.g. "@core && ~@costly"; "" runs every scenario.
	Tags string
	// Format is godog's formatter list, e.g. "progress" or "pretty,junit:out.xml".
	Format string
	// Output receives the formatters' output (those without a file); nil means os.Stdout.
	Output io.Writer
	// Strict makes @assumption failures and message drift count against the verdict.
	Strict bool
	// MinCoverage is the share (0..1) of documented IDs that must pass for verdict pass;
	// 0 requires at least one.
	MinCoverage float64
	// Embedded marks a run against the embedded reference (report profile).
	Embedded bool
	// TestingT runs every scenario as a subtest of t (go test).
	TestingT *testing.T
	// FS and Paths select the features; default the embedded features.FS, every folder.
	FS    fs.FS
	Paths []string
	// Extra are directories or .feature files on disk run beside the selected features
	// (eic run --features): a user's regressions, eic fuzz findings.
	Extra []string
	// Randomize is godog's scenario-order seed (0 keeps file order).
	Randomize int64
	// StopOnFailure ends the run at the first failing scenario (the teeth tests need one).
	StopOnFailure bool
	// PageLink, when set, is the conformance page (eic run --format html:FILE); each JUnit
	// failure then links to its section, PageLink#<scenario ID>.
	PageLink string
	// Context, when set, is the run's context: every scenario's context derives from it
	// (godog's DefaultContext) and the steps send with the scenario's, so cancelling it stops
	// the run's HTTP calls and fails the scenarios still running. Nil means
	// context.Background().
	Context context.Context
	// KnownFailure, when set (eic run --baseline), tells a failure the baseline accepts; the
	// JUnit file marks it skipped with that reason, so a CI test tab agrees with the verdict.
	KnownFailure func(ScenarioResult) (why string, known bool)
}

func (o RunOptions) context() context.Context {
	if o.Context != nil {
		return o.Context
	}
	return context.Background()
}

// ErrCannotStart wraps failures that stop the run before any scenario (bad options).
var ErrCannotStart = fmt.Errorf("the suite could not start")

// Run runs the suite and returns its report. The error is non-nil only when the run could
// not start (an unknown formatter, an unparsable feature); scenario failures are in the
// report.
func Run(opts RunOptions) (rep Report, err error) {
	if err := CheckTags(opts.Tags); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrCannotStart, err)
	}
	// godog panics on some bad input (tag expressions, formatter files); no panic leaves
	// this boundary.
	defer func() {
		if p := recover(); p != nil {
			rep, err = Report{}, fmt.Errorf("%w: godog failed (tags %q, format %q): %v", ErrCannotStart, opts.Tags, opts.Format, p)
		}
	}()
	cfg := opts.Config
	if cfg == nil {
		cfg = &Config{}
	}
	cfg.results = &Results{}
	fsys := opts.FS
	if fsys == nil {
		fsys = features.FS
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = builtinFolders(fsys)
	}
	fsys, extraPaths, err := withExtra(fsys, opts.Extra)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrCannotStart, err)
	}
	paths = append(append([]string(nil), paths...), extraPaths...)
	all, err := retrieve(godog.TestSuite{Options: &godog.Options{Paths: paths, FS: fsys}})
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrCannotStart, err)
	}
	if err := checkKnownTags(opts.Tags, all); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrCannotStart, err)
	}
	format := opts.Format
	if format == "" {
		format = "progress"
	}
	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	godogFormat, own, err := splitFormats(format)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrCannotStart, err)
	}
	defer func() {
		for _, o := range own {
			if o.tmp != "" {
				os.Remove(o.tmp)
			}
		}
	}()
	gopts := &godog.Options{
		Format:    godogFormat,
		Tags:      opts.Tags,
		Paths:     paths,
		FS:        fsys,
		Output:    newSummaryRewriter(out, cfg.results),
		Strict:    true,
		NoColors:  true,
		TestingT:  opts.TestingT,
		Randomize: opts.Randomize,

		StopOnFailure:  opts.StopOnFailure,
		DefaultContext: opts.context(),
	}
	suite := godog.TestSuite{
		Name:                "eic",
		ScenarioInitializer: func(sc *godog.ScenarioContext) { Register(sc, cfg) },
		Options:             gopts,
	}
	pickles, err := retrieve(suite)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrCannotStart, err)
	}
	cfg.locations = map[string]string{}
	cfg.scenarios = map[string]pickleInfo{}
	for _, p := range pickles {
		cfg.locations[p.key] = p.where
		cfg.scenarios[p.key] = p
	}
	started := time.Now()
	status := suite.Run()
	if status == 2 {
		return Report{}, fmt.Errorf("%w: godog refused its options (format %q, tags %q)", ErrCannotStart, format, opts.Tags)
	}
	if err := writeOwn(own, cfg.results.Scenarios(), opts.Strict, junitOptions{opts.PageLink, opts.KnownFailure}, out); err != nil {
		return Report{}, err
	}
	return report(opts, cfg, started), nil
}

// report is the report of a run of opts that started at started.
func report(opts RunOptions, cfg *Config, started time.Time) Report {
	rep := BuildReport(cfg.results.Scenarios(), opts.Strict)
	rep.Eic = BuildVersion()
	rep.Endpoint = cfg.Endpoint
	rep.Reference = cfg.Control != nil
	rep.Embedded = opts.Embedded
	switch {
	case opts.Embedded:
		rep.Profile = "embedded-reference"
	case cfg.Control != nil:
		rep.Profile = "reference"
	default:
		rep.Profile = "endpoint"
	}
	rep.Clock = cfg.clockKind(opts.context())
	rep.Tags = opts.Tags
	rep.Features = opts.Extra
	rep.Signature = cfg.Signature
	if rep.Signature == "" {
		rep.Signature = "v3"
	}
	rep.MinCoverage = opts.MinCoverage
	rep.Drift, rep.Created = cfg.results.recorded()
	rep.Started = started.UTC()
	rep.Duration = time.Since(started).Round(time.Millisecond).String()
	rep.Decide()
	return rep
}

// builtinFolders lists every top-level folder of fsys: a new folder under features/ is
// loaded without being named anywhere.
func builtinFolders(fsys fs.FS) []string {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return []string{"."}
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// pickleInfo is a scenario as parsed, before any run.
type pickleInfo struct {
	key, where string // where: file:line of the scenario or outline row
	tags       []string
	id         string   // stable scenario ID (scenario.go)
	keywords   []string // keyword of each step
}

// features parses the features the options select.
func (o RunOptions) features() ([]pickleInfo, error) {
	fsys, paths := o.FS, o.Paths
	if fsys == nil {
		fsys = features.FS
	}
	if len(paths) == 0 {
		paths = builtinFolders(fsys)
	}
	return retrieve(godog.TestSuite{Options: &godog.Options{Tags: o.Tags, Paths: paths, FS: fsys}})
}

// retrieve parses the suite's features the way its Run will (same parser, same ID sequence),
// so the pickle keys computed here match the pickles Run executes.
func retrieve(suite godog.TestSuite) ([]pickleInfo, error) {
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return nil, err
	}
	var out []pickleInfo
	for _, f := range feats {
		lines := astLines(f.GherkinDocument)
		ix := indexDocument(f.GherkinDocument)
		for _, p := range f.Pickles {
			info := pickleInfo{key: pickleKey(p), where: p.Uri, id: scenarioID(p, ix.rows), keywords: ix.stepKeywords(p)}
			if n := len(p.AstNodeIds); n > 0 {
				if l, ok := lines[p.AstNodeIds[n-1]]; ok {
					info.where = p.Uri + ":" + strconv.FormatInt(l, 10)
				}
			}
			for _, t := range p.Tags {
				info.tags = append(info.tags, t.Name)
			}
			out = append(out, info)
		}
	}
	return out, nil
}

func pickleKey(p *messages.Pickle) string {
	return p.Uri + "\x00" + p.Name + "\x00" + strings.Join(p.AstNodeIds, ",")
}

func (c *Config) locationOf(p *messages.Pickle) string {
	if l, ok := c.locations[pickleKey(p)]; ok {
		return l
	}
	return p.Uri
}

// astLines maps the IDs of scenarios and example rows to their line numbers.
func astLines(doc *messages.GherkinDocument) map[string]int64 {
	out := map[string]int64{}
	if doc == nil || doc.Feature == nil {
		return out
	}
	var scenario func(sc *messages.Scenario)
	scenario = func(sc *messages.Scenario) {
		out[sc.Id] = sc.Location.Line
		for _, ex := range sc.Examples {
			for _, row := range ex.TableBody {
				out[row.Id] = row.Location.Line
			}
		}
	}
	for _, ch := range doc.Feature.Children {
		if ch.Scenario != nil {
			scenario(ch.Scenario)
		}
		if ch.Rule != nil {
			for _, rc := range ch.Rule.Children {
				if rc.Scenario != nil {
					scenario(rc.Scenario)
				}
			}
		}
	}
	return out
}
