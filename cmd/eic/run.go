package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/exportimage/eic/internal/endpoint"
	conformance "github.com/exportimage/eic/report"
	"github.com/exportimage/eic/steps"
)

// runExitCodes is the exit-code table of eic run, printed by --help and kept in the README.
const runExitCodes = `
Exit codes:
  0  PASS: at least one scenario ran and passed, no counted scenario failed, coverage >= --min-coverage
  1  FAIL: a @core (or, with --strict, an @assumption) scenario failed, or message drift with --strict;
     with --baseline only a regression fails (known failures are accepted, improvements listed)
  2  the run could not start: bad flag, tag expression or unknown tag, endpoint unreachable, credentials or
     control token refused, output file not writable (one line on stderr, nothing was run)
  3  INCONCLUSIVE: nothing was proven — no scenario selected, every scenario skipped (the reason
     is printed: missing credentials, fixtures, control API), coverage under --min-coverage,
     or the run was interrupted (Ctrl-C: what ran is reported, created objects are deleted)
`

// runRun is eic run: the conformance suite against --endpoint, or against the embedded
// reference server when no endpoint is given. Exit codes: runExitCodes.
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "[--endpoint URL] [--tags EXPR] [--features DIR]... [--signature v3|v1] [--fixtures FILE] [--region ID] [--format LIST] [--report FILE] [--baseline FILE] [--strict] [--min-coverage N] [--oss-endpoint URL] [--keep-objects]", stderr)
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(fs.Output(), runExitCodes) }
	endpoint := fs.String("endpoint", "", "ECS endpoint under test, `URL` (scheme://host[:port]); empty runs the embedded reference server on loopback")
	tags := fs.String("tags", "", "godog tag `expression` selecting scenarios, e.g. '@core && ~@costly' (default: everything against a reference, '~@costly' elsewhere)")
	signature := fs.String("signature", "v3", "default signature `version`: v3 (ACS3-HMAC-SHA256) or v1 (HMAC-SHA1)")
	fixtures := fs.String("fixtures", "", "suite fixtures `file` (YAML: logical names → IDs, credentials, checksums); default the reference's with a reference endpoint, none elsewhere")
	region := fs.String("region", os.Getenv("ALIBABA_CLOUD_REGION_ID"), "default region `ID` for fixtures that name none (env ALIBABA_CLOUD_REGION_ID)")
	format := fs.String("format", "progress", "godog formatters: pretty, progress, junit, cucumber, several comma-separated, each optionally name:FILE (e.g. progress,junit:out.xml); html:FILE writes the conformance page")
	report := fs.String("report", "", "write the JSON conformance report to `file`")
	strict := fs.Bool("strict", false, "count @assumption failures against the verdict")
	token := fs.String("control-token", os.Getenv("EIC_CONTROL_TOKEN"), "control API `token` of a reference endpoint (eic serve prints it; env EIC_CONTROL_TOKEN); enables @reference scenarios")
	minCoverage := fs.Float64("min-coverage", 0, "minimum share of documented rules and error rows proven by a passing scenario for PASS, as a `fraction` (0.8) or percent (80); 0 means at least one")
	ossEndpoint := fs.String("oss-endpoint", "", "OSS `endpoint` the object steps read and delete exported objects through (URL or host; eic serve's --oss-listen); default the real OSS of each bucket's region, or the control API of a reference")
	keepObjects := fs.Bool("keep-objects", false, "leave the objects the run's exports created in their buckets (default: each is deleted after its scenario, and the report says so)")
	baseline := fs.String("baseline", "", "compare with this `file` (an earlier --report JSON, or a known-failures list of scenario or rule/error IDs with reasons): the verdict fails only on regressions")
	var extra stringList
	fs.Var(&extra, "features", "also run the .feature files under `DIR` (or one file), e.g. eic fuzz findings; repeatable")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eic run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *signature != "v3" && *signature != "v1" {
		fmt.Fprintf(stderr, "eic run: --signature %q: want v3 or v1\n", *signature)
		return 2
	}
	if err := checkFormats(*format); err != nil {
		fmt.Fprintf(stderr, "eic run: --format: %v\n", err)
		return 2
	}
	if err := steps.CheckTags(*tags); err != nil {
		fmt.Fprintf(stderr, "eic run: %v\n", err)
		return 2
	}
	if *minCoverage > 1 && *minCoverage <= 100 {
		*minCoverage /= 100
	}
	if *minCoverage < 0 || *minCoverage > 1 {
		fmt.Fprintf(stderr, "eic run: --min-coverage %v: want a fraction 0..1 or a percent 0..100\n", *minCoverage)
		return 2
	}
	if err := checkOutputs(*format, *report); err != nil {
		fmt.Fprintf(stderr, "eic run: %v\n", err)
		return 2
	}
	var base *conformance.Baseline
	if *baseline != "" {
		var err error
		if base, err = conformance.LoadBaseline(*baseline); err != nil {
			fmt.Fprintf(stderr, "eic run: --baseline: %v\n", err)
			return 2
		}
	}
	godogFormat, page := splitPage(*format)
	for _, dir := range extra {
		if _, err := os.Stat(dir); err != nil {
			fmt.Fprintf(stderr, "eic run: --features: %v\n", err)
			return 2
		}
	}

	var cfg *steps.Config
	embedded := *endpoint == ""
	if embedded {
		ref, err := steps.StartReference()
		if err != nil {
			fmt.Fprintf(stderr, "eic run: cannot start the embedded reference: %v\n", err)
			return 2
		}
		defer ref.Close()
		if cfg, err = ref.Config(); err != nil {
			fmt.Fprintf(stderr, "eic run: %v\n", err)
			return 2
		}
	} else {
		var err error
		if cfg, err = remoteConfig(*endpoint, *fixtures, *token); err != nil {
			fmt.Fprintf(stderr, "eic run: %v\n", err)
			return 2
		}
		if cfg.Control == nil && *tags == "" {
			*tags = "~@costly"
		}
	}
	if embedded && *fixtures != "" {
		fx, err := steps.LoadFixtures(*fixtures)
		if err != nil {
			fmt.Fprintf(stderr, "eic run: %v\n", err)
			return 2
		}
		cfg.Fixtures = fx
	}
	cfg.Signature = *signature
	cfg.Region = *region
	cfg.KeepObjects = *keepObjects
	if *ossEndpoint != "" {
		cfg.OSSEndpoint, cfg.OSSHTTPClient = *ossEndpoint, nil
	}
	if err := steps.Preflight(context.Background(), cfg); err != nil {
		fmt.Fprintf(stderr, "eic run: %v\n", err)
		return 2
	}

	// Ctrl-C (or SIGTERM) cancels the scenarios' requests; what ran is still reported, with
	// verdict INCONCLUSIVE. A second signal kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()

	opts := steps.RunOptions{Context: ctx, Config: cfg, Tags: *tags, Format: godogFormat, Output: stdout,
		Strict: *strict, MinCoverage: *minCoverage, Embedded: embedded, Extra: extra, PageLink: page}
	if base != nil {
		opts.KnownFailure = conformance.KnownFailure(base, *strict)
	}
	rep, err := steps.Run(opts)
	if err != nil {
		fmt.Fprintf(stderr, "eic run: %v\n", oneLine(err.Error()))
		return 2
	}
	if ctx.Err() != nil {
		rep.Interrupted = "signal"
		rep.Decide()
	}
	var diff *conformance.Diff
	if base != nil {
		d := conformance.Compare(base, rep)
		conformance.Apply(&rep, d)
		diff = &d
	}
	rep.WriteSummary(stderr)
	if diff != nil {
		diff.WriteSummary(stderr)
	}
	if *report != "" {
		if err := rep.WriteFile(*report); err != nil {
			fmt.Fprintf(stderr, "eic run: --report: %v\n", err)
			return 2
		}
	}
	if page != "" {
		if err := conformance.WriteHTMLFile(page, rep, diff); err != nil {
			fmt.Fprintf(stderr, "eic run: --format html: %v\n", err)
			return 2
		}
	}
	return rep.ExitCode()
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// oneLine joins a multi-line error (godog's parser errors) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}

