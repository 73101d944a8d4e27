package fuzz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/exportimage/eic/internal/control"
	"github.com/exportimage/eic/spec"
)

// Session checks requests against one endpoint and keeps the model's State in step with it.
type Session struct {
	World     *World
	Spec      *spec.Spec
	Endpoint  string            // scheme://host[:port] the requests are addressed to
	Transport http.RoundTripper // HandlerTransport in process, an http.Transport otherwise
	// Control is the reference's control API; nil for an endpoint without one. Without it,
	// every ExportImage is sent as a dry run (DryRun absent or false becomes true), so
	// fuzzing a real account never exports anything.
	Control *control.Client
	// Keys overrides the World's access keys by account name (credentials from the
	// environment for the main account, for instance).
	Keys map[string]Key
	// Timeout bounds each request; an endpoint slower than this has hung.
	Timeout time.Duration
	// Signature is "v3" (default) or "v1".
	Signature string
	// StrictParams: the endpoint is known to refuse parameters an action does not define
	// (InvalidParameter). Otherwise ignoring them is accepted too (Outcome.Lenient).
	StrictParams bool
	// AutoReset: with Control, reset the reference as soon as a request may have changed it
	// (an accepted export or cancel, or any divergence), so every request meets the fixtures.
	AutoReset bool
	State     *State
	fl        floors // quota floors of the gopter commands run
}

// Divergence is how an answer differs from what the model and the spec allow.
type Divergence struct {
	// Kind: "mismatch" (not the expected outcome), "5xx", "spec" (answer invalid per the
	// OpenAPI document), "transport" (no answer, or a hang past the timeout), "invariant"
	// (a stateful invariant broke).
	Kind   string
	Detail string
}

func (d *Divergence) Error() string { return d.Kind + ": " + d.Detail }

// Result is one checked request.
type Result struct {
	Request    Request // as sent (after the dry-run rule)
	Expected   Outcome
	Exchange   *Exchange
	Got        string // "200" or "<status> <Code>"
	Code       string // error code, "" on success
	Message    string // error message, "" on success
	Fields     map[string]any
	Divergence *Divergence
}

// Start reads the clock (with Control) and begins with a fresh State.
func (s *Session) Start(ctx context.Context) error {
	now := time.Time{}
	if s.Control != nil {
		if err := s.Control.Reset(ctx); err != nil {
			return err
		}
		t, err := s.Control.Now(ctx)
		if err != nil {
			return err
		}
		now = t
	}
	s.State, s.fl = NewState(now), nil
	return nil
}

// ResetState resets the reference (with Control) and the model.
func (s *Session) ResetState(ctx context.Context) error {
	if s.Control != nil {
		if err := s.Control.Reset(ctx); err != nil {
			return err
		}
	}
	now := time.Time{}
	if s.State != nil {
		now = s.State.Now
	}
	s.State = NewState(now)
	return nil
}

func (s *Session) key(account string) Key {
	if k, ok := s.Keys[account]; ok {
		return k
	}
	switch account {
	case UnknownKey:
		return Key{ID: "LTAI5tEicNoSuchKey9999", Secret: "EicNoSuchSecret"}
	case DisabledKey:
		for _, id := range sortedKeys(s.World.Keys) {
			if k := s.World.Keys[id]; k.Disabled {
				return k
			}
		}
	}
	k, _ := s.World.KeyOf(account)
	return k
}

// Prepare applies the session's rules to a request before it is sent (the dry-run rule).
func (s *Session) Prepare(req Request) Request {
	if s.Control == nil && req.Action == "ExportImage" {
		if v, ok := req.Get("DryRun"); !ok || v == "false" {
			req = req.With("DryRun", "true")
		}
	}
	return req
}

