package steps

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/exportimage/eic/internal/acs"
)

var terminal = map[string]bool{"Finished": true, "Failed": true, "Deleted": true}

// rank orders task states: a task never moves back (Waiting → Processing → an end).
var rank = map[string]int{"Waiting": 1, "Processing": 2, "Finished": 3, "Failed": 3, "Deleted": 3}

// taskAttr calls DescribeTaskAttribute for the scenario's task and returns the 200 body.
func (w *world) taskAttr(ctx context.Context) (*acs.Body, error) {
	if err := w.describeTask(ctx); err != nil {
		return nil, err
	}
	b, err := w.success()
	if err != nil {
		return nil, err
	}
	if got := str(b.Fields["TaskId"]); got != w.task.id {
		return nil, w.failf("TaskId = %q, want %q", got, w.task.id)
	}
	return b, nil
}

func progress(b *acs.Body) int {
	p, _ := strconv.Atoi(strings.TrimSuffix(str(b.Fields["TaskProcess"]), "%"))
	return p
}

func (w *world) taskIs(ctx context.Context, status string) error { return w.taskIsOneOf(ctx, status) }

// taskIsEither accepts two states (Waiting or Processing right after submission).
func (w *world) taskIsEither(ctx context.Context, a, b string) error { return w.taskIsOneOf(ctx, a, b) }

func (w *world) taskIsOneOf(ctx context.Context, states ...string) error {
	b, err := w.taskAttr(ctx)
	if err != nil {
		return err
	}
	got := str(b.Fields["TaskStatus"])
	for _, st := range states {
		if got == st {
			return nil
		}
	}
	return w.failf("task status = %q, want %q", got, strings.Join(states, `" or "`))
}

// waitFor polls the task until it reaches status. Against the reference the virtual clock is
// advanced between polls (no sleeping); elsewhere it polls in real time until the deadline.
// Progress must never go down and a terminal state other than the one awaited fails at once.
func (w *world) waitFor(ctx context.Context, status string) error {
	if err := w.needTask(); err != nil {
		return err
	}
	last, lastState := -1, ""
	return w.pollTask(ctx, poll{step: w.cfg.pollStep(), advances: 2001, interval: w.cfg.pollInterval(),
		deadline: time.Now().Add(w.cfg.pollTimeout())},
		func(b *acs.Body, got string) (bool, error) {
			p := progress(b)
			if p < last {
				return false, w.failf("task progress = %d%%, want at least %d%% (progress never goes down)", p, last)
			}
			if rank[got] < rank[lastState] {
				return false, w.failf("task status = %q after %q, want no step back", got, lastState)
			}
			last, lastState = p, got
			if got == status {
				if status == "Finished" && str(b.Fields["TaskProcess"]) != "100%" {
					return false, w.failf("TaskProcess of a Finished task = %q, want \"100%%\"", str(b.Fields["TaskProcess"]))
				}
				return true, nil
			}
			if terminal[got] {
				return false, w.failf("task status = %q, want %q", got, status)
			}
			return false, nil
		},
		func(got string, advances int, virtual bool) error {
			if virtual {
				return w.failf("task status = %q after %d clock advances, want %q", got, advances, status)
			}
			return w.failf("task status = %q at the deadline (%s), want %q", got, w.cfg.pollTimeout(), status)
		})
}

// poll is how long pollTask may go on: against a virtual clock at most advances steps of
// step; on the endpoint's own clock reads every interval until deadline.
type poll struct {
	step     time.Duration
	advances int
	interval time.Duration
	deadline time.Time
}

// pollTask reads the task's attributes until check says it is done (or fails), advancing a
// virtual clock or sleeping between reads as p allows; when p runs out, expired says why
// (with the status last read, the clock advances made and whether the clock was virtual).
func (w *world) pollTask(ctx context.Context, p poll, check func(b *acs.Body, status string) (bool, error),
	expired func(status string, advances int, virtual bool) error) error {
	for n := 0; ; n++ {
		b, err := w.taskAttr(ctx)
		if err != nil {
			return err
		}
		got := str(b.Fields["TaskStatus"])
		if done, err := check(b, got); done || err != nil {
			return err
		}
		if w.cfg.virtualClock(ctx) {
			if n >= p.advances {
				return expired(got, n, true)
			}
			if _, err := w.cfg.Control.Advance(ctx, p.step); err != nil {
				return w.fail(err)
			}
			continue
		}
		if time.Now().After(p.deadline) {
			return expired(got, n, false)
		}
		t := time.NewTimer(p.interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return w.fail(ctx.Err())
		case <-t.C:
		}
	}
}

