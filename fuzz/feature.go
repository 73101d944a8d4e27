package fuzz

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// logicalAccount maps the World's account names to the suite's fixture names
// (features/fixtures/reference.yaml).
func logicalAccount(name string) string {
	switch name {
	case MainAccount:
		return "main"
	case DisabledKey:
		return "disabled"
	}
	return name
}

// cell escapes a value for a Gherkin table cell; ok is false when Gherkin cannot carry it
// (a value that is not UTF-8).
func cell(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return fmt.Sprintf("%q", s), false
	}
	r := strings.NewReplacer(`\`, `\\`, "|", `\|`, "\n", `\n`)
	return r.Replace(s), true
}

// Feature renders a finding as a scenario for the conformance suite, in the step phrases of
// steps/ (Register's catalogue): the calls of the shrunk case and what the model expects.
// Against a correct endpoint the scenario passes; against the one that diverged it fails.
func Feature(f *Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Found by eic fuzz (seed %d, run %d): %s\n", f.Seed, f.Run, oneLine(f.Divergence.Error()))
	if f.Known != "" {
		fmt.Fprintf(&b, "# Known reference divergence %s.\n", f.Known)
	}
	fmt.Fprintf(&b, "# Shrunk from: %s\n", oneLine(f.Original))
	b.WriteString("# Uses the reference's default fixture IDs (docs/reference.md).\n")
	tags := "@fuzz @assumption"
	if f.Steps != nil {
		tags += " @reference @costly"
	}
	fmt.Fprintf(&b, "%s\nFeature: fuzz finding %s\n\n", tags, f.ID)
	fmt.Fprintf(&b, "  Scenario: %s\n", oneLine(f.Divergence.Kind+" — "+f.Expected.Rule))
	if f.Steps == nil {
		writeCall(&b, f.Results[0], true)
		return b.String()
	}
	b.WriteString("    Given I am account \"main\"\n")
	ri := 0
	var lastTask string
	for _, st := range f.Steps {
		switch st.Op {
		case "advance":
			fmt.Fprintf(&b, "    When %s pass\n", humanDuration(st.Advance))
		case "quota":
			fmt.Fprintf(&b, "    Given the export quota of account \"main\" in region %q is %d concurrent and %d weekly\n",
				st.Region, st.Quota.Concurrent, st.Quota.Weekly)
		}
		// The requests this step made, in order (advance's task polls are not repeated).
		for ; ri < len(f.Results) && belongs(st, f.Results[ri]); ri++ {
			res := f.Results[ri]
			if st.Op == "advance" && res.Divergence == nil {
				continue
			}
			id, _ := res.Request.Get("TaskId")
			switch {
			case res.Request.Action == "CancelTask" && id == lastTask && id != "":
				b.WriteString("    When I cancel the task\n")
				writeThen(&b, res)
			case res.Request.Action == "DescribeTaskAttribute" && id == lastTask && id != "":
				b.WriteString("    When I describe the task\n")
				writeThen(&b, res)
			default:
				if id != "" && id != lastTask {
					fmt.Fprintf(&b, "    # TaskId %s was an earlier task of this run; the step library names only the latest\n", id)
				}
				writeCall(&b, res, false)
			}
			if res.Request.Action == "ExportImage" && res.Exchange.Status == 200 {
				lastTask = fmt.Sprint(res.Fields["TaskId"])
			}
		}
	}
	if f.Divergence.Kind == "invariant" {
		fmt.Fprintf(&b, "    # Invariant broken here: %s\n", oneLine(f.Divergence.Detail))
		if strings.Contains(f.Divergence.Detail, "Finished but") {
			b.WriteString("    Then the task is \"Finished\"\n    And the bucket holds the objects of the task\n")
		}
	}
	return b.String()
}

// belongs reports whether a logged request came from this kind of step.
func belongs(st Step, res *Result) bool {
	switch st.Op {
	case "export":
		return res.Request.Action == "ExportImage"
	case "cancel", "free":
		return res.Request.Action == "CancelTask"
	case "describe", "advance":
		return res.Request.Action == "DescribeTaskAttribute"
	case "list":
		return res.Request.Action == "DescribeTasks"
	}
	return false
}

func writeCall(b *strings.Builder, res *Result, who bool) {
	req := res.Request
	if who {
		switch req.Account {
		case UnknownKey:
			b.WriteString("    Given I am account \"main\"\n    And the access key is unknown\n")
		default:
			fmt.Fprintf(b, "    Given I am account %q\n", logicalAccount(req.Account))
		}
		if req.Scheme != "" {
			fmt.Fprintf(b, "    And I sign requests with %q\n", req.Scheme)
		}
	}
	if writeSetup(b, req) {
		writeThen(b, res)
		return
	}
	replay := writeTamper(b, req.Tamper)
	if len(req.Params) == 0 {
		fmt.Fprintf(b, "    When I call %q\n", req.Action)
	} else {
		fmt.Fprintf(b, "    When I call %q with:\n", req.Action)
		for _, p := range req.Params {
			n, ok1 := cell(p.Name)
			v, ok2 := cell(p.Value)
			if !ok1 || !ok2 {
				fmt.Fprintf(b, "      # not UTF-8, Gherkin cannot carry it; the raw value is %s=%s\n", n, v)
			}
			fmt.Fprintf(b, "      | %s | %s |\n", n, v)
		}
	}
	if replay {
		b.WriteString("    And I replay the last request\n")
	}
	writeThen(b, res)
}

// writeSetup renders a request's setup as steps; it reports whether it wrote the call too.
func writeSetup(b *strings.Builder, req Request) bool {
	region, _ := req.Get("RegionId")
	account := logicalAccount(req.Account)
	switch req.Setup {
	case SetupConcurrentFull:
		fmt.Fprintf(b, "    Given the export quota of account %q in region %q is 0 concurrent and 100 weekly\n", account, region)
	case SetupWeeklyFull:
		fmt.Fprintf(b, "    Given the export quota of account %q in region %q is 5 concurrent and 0 weekly\n", account, region)
	case SetupExporting:
		b.WriteString("    When I call \"ExportImage\" with:\n")
		for _, name := range []string{"RegionId", "ImageId", "OSSBucket"} {
			v, _ := req.Get(name)
			c, _ := cell(v)
			fmt.Fprintf(b, "      | %s | %s |\n", name, c)
		}
		b.WriteString("      | OSSPrefix | eicsetup |\n")
	case SetupEndedTask:
		b.WriteString("    Given an export request for image \"m-eic-custom\" to bucket \"eic-export\"\n")
		b.WriteString("    When I export the image\n    And I cancel the task\n    And I cancel the task\n")
		return true
	}
	return false
}

// writeTamper renders a tamper as the step library's one-shot changes (steps.Register);
// it reports whether the call must be replayed. A tamper the library cannot express is
// left as a comment: that scenario then checks the call untampered.
func writeTamper(b *strings.Builder, t string) (replay bool) {
	step := map[string]string{
		TamperSignatureByte:   "the signature is computed with a wrong secret",
		TamperDate:            "the signature is computed with a wrong secret",
		TamperNonce:           "the signature is computed with a wrong secret",
		TamperSignedHeader:    "the signature is computed with a wrong secret",
		TamperStaleTimestamp:  `the request time is 20 minutes in the "past"`,
		TamperFutureTimestamp: `the request time is 20 minutes in the "future"`,
		TamperTimestampFormat: "the request time is malformed",
		TamperNoSignature:     "the request carries no signature",
		TamperVersion:         `the API version is "2014-05-27"`,
		TamperMethod:          `the HTTP method is "PUT"`,
		TamperBogusToken:      `the security token is "eic-fuzz-no-such-token"`,
		TamperForeignToken:    "I use STS credentials of account \"main\" valid for \"1h\"\n    And the security token comes from another STS session",
		TamperExpiredToken:    "I use STS credentials of account \"main\" valid for \"1s\"\n    And 2 seconds pass",
	}[t]
	switch {
	case t == "":
	case t == TamperReplay:
		b.WriteString("    # The nonce of the first call is replayed by the second.\n")
		return true
	case step == "":
		fmt.Fprintf(b, "    # Tamper %q has no phrase in the step library; replay with eic fuzz (see the report).\n", t)
	default:
		if t == TamperDate || t == TamperNonce || t == TamperSignedHeader {
			fmt.Fprintf(b, "    # The fuzzer changed the signed %s after signing; the suite's closest phrase:\n", t)
		}
		fmt.Fprintf(b, "    Given %s\n", step)
	}
	return false
}

func writeThen(b *strings.Builder, res *Result) {
	exp := res.Expected
	switch {
	case exp.Any:
		b.WriteString("    # The documents leave this answer open: any non-5xx answer valid per the spec passes.\n")
		b.WriteString("    Then the response is \"JSON\"\n")
	case exp.Success && res.Request.Action == "ExportImage":
		b.WriteString("    Then the export is accepted\n")
	case exp.Success:
		b.WriteString("    Then the request succeeds\n")
	case len(exp.Rows) == 1 && exp.Rows[0].ID == "ACS-E14":
		b.WriteString("    Then the request passes validation\n")
	case len(exp.Rows) == 1:
		c := exp.Rows[0]
		fmt.Fprintf(b, "    Then the request is refused with %d %s (%s)\n", c.Status(), c.Wire, c.ID)
	default:
		fmt.Fprintf(b, "    Then the request is refused with code %q\n", exp.Rows[0].Wire)
	}
	if exp.Lenient != nil {
		fmt.Fprintf(b, "    # A lenient endpoint may instead ignore the undefined parameter: %s\n", oneLine(exp.Lenient.String()))
	}
}

func humanDuration(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if d%u.d == 0 {
			n := int(d / u.d)
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return fmt.Sprintf("%d seconds", int(d/time.Second))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
