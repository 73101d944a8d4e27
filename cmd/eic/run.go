package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/exportimage/eic/internal/control"
	"github.com/exportimage/eic/steps"
)

// runRun is eic run: the conformance suite against --endpoint, or against the embedded
// reference server when no endpoint is given. Exit 0 when every counted scenario passed, 1
// when one failed (@assumption failures are reported apart and count only with --strict),
// 2 when the run could not start.
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "[--endpoint URL] [--tags EXPR] [--signature v3|v1] [--fixtures FILE] [--region ID] [--format LIST] [--report FILE] [--strict]", stderr)
	endpoint := fs.String("endpoint", "", "ECS endpoint under test, `URL` (scheme://host[:port]); empty runs the embedded reference server on loopback")
	tags := fs.String("tags", "", "godog tag `expression` selecting scenarios, e.g. '@core && ~@costly' (default: everything against a reference, '~@costly' elsewhere)")
	signature := fs.String("signature", "v3", "default signature `version`: v3 (ACS3-HMAC-SHA256) or v1 (HMAC-SHA1)")
	fixtures := fs.String("fixtures", "", "suite fixtures `file` (YAML: logical names → IDs, credentials, checksums); default the reference's with a reference endpoint, none elsewhere")
	region := fs.String("region", os.Getenv("ALIBABA_CLOUD_REGION_ID"), "default region `ID` for fixtures that name none (env ALIBABA_CLOUD_REGION_ID)")
	format := fs.String("format", "progress", "godog formatters: pretty, progress, junit, cucumber, several comma-separated, each optionally name:FILE (e.g. progress,junit:out.xml)")
	report := fs.String("report", "", "write the JSON conformance report to `file`")
	strict := fs.Bool("strict", false, "count @assumption failures against the verdict")
	token := fs.String("control-token", os.Getenv("EIC_CONTROL_TOKEN"), "control API `token` of a reference endpoint (eic serve prints it; env EIC_CONTROL_TOKEN); enables @reference scenarios")
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

	rep, err := steps.Run(steps.RunOptions{Config: cfg, Tags: *tags, Format: *format, Output: stdout, Strict: *strict})
	if err != nil {
		fmt.Fprintf(stderr, "eic run: %v\n", err)
		return 2
	}
	rep.Embedded = embedded
	rep.WriteSummary(stderr)
	if *report != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(*report, append(data, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "eic run: --report: %v\n", err)
			return 2
		}
	}
	return rep.ExitCode()
}

var knownFormatters = map[string]bool{"pretty": true, "progress": true, "junit": true, "cucumber": true, "events": true}

func checkFormats(list string) error {
	for _, f := range strings.Split(list, ",") {
		name, file, hasFile := strings.Cut(f, ":")
		if !knownFormatters[name] {
			return fmt.Errorf("unknown formatter %q (want pretty, progress, junit, cucumber or events)", name)
		}
		if hasFile && file == "" {
			return fmt.Errorf("formatter %q: empty file name", name)
		}
	}
	return nil
}

// remoteConfig prepares a run against an endpoint: it must answer HTTP at all; with a control
// token it must be a reference server (GET /_reference/health) and the reference fixtures
// are the default; otherwise the account "main" comes from the ALIBABA_CLOUD_* variables.
func remoteConfig(endpoint, fixturesFile, token string) (*steps.Config, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	endpoint = strings.TrimRight(endpoint, "/")
	client := &http.Client{Timeout: 60 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
	if err != nil {
		return nil, fmt.Errorf("--endpoint %q: %v", endpoint, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap()
		}
		return nil, fmt.Errorf("endpoint %s unreachable: %v", endpoint, err)
	}
	resp.Body.Close()

	cfg := &steps.Config{Endpoint: endpoint, HTTPClient: client}
	if token != "" {
		cfg.Control = &control.Client{Base: endpoint, Token: token, HTTP: client}
		if !cfg.Control.Health(ctx) {
			return nil, fmt.Errorf("endpoint %s has no reference control API (GET /_reference/health failed) but --control-token was given", endpoint)
		}
	}
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