// checkOutputs makes sure every output file (--report, name:FILE formatters) can be written
// before anything runs. An existing file is opened without truncation; a new one is created
// and removed again.
func checkOutputs(formats, report string) error {
	var files []string
	if report != "" {
		files = append(files, "--report "+report)
	}
	for _, f := range strings.Split(formats, ",") {
		if name, file, ok := strings.Cut(f, ":"); ok {
			files = append(files, "--format "+name+":"+file)
		}
	}
	for _, spec := range files {
		_, path, _ := strings.Cut(spec, " ")
		if i := strings.Index(path, ":"); strings.HasPrefix(spec, "--format") && i >= 0 {
			path = path[i+1:]
		}
		_, statErr := os.Stat(path)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("%s: cannot write: %v", spec, errors.Unwrap(err))
		}
		f.Close()
		if os.IsNotExist(statErr) {
			os.Remove(path)
		}
	}
	return nil
}

var knownFormatters = map[string]bool{"pretty": true, "progress": true, "junit": true, "cucumber": true, "events": true, "html": true}

// splitPage takes html:FILE (the conformance page, written by eic) out of the formatter list.
// With no formatter left the console stays quiet: only eic's summary is printed.
func splitPage(list string) (rest, page string) {
	var keep []string
	for _, f := range strings.Split(list, ",") {
		if name, file, _ := strings.Cut(f, ":"); name == "html" {
			page = file
			continue
		}
		keep = append(keep, f)
	}
	if len(keep) == 0 {
		keep = append(keep, "progress:"+os.DevNull)
	}
	return strings.Join(keep, ","), page
}

func checkFormats(list string) error {
	for _, f := range strings.Split(list, ",") {
		name, file, hasFile := strings.Cut(f, ":")
		if !knownFormatters[name] {
			return fmt.Errorf("unknown formatter %q (want pretty, progress, junit, cucumber, events or html:FILE)", name)
		}
		if name == "html" && file == "" {
			return fmt.Errorf("formatter html needs a file: html:FILE")
		}
		if hasFile && file == "" {
			return fmt.Errorf("formatter %q: empty file name", name)
		}
	}
	return nil
}

// remoteConfig prepares a run against an endpoint (endpoint.Open: it answers HTTP, and with a
// control token it is a reference server); with a token the reference fixtures are the
// default, otherwise the account "main" comes from the ALIBABA_CLOUD_* variables.
func remoteConfig(raw, fixturesFile, token string) (*steps.Config, error) {
	client := &http.Client{Timeout: 60 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep, err := endpoint.Open(ctx, raw, endpoint.Options{Token: token, Probe: client})
	if err != nil {
		return nil, err
	}
	cfg := &steps.Config{Endpoint: ep.URL, HTTPClient: client, Control: ep.Control}
	var fx *steps.Fixtures
	switch {
	case fixturesFile != "":
		fx, err = steps.LoadFixtures(fixturesFile)
	case cfg.Control != nil:
		fx, err = steps.ReferenceFixtures()
	default:
		fx = &steps.Fixtures{}
	}
	if err != nil {
		return nil, err
	}
	if cfg.Control == nil {
		fx = fx.WithEnvAccount(os.Getenv)
	}
	cfg.Fixtures = fx
	return cfg, nil
}
