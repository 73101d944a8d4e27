package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/exportimage/eic/fuzz"
	"github.com/exportimage/eic/internal/endpoint"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/spec"
)

// runFuzz is `eic fuzz`: the differential fuzzer (package fuzz) against an endpoint, or the
// embedded reference without --endpoint. Exit 0: no new divergence; 1: divergences found
// (written to --out); 2: could not start.
func runFuzz(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("fuzz", "[flags]", stderr)
	endpoint := fs.String("endpoint", "", "ECS endpoint `URL` to fuzz (default: the embedded reference); https:// is assumed without a scheme")
	seed := fs.Int64("seed", 1, "random `seed`; a finding names its seed and run, so it replays")
	runs := fs.Int("runs", 300, "number of generated requests (sequences with --stateful)")
	stateful := fs.Bool("stateful", false, "generate command sequences (export, cancel, describe, clock, quotas); needs the control API")
	seqLen := fs.Int("seq-len", 20, "steps per sequence with --stateful")
	token := fs.String("control-token", "", "bearer `token` of the reference's control API (eic serve prints it); without it an endpoint only gets dry runs")
	out := fs.String("out", "./eic-fuzz-findings", "`directory` for findings (a report and a .feature per finding)")
	mutant := fs.String("mutant", "", "embedded reference only: a deliberately broken variant `NAME` ("+strings.Join(reference.Mutants(), ", ")+")")
	loopback := fs.Bool("loopback", false, "embedded reference over a loopback socket instead of in process")
	timeout := fs.Duration("timeout", 10*time.Second, "per-request `timeout`; a slower answer is reported as a hang")
	signature := fs.String("signature", "v3", "signature version: v3 or v1")
	strict := fs.Bool("strict", false, "exit 1 on known reference divergences too")
	steps := fs.String("steps", "all", "with --stateful, the steps generated: all, or quota (low quotas, exports, cancels, clock moves too short to export anything: cheap)")
	stopAfter := fs.Int("stop-after", 0, "stop after `N` findings (0: run every request or sequence)")
	shrinkBudget := fs.Int("shrink-budget", 400, "re-runs spent shrinking each finding (requests, or sequences with --stateful)")
	jsonOut := fs.String("json", "", "also write the report as JSON to `FILE` (\"-\": standard output)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "requests checked at once, `N` workers (the embedded reference: one reference each; an --endpoint with --control-token: 1, its state is shared); --stateful runs one sequence at a time")
	strictParams := fs.Bool("strict-params", false, "the endpoint refuses parameters an action does not define (default: refusing or ignoring them are both accepted)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eic fuzz: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *signature != "v3" && *signature != "v1" {
		fmt.Fprintf(stderr, "eic fuzz: --signature %q: want v3 or v1\n", *signature)
		return 2
	}
	var stepGen func(*rand.Rand, int) fuzz.Step
	switch *steps {
	case "all":
	case "quota":
		stepGen = fuzz.GenQuotaStep
	default:
		fmt.Fprintf(stderr, "eic fuzz: --steps %q: want all or quota\n", *steps)
		return 2
	}
	if *workers < 1 {
		fmt.Fprintf(stderr, "eic fuzz: --workers %d: want ≥ 1\n", *workers)
		return 2
	}
	if *runs < 0 {
		fmt.Fprintf(stderr, "eic fuzz: --runs %d: want ≥ 0\n", *runs)
		return 2
	}
	var sess *fuzz.Session
	var newSession func() (*fuzz.Session, error)
	if *endpoint == "" {
		var mutants []string
		if *mutant != "" {
			if reference.MutantDescription(*mutant) == "" {
				fmt.Fprintf(stderr, "eic fuzz: unknown mutant %q (known: %s)\n", *mutant, strings.Join(reference.Mutants(), ", "))
				return 2
			}
			mutants = append(mutants, *mutant)
		}
		emb, err := fuzz.NewEmbedded(mutants...)
		if err != nil {
			fmt.Fprintf(stderr, "eic fuzz: %v\n", err)
			return 2
		}
		defer emb.Close()
		sess = emb.Session(*loopback)
		newSession = func() (*fuzz.Session, error) { return emb.Worker(*loopback) }
	} else {
		if *mutant != "" || *loopback {
			fmt.Fprintln(stderr, "eic fuzz: --mutant and --loopback apply to the embedded reference only")
			return 2
		}
		var err error
		if sess, err = remoteSession(*endpoint, *token, *timeout); err != nil {
			fmt.Fprintf(stderr, "eic fuzz: %v\n", err)
			return 2
		}
	}
	sess.Timeout, sess.Signature, sess.StrictParams = *timeout, *signature, *strictParams
	if *stateful && sess.Control == nil {
		fmt.Fprintln(stderr, "eic fuzz: --stateful needs the control API (--control-token, or no --endpoint)")
		return 2
	}
	gen, err := fuzz.NewGenerator(sess.Spec, sess.World)
	if err != nil {
		fmt.Fprintf(stderr, "eic fuzz: %v\n", err)
		return 2
	}
	useEnvKey(sess, gen)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if sess.Control != nil {
		if err := sess.Control.Reset(ctx); err != nil {
			fmt.Fprintf(stderr, "eic fuzz: control API: %v\n", err)
			return 2
		}
	}
	mode := "requests"
	if *stateful {
		mode = "sequences"
	}
	target := *endpoint
	if target == "" {
		target = "embedded reference"
		if *mutant != "" {
			target += " (mutant " + *mutant + ")"
		}
	}
	// The JSON report's file is created before the run, so a bad path costs no fuzzing.
	var jsonFile *os.File
	if *jsonOut != "" && *jsonOut != "-" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			fmt.Fprintf(stderr, "eic fuzz: --json: %v\n", err)
			return 2
		}
		defer f.Close()
		jsonFile = f
	}
	fmt.Fprintf(stdout, "eic fuzz: %d %s against %s, seed %d\n", *runs, mode, target, *seed)
	rep, err := fuzz.Run(ctx, fuzz.Config{Session: sess, Gen: gen, Seed: *seed, Runs: *runs, Stateful: *stateful,
		SeqLen: *seqLen, Out: *out, Log: stdout, ShrinkBudget: *shrinkBudget, StopAfter: *stopAfter, Steps: stepGen,
		Workers: *workers, NewSession: newSession})
	if err != nil {
		if rep == nil || rep.Checked == 0 {
			fmt.Fprintf(stderr, "eic fuzz: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "eic fuzz: stopped: %v\n", err)
	}
	rep.WriteText(stdout)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(rep.Summary(), "", "  ")
		data = append(data, '\n')
		if jsonFile == nil {
			stdout.Write(data)
		} else if _, werr := jsonFile.Write(data); werr != nil {
			fmt.Fprintf(stderr, "eic fuzz: --json: %v\n", werr)
			return 2
		}
	}
	if rep.New() > 0 || (*strict && len(rep.Findings) > 0) {
		return 1
	}
	if err != nil {
		return 2
	}
	return 0
}