func (w *world) taskEnded(ctx context.Context) error {
	b, err := w.taskAttr(ctx)
	if err != nil {
		return err
	}
	if got := str(b.Fields["TaskStatus"]); !terminal[got] {
		return w.failf("task status = %q, want an ended state (Finished, Failed or Deleted)", got)
	}
	return nil
}

func (w *world) listedAs(ctx context.Context, status string) error {
	return w.listedAsOneOf(ctx, status)
}

// endsWithin polls the task until it has ended (Finished, Failed or Deleted), for at most
// the given minutes of the endpoint's time: a cancelled task may take time to end, so it is
// never read once. Against a virtual clock the clock is advanced instead of sleeping.
func (w *world) endsWithin(ctx context.Context, minutes int) error {
	if err := w.needTask(); err != nil {
		return err
	}
	const step = 10 * time.Second
	limit := time.Duration(minutes) * time.Minute
	return w.pollTask(ctx, poll{step: step, advances: int(limit / step), interval: min(w.cfg.pollInterval(), 5*time.Second),
		deadline: time.Now().Add(limit)},
		func(_ *acs.Body, got string) (bool, error) { return terminal[got], nil },
		func(got string, _ int, _ bool) error {
			return w.failf("task status = %q after %s, want an ended state (Finished, Failed or Deleted)", got, limit)
		})
}

// listedAsEither accepts two states: right after submission a task may still be Waiting
// (queued behind other tasks, as the DescribeTasks document defines it) or already Processing.
func (w *world) listedAsEither(ctx context.Context, a, b string) error {
	return w.listedAsOneOf(ctx, a, b)
}

func (w *world) listedAsOneOf(ctx context.Context, states ...string) error {
	if err := w.listTasks(ctx); err != nil {
		return err
	}
	b, err := w.success()
	if err != nil {
		return err
	}
	set, ok := b.Fields["TaskSet"].(map[string]any)
	if !ok {
		if b.Fields["TaskSet"] == nil && b.Format == acs.XML {
			set = map[string]any{}
		} else {
			return w.failf("TaskSet is a %T, want an object {\"Task\": [...]} (the SDK rejects an array)", b.Fields["TaskSet"])
		}
	}
	for _, t := range acs.AsList(set["Task"]) {
		m, _ := t.(map[string]any)
		if str(m["TaskId"]) != w.task.id {
			continue
		}
		got := str(m["TaskStatus"])
		ok := false
		for _, st := range states {
			ok = ok || got == st
		}
		if !ok {
			return w.failf("listed task status = %q, want %q", got, strings.Join(states, `" or "`))
		}
		if got := str(m["TaskAction"]); got != "ExportImage" {
			return w.failf("listed TaskAction = %q, want \"ExportImage\"", got)
		}
		return nil
	}
	return w.failf("DescribeTasks does not list task %q", w.task.id)
}

func (w *world) failedWithCode(ctx context.Context) error {
	b, err := w.taskAttr(ctx)
	if err != nil {
		return err
	}
	if got := str(b.Fields["TaskStatus"]); got != "Failed" {
		return w.failf("task status = %q, want \"Failed\"", got)
	}
	for _, op := range operations(b) {
		if str(op["ErrorCode"]) != "" {
			return nil
		}
	}
	return w.failf("no OperationProgress of the failed task carries an ErrorCode")
}

func operations(b *acs.Body) []map[string]any {
	set, _ := b.Fields["OperationProgressSet"].(map[string]any)
	var out []map[string]any
	for _, op := range acs.AsList(set["OperationProgress"]) {
		if m, ok := op.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