// Check sends one request, judges the answer and updates the State.
func (s *Session) Check(ctx context.Context, req Request) (_ *Result, setupErr error) {
	if s.State == nil {
		s.State = NewState(time.Time{})
	}
	req = s.Prepare(req)
	if req.Setup != "" {
		var err error
		if req, err = s.setup(ctx, req); err != nil {
			return nil, err
		}
		if s.AutoReset && s.Control != nil {
			defer func() {
				if err := s.ResetState(ctx); err != nil && setupErr == nil {
					setupErr = err
				}
			}()
		}
	}
	res := &Result{Request: req, Expected: ExpectSigned(s.World, s.State, req, req.scheme(s.Signature), s.StrictParams)}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := s.signedRequest(rctx, req, s.key(req.Account))
	if err != nil {
		return nil, err
	}
	res.Exchange = do(s.Transport, r)
	res.Divergence = s.judge(ctx, res)
	s.observe(res)
	if s.AutoReset && s.Control != nil && (res.Code == "" || res.Divergence != nil) &&
		(req.Action == "ExportImage" || req.Action == "CancelTask" || res.Divergence != nil) {
		if err := s.ResetState(ctx); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (s *Session) judge(ctx context.Context, res *Result) *Divergence {
	x, exp := res.Exchange, res.Expected
	if x.Err != nil {
		if errors.Is(x.Err, context.DeadlineExceeded) {
			return &Divergence{"transport", fmt.Sprintf("no answer within %v (hang)", s.Timeout)}
		}
		return &Divergence{"transport", x.Err.Error()}
	}
	// One decoding of the answer serves the spec's checks and the comparison.
	resp := s.Spec.CheckResponse(res.Request.Action, x.Status, x.Header, x.Body)
	res.Got = strconv.Itoa(x.Status)
	if x.Status != http.StatusOK {
		if resp.Code != "" {
			res.Code, res.Message = resp.Code, resp.Message
			res.Got += " " + resp.Code
		}
	} else {
		res.Fields = resp.Fields
	}
	if x.Status >= 500 {
		return &Divergence{"5xx", fmt.Sprintf("answered %s; want %s", res.Got, exp)}
	}
	// An answer that is not the model's is a mismatch, titled by the rule the model
	// expected, even when the spec's checks fail too (a code with another status, say);
	// an answer the model allows must still pass every check of the spec but message
	// drift, which the comparison has judged against the rows expected.
	if d := agrees(x, res, exp); d != nil && (exp.Lenient == nil || agrees(x, res, *exp.Lenient) != nil) {
		return d
	}
	if err := resp.Hard(); err != nil {
		return &Divergence{"spec", err.Error()}
	}
	return nil
}

// agrees compares an answer with one expected outcome (not its Lenient alternative).
func agrees(x *Exchange, res *Result, exp Outcome) *Divergence {
	if exp.Any {
		return nil
	}
	if exp.Success {
		if x.Status != http.StatusOK {
			return &Divergence{"mismatch", fmt.Sprintf("answered %s; want %s", res.Got, exp)}
		}
		if res.Request.Action == "ExportImage" && fmt.Sprint(res.Fields["TaskId"]) == "" {
			return &Divergence{"mismatch", "accepted without a TaskId"}
		}
		return nil
	}
	if x.Status == http.StatusOK {
		return &Divergence{"mismatch", fmt.Sprintf("answered 200 (accepted); want %s", exp)}
	}
	if res.Code == "" {
		return &Divergence{"mismatch", fmt.Sprintf("answered %d with an error body without a Code", x.Status)}
	}
	for _, row := range exp.Rows {
		if row.Wire == res.Code && row.Status() == x.Status && row.Matches(res.Message) {
			return nil
		}
	}
	return &Divergence{"mismatch", fmt.Sprintf("answered %s %q; want %s", res.Got, res.Message, exp)}
}

// observe updates the State from what the endpoint did (not from what the model expected:
// after a divergence the model follows the endpoint, so one bug is reported once).
func (s *Session) observe(res *Result) {
	if res.Exchange.Status != http.StatusOK {
		return
	}
	req := res.Request
	switch req.Action {
	case "ExportImage":
		id := fmt.Sprint(res.Fields["TaskId"])
		if id == "" || id == "<nil>" {
			return
		}
		acct := req.Account
		if k, ok := s.World.Keys[s.key(acct).ID]; ok {
			acct = k.Account
		}
		region, _ := req.Get("RegionId")
		image, _ := req.Get("ImageId")
		bucket, _ := req.Get("OSSBucket")
		prefix, _ := req.Get("OSSPrefix")
		format, ok := req.Get("ImageFormat")
		if !ok {
			format = "raw"
		}
		s.State.Tasks = append(s.State.Tasks, &Task{ID: id, Account: acct, Region: region, Image: image,
			Bucket: bucket, Prefix: prefix, Format: format, Created: s.State.Now, Status: "Waiting"})
	case "CancelTask":
		id, _ := req.Get("TaskId")
		if t := s.State.Task(id); t != nil && t.InFlight() {
			t.Status, t.Ended = "Deleted", s.State.Now
		}
	}
}
