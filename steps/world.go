package steps

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cucumber/godog"
)

// world is the state of one scenario: who calls, how requests are signed, the request being
// built, the last exchange and the task the scenario created. Register makes a fresh one for
// every scenario; nothing is shared between scenarios but the read-only Config.
type world struct {
	cfg      *Config
	pickle   *godog.Scenario
	location string
	tags     map[string]bool
	started  time.Time

	skip    error  // set once a step decides the scenario cannot run here (wraps godog.ErrSkip)
	failErr error  // first failing step's error, for the report
	status  string // worst step status so far: passed, skipped, failed, undefined

	stepStatus map[string]string // by pickle step ID, for the report

	account   Account
	signature string // v3 or v1
	format    string // Format parameter ("" = the SDK's default)
	params    url.Values

	tweak tweaks // one-shot changes to the next request

	last        *exchange
	task        *task
	objectsSeen map[string]bool // objects already listed in the report
	owned       []objectOwner   // objects to delete after the scenario (objects.go)
	taskCount   int
}

// tweaks alter the next request only; send clears them.
type tweaks struct {
	wrongSecret, unknownKey, noSignature, badTime bool
	timeShift                                     time.Duration
	dropParam, version, method                    string
}

// task is what the scenario knows of the export it created.
type task struct {
	id, region, image, bucket, prefix, format string
}

// skipf marks the scenario skipped with a reason; the returned error wraps godog.ErrSkip.
func (w *world) skipf(format string, args ...any) error {
	w.skip = fmt.Errorf("%w: %s", godog.ErrSkip, fmt.Sprintf(format, args...))
	return w.skip
}

// check turns a missing-fixture error into a skip and anything else into a failure.
func (w *world) check(err error) error {
	if err == nil {
		return nil
	}
	var mf missingFixture
	if errors.As(err, &mf) {
		return w.skipf("%v", mf)
	}
	if errors.Is(err, godog.ErrSkip) {
		w.skip = err
		return err
	}
	return w.fail(err)
}

// fail decorates a step failure with the scenario's location and the last HTTP exchange.
func (w *world) fail(err error) error {
	if err == nil {
		return nil
	}
	if w.last == nil {
		return fmt.Errorf("%w\n  at %s", err, w.location)
	}
	return fmt.Errorf("%w\n  at %s\n  last exchange:\n%s", err, w.location, w.last)
}

func (w *world) failf(format string, args ...any) error {
	return w.fail(fmt.Errorf(format, args...))
}

func (w *world) needControl(what string) error {
	if w.cfg.Control == nil {
		return w.skipf("%s needs the reference control API (no control token for this endpoint)", what)
	}
	return nil
}

// now is the client clock for signatures: the wall clock, also against the reference, whose
// virtual clock drives tasks and STS expiry but whose signature window follows the wall clock.
func (w *world) now() time.Time { return time.Now() }

func (w *world) vars() map[string]string {
	v := map[string]string{}
	if w.task != nil {
		v["task"] = w.task.id
	}
	return v
}

func (w *world) needTask() error {
	if w.task == nil {
		return w.failf("no export task was created in this scenario")
	}
	return nil
}

// str renders a decoded body field as text ("" for an absent one).
func str(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}
