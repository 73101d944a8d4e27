package steps

import "sync"

// ScenarioResult is the outcome of one scenario (one row of an outline).
type ScenarioResult struct {
	// ID is the stable scenario ID (rule IDs and title, or an @id: tag; see scenarioID):
	// baselines match scenarios by it and the conformance page uses it as the anchor.
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// Location is file:line of the scenario or outline row; unique within a run, so JUnit
	// test names are built from it.
	Location string   `json:"location"`
	Tags     []string `json:"tags"`
	// Status is passed, failed, skipped or undefined (a step missing from the library).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Reason string `json:"reason,omitempty"` // why it was skipped
	// Seconds is the wall time the scenario took.
	Seconds float64 `json:"seconds"`
	// Steps are the scenario's steps with the status each ended with.
	Steps []StepResult `json:"steps,omitempty"`
}

func (r ScenarioResult) has(tag string) bool {
	for _, t := range r.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Assumption reports whether the scenario checks behaviour the document leaves open.
func (r ScenarioResult) Assumption() bool { return r.has("@assumption") }

// Results collects scenario outcomes, message drift and what the run created; safe for
// concurrent scenarios.
type Results struct {
	mu        sync.Mutex
	scenarios []ScenarioResult
	drift     []MessageDrift
	tasks     []CreatedTask
	objects   []CreatedObject
}

func (r *Results) add(s ScenarioResult)      { appendLocked(r, &r.scenarios, s) }
func (r *Results) addDrift(d MessageDrift)   { appendLocked(r, &r.drift, d) }
func (r *Results) addTask(t CreatedTask)     { appendLocked(r, &r.tasks, t) }
func (r *Results) addObject(o CreatedObject) { appendLocked(r, &r.objects, o) }

// appendLocked appends v to the list s of r, under r's lock.
func appendLocked[T any](r *Results, s *[]T, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*s = append(*s, v)
}

// objectDeleted records the outcome of deleting an object the run created.
func (r *Results) objectDeleted(bucket, key string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.objects {
		if o := &r.objects[i]; o.Bucket == bucket && o.Key == key && !o.Deleted {
			o.Deleted, o.DeleteError = err == nil, ""
			if err != nil {
				o.DeleteError = firstLine(err.Error())
			}
		}
	}
}

// Scenarios returns the outcomes in the order they finished.
func (r *Results) Scenarios() []ScenarioResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ScenarioResult(nil), r.scenarios...)
}

// recorded returns copies of the message drift and of what the run created.
func (r *Results) recorded() ([]MessageDrift, Created) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]MessageDrift{}, r.drift...),
		Created{Tasks: append([]CreatedTask{}, r.tasks...), Objects: append([]CreatedObject{}, r.objects...)}
}