// remoteSession is a session against an endpoint (endpoint.Open), with its control API when a
// token is given.
func remoteSession(raw, token string, timeout time.Duration) (*fuzz.Session, error) {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, ResponseHeaderTimeout: timeout}
	ep, err := endpoint.Open(context.Background(), raw, endpoint.Options{Token: token,
		Probe: &http.Client{Transport: tr, Timeout: timeout},
		// Not the requests' timeout: a clock advance may run whole exports before it answers.
		Control: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8}, Timeout: 5 * time.Minute}})
	if err != nil {
		return nil, err
	}
	return &fuzz.Session{World: fuzz.DefaultWorld(), Spec: spec.MustLoad(), Endpoint: ep.URL, Transport: tr, Control: ep.Control}, nil
}

// useEnvKey makes the session act as the one account of the ALIBABA_CLOUD_* keys when they are
// set (someone else's endpoint), with no fixture-only keys.
func useEnvKey(sess *fuzz.Session, gen *fuzz.Generator) {
	if k, ok := endpoint.EnvKey(os.Getenv); ok {
		sess.Keys = map[string]fuzz.Key{fuzz.MainAccount: {ID: k.ID, Secret: k.Secret, Account: fuzz.MainAccount}}
		gen.Accounts, gen.NoOddKeys = []string{fuzz.MainAccount}, true
	}
}
