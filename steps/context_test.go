package steps

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// Cancelling the run's context stops the HTTP call a step is waiting on: the steps send with
// the scenario context godog derives from RunOptions.Context, not context.Background().
func TestRun_CancelStopsHTTPCalls(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // an endpoint that never answers in time
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-arrived:
			cancel()
		case <-time.After(time.Minute):
		}
	}()
	fsys := fstest.MapFS{"hang/hang.feature": {Data: []byte(`Feature: hang
  Scenario: a call the endpoint never answers
    When I call "DescribeRegions"
    Then the request succeeds
`)}}
	cfg := &Config{Endpoint: srv.URL, Fixtures: &Fixtures{Accounts: map[string]Account{
		"main": {AccessKeyID: "LTAI5tEicTest", AccessKeySecret: "secret"}}}}

	start := time.Now()
	rep, err := Run(RunOptions{Config: cfg, Context: ctx, FS: fsys, Output: io.Discard, Format: "progress"})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("run took %s after the cancel, want the call stopped at once (the client timeout is 60 s)", took)
	}
	if len(rep.Scenarios) != 1 {
		t.Fatalf("scenarios = %d, want 1", len(rep.Scenarios))
	}
	if s := rep.Scenarios[0]; s.Status != "failed" || !strings.Contains(s.Error, context.Canceled.Error()) {
		t.Errorf("scenario status = %q, error = %q, want failed with %q", s.Status, s.Error, context.Canceled)
	}
}
