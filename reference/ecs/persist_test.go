package ecs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// memJournal is a Journal in memory that can be made to fail.
type memJournal struct {
	mu    sync.Mutex
	st    State
	saves int
	fail  error
}

func (j *memJournal) Load() (State, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st, nil
}

func (j *memJournal) Save(c Change) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	j.saves++
	if c.Wipe {
		j.st.Tasks, j.st.Quotas = nil, nil
	}
	if c.Quotas != nil {
		j.st.Quotas = c.Quotas
	}
	for _, r := range c.Tasks {
		replaced := false
		for i := range j.st.Tasks {
			if j.st.Tasks[i].ID == r.ID {
				j.st.Tasks[i], replaced = r, true
			}
		}
		if !replaced {
			j.st.Tasks = append(j.st.Tasks, r)
		}
	}
	if !c.Clock.IsZero() {
		j.st.Clock = c.Clock
	}
	return nil
}

func (j *memJournal) task(id string) (TaskRecord, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range j.st.Tasks {
		if r.ID == id {
			return r, true
		}
	}
	return TaskRecord{}, false
}

func TestService_JournalSavesBeforeAnswering(t *testing.T) {
	j := &memJournal{}
	s, clock := newTestService(t, smallFixtures, WithJournal(j))
	id := mustExport(t, s, "acme", "test-1", "m-tiny", "acme-bkt")
	if r, ok := j.task(id); !ok || r.Status != StatusWaiting {
		t.Fatalf("after ExportImage answered, the journal holds %+v (%v), want the Waiting task", r, ok)
	}
	s.Advance(12 * time.Second)
	saved, _ := j.Load()
	if r, _ := j.task(id); r.Status != StatusProcessing || r.Done == 0 || !saved.Clock.Equal(clock.Now()) {
		t.Errorf("after Advance: %+v, clock %v; want Processing with progress at %v", r, saved.Clock, clock.Now())
	}
	j.mu.Lock()
	idle := j.saves
	j.mu.Unlock()
	attr(t, s, "acme", "test-1", id) // a read changes nothing
	j.mu.Lock()
	if j.saves != idle {
		t.Errorf("a read saved %d times", j.saves-idle)
	}
	j.mu.Unlock()

	j.mu.Lock()
	j.fail = errors.New("disk full")
	j.mu.Unlock()
	s.Advance(time.Minute)
	if err := s.JournalErr(); err == nil {
		t.Error("JournalErr is nil after a failed save")
	}
	j.mu.Lock()
	j.fail = nil
	j.mu.Unlock()
	if _, err := s.DescribeTasks(context.Background(), "acme", DescribeTasksRequest{RegionID: "test-1"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := j.task(id); r.Status != StatusFinished || s.JournalErr() != nil {
		t.Errorf("after the journal recovered: %+v, err %v; want Finished saved", r, s.JournalErr())
	}

	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, ok := j.task(id); ok {
		t.Error("Reset left the task in the journal")
	}
}
