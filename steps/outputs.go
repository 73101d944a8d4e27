package steps

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Every output a CI reads must agree with eic's verdict. godog counts a scenario whose steps
// were all skipped as passed (its summary line, its JUnit file: tests="108" skipped="0" for
// a run that sent nothing), so eic rewrites godog's summary line, writes the JUnit file
// itself from the results, and marks skipped scenarios with their reason in cucumber JSON.

// output is one "name[:file]" entry of the format list that eic writes or rewrites itself.
type output struct {
	name, file string // file "" = the run's Output
	tmp        string // cucumber: where godog writes before eic patches it
}

// splitFormats separates the formatters godog runs from those eic writes (junit) or patches
// (cucumber, written by godog to a temporary file).
func splitFormats(list string) (godogFormats string, own []output, err error) {
	var keep []string
	for _, f := range strings.Split(list, ",") {
		name, file, _ := strings.Cut(f, ":")
		switch name {
		case "junit":
			own = append(own, output{name: name, file: file})
		case "cucumber":
			tmp, err := os.CreateTemp("", "eic-cucumber-*.json")
			if err != nil {
				return "", nil, err
			}
			tmp.Close()
			own = append(own, output{name: name, file: file, tmp: tmp.Name()})
			keep = append(keep, "cucumber:"+tmp.Name())
		default:
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		keep = append(keep, "progress:"+os.DevNull)
	}
	return strings.Join(keep, ","), own, nil
}

// writeOwn writes the junit and cucumber outputs once the run has ended.
func writeOwn(own []output, results []ScenarioResult, strict bool, jo junitOptions, stdout io.Writer) error {
	for _, o := range own {
		var data []byte
		var err error
		switch o.name {
		case "junit":
			data, err = junitWith(results, strict, jo)
		case "cucumber":
			data, err = os.ReadFile(o.tmp)
			os.Remove(o.tmp)
			if err == nil {
				data, err = patchCucumber(data, results)
			}
		}
		if err != nil {
			return fmt.Errorf("%s output: %v", o.name, err)
		}
		if o.file == "" {
			_, err = stdout.Write(data)
		} else {
			err = os.WriteFile(o.file, data, 0o644)
		}
		if err != nil {
			return fmt.Errorf("%s output: %v", o.name, err)
		}
	}
	return nil
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnit renders results as a JUnit XML file: one testsuite per feature file, one testcase per
// scenario named "<name> (<file:line>)" (unique), skipped scenarios as <skipped> with their
// reason, failures with the full error (exchange included), undefined steps as <error>. An
// @assumption failure is <skipped> "assumption not met (reported apart)" unless strict, as it
// does not count against the verdict.
func JUnit(results []ScenarioResult, strict bool) ([]byte, error) {
	return junitWith(results, strict, junitOptions{})
}

// junitOptions are what eic run adds to the JUnit file: page links each failure to its
// section of the conformance page (page#<scenario ID>); known marks the failures a baseline
// accepts as skipped.
type junitOptions struct {
	page  string
	known func(ScenarioResult) (string, bool)
}

func junitWith(results []ScenarioResult, strict bool, jo junitOptions) ([]byte, error) {
	page := jo.page
	byFile := map[string]*junitSuite{}
	var files []string
	all := junitSuites{Name: "eic"}
	var total float64
	for _, r := range results {
		file, _, _ := strings.Cut(r.Location, ":")
		s := byFile[file]
		if s == nil {
			s = &junitSuite{Name: file}
			byFile[file] = s
			files = append(files, file)
		}
		c := junitCase{Name: r.Name + " (" + r.Location + ")", Classname: strings.TrimSuffix(filepath.ToSlash(file), ".feature"),
			Time: fmt.Sprintf("%.3f", r.Seconds)}
		total += r.Seconds
		s.Tests++
		switch {
		case r.Status == "passed":
		case r.Status == "skipped":
			c.Skipped = &junitMessage{Message: r.Reason}
			s.Skipped++
		case r.Status == "undefined":
			c.Error = &junitMessage{Message: firstLine(r.Error), Type: "undefined", Text: r.Error}
			s.Errors++
		case r.Assumption() && !strict:
			c.Skipped = &junitMessage{Message: "@assumption not met (reported apart; counts only with --strict): " + firstLine(r.Error), Text: r.Error}
			s.Skipped++
		case jo.known != nil && knownFailure(jo.known, r):
			why, _ := jo.known(r)
			c.Skipped = &junitMessage{Message: "accepted by the baseline, " + why + ": " + firstLine(r.Error), Text: r.Error}
			s.Skipped++
		default:
			c.Failure = &junitMessage{Message: firstLine(r.Error), Type: "failed", Text: r.Error}
			if page != "" && r.ID != "" {
				c.Failure.Text = "conformance page: " + page + "#" + r.ID + "\n" + r.Error
				c.Failure.Message += " (" + page + "#" + r.ID + ")"
			}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	sort.Strings(files)
	for _, f := range files {
		s := byFile[f]
		var t float64
		for _, c := range s.Cases {
			var x float64
			fmt.Sscanf(c.Time, "%g", &x)
			t += x
		}
		s.Time = fmt.Sprintf("%.3f", t)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Skipped += s.Skipped
		all.Suites = append(all.Suites, *s)
	}
	all.Time = fmt.Sprintf("%.3f", total)
	data, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), data...), '\n'), nil
}

// patchCucumber adds each skipped scenario's reason to its first skipped step
// (result.error_message), so a cucumber report says why nothing ran.
func patchCucumber(data []byte, results []ScenarioResult) ([]byte, error) {
	reason := map[string]string{}
	for _, r := range results {
		if r.Status == "skipped" {
			reason[r.Location] = r.Reason
		}
	}
	var feats []map[string]any
	if err := json.Unmarshal(data, &feats); err != nil {
		return nil, fmt.Errorf("godog's cucumber JSON: %v", err)
	}
	for _, f := range feats {
		uri, _ := f["uri"].(string)
		elems, _ := f["elements"].([]any)
		for _, e := range elems {
			el, _ := e.(map[string]any)
			line, _ := el["line"].(float64)
			why, ok := reason[fmt.Sprintf("%s:%d", uri, int(line))]
			if !ok {
				continue
			}
			stepsList, _ := el["steps"].([]any)
			for _, st := range stepsList {
				res, _ := st.(map[string]any)["result"].(map[string]any)
				if res != nil && res["status"] == "skipped" {
					res["error_message"] = "skipped: " + why
					break
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "    ")
	if err := enc.Encode(feats); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// godogSummary matches godog's "N scenarios (…)" line.
var godogSummary = regexp.MustCompile(`^\d+ scenarios \(.*\)\n$`)

// summaryRewriter passes godog's console output through, replacing its scenarios line
// (which counts all-skipped scenarios as passed) with the counts eic reports. godog's
// colour filter splits writes, so a partial line that may still become that line is held
// back until its end; anything else passes at once (progress dots stay live).
type summaryRewriter struct {
	out     io.Writer
	results *Results
	pending *[]byte
}

func newSummaryRewriter(out io.Writer, results *Results) summaryRewriter {
	return summaryRewriter{out: out, results: results, pending: new([]byte)}
}

func (s summaryRewriter) Write(p []byte) (int, error) {
	buf := append(*s.pending, p...)
	*s.pending = nil
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			if maySummarise(buf) {
				*s.pending = buf
				return len(p), nil
			}
			_, err := s.out.Write(buf)
			return len(p), err
		}
		line := buf[:i+1]
		buf = buf[i+1:]
		if godogSummary.Match(line) {
			line = []byte(s.line())
		}
		if _, err := s.out.Write(line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// maySummarise reports whether a partial line can still become godog's scenarios line.
func maySummarise(partial []byte) bool {
	rest := strings.TrimLeft(string(partial), "0123456789")
	if len(rest) == len(partial) {
		return false
	}
	const mid = " scenarios ("
	return strings.HasPrefix(mid, rest) || strings.HasPrefix(rest, mid)
}

func (s summaryRewriter) line() string {
	var passed, failed, assumption, skipped, undefined int
	for _, r := range s.results.Scenarios() {
		switch {
		case r.Status == "passed":
			passed++
		case r.Status == "skipped":
			skipped++
		case r.Status == "undefined":
			undefined++
		case r.Assumption():
			assumption++
		default:
			failed++
		}
	}
	return fmt.Sprintf("%d scenarios (%d passed, %d failed, %d @assumption failed, %d skipped, %d undefined)\n",
		passed+failed+assumption+skipped+undefined, passed, failed, assumption, skipped, undefined)
}

func knownFailure(known func(ScenarioResult) (string, bool), r ScenarioResult) bool {
	_, ok := known(r)
	return ok
}
