package ecs

import (
	"fmt"
	"time"

	"github.com/exportimage/eic/spec/errcode"
)

// Week is the rolling window of the weekly quota.
const Week = 7 * 24 * time.Hour

// quota is the limit for an account in a region: a SetQuota override, else the account's
// fixture quotas, else the fixtures' default, else 5 concurrent and 100 weekly.
func (s *Service) quota(sc scope) QuotaSpec {
	if q, ok := s.st.quotas[sc]; ok {
		return q
	}
	if a := s.st.accounts[sc.account]; a != nil && a.spec.Quotas != nil {
		return *a.spec.Quotas
	}
	if s.fx.Quotas != nil {
		return *s.fx.Quotas
	}
	return QuotaSpec{Concurrent: 5, Weekly: 100}
}

// inFlight counts the account's Waiting and Processing tasks in the region.
func (s *Service) inFlight(sc scope) int {
	if ix := s.st.indexes[sc]; ix != nil {
		return ix.inFlight
	}
	return 0
}

// weekly counts submissions in the last week, dropping older ones.
func (s *Service) weekly(sc scope, now time.Time) int {
	subs := s.st.submissions[sc]
	i := 0
	for i < len(subs) && !subs[i].After(now.Add(-Week)) {
		i++
	}
	subs = subs[i:]
	s.st.submissions[sc] = subs
	return len(subs)
}

// checkQuota is check 13 of ExportImage.
func (s *Service) checkQuota(sc scope, now time.Time) error {
	q := s.quota(sc)
	if n := s.inFlight(sc); n >= q.Concurrent {
		return errcode.ConcurrentQuotaExceed.Err(fmt.Sprintf("%d export tasks are in progress in %s; the limit is %d", n, sc.region, q.Concurrent))
	}
	if n := s.weekly(sc, now); n >= q.Weekly {
		return errcode.WeeklyQuotaExceed.Err(fmt.Sprintf("%d export tasks were submitted in %s in the last 7 days; the limit is %d", n, sc.region, q.Weekly))
	}
	return nil
}

// SetQuota overrides the limits of an account in a region until the next Reset.
func (s *Service) SetQuota(account, region string, concurrent, weekly int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.accounts[account]; !ok {
		return fmt.Errorf("ecs: unknown account %q", account)
	}
	if _, ok := s.st.regions[region]; !ok {
		return fmt.Errorf("ecs: unknown region %q", region)
	}
	if concurrent < 0 || weekly < 0 {
		return fmt.Errorf("ecs: quotas must not be negative (concurrent %d, weekly %d)", concurrent, weekly)
	}
	s.st.quotas[scope{account, region}] = QuotaSpec{Concurrent: concurrent, Weekly: weekly}
	return nil
}

// Fault kinds InjectFault accepts.
const (
	FaultFailExport = "fail-export" // the next export of Account fails at AtPercent
	FaultFailSubmit = "fail-submit" // the next ExportImage of Account answers ExportImageFailed
	FaultStoreFail  = "store-fail"  // the store fails the writes of the next export at AtPercent
	FaultRemoveRole = "remove-role" // the export role of Account is deleted when its next export reaches AtPercent
	// Request faults: the next Count requests of Account (of anyone if "") answer the error
	// instead of being served (TakeRequestFault). Injected faults are the only way the reference
	// answers these rows: bad input never produces a 5xx.
	FaultThrottle      = "throttle"       // Throttling.User (ACS-E13, 400)
	FaultInternalError = "internal-error" // InternalError (ACS-E15, 500)
	FaultUnavailable   = "unavailable"    // ServiceUnavailable (ACS-E16, 503)
)

// requestFaults maps each request fault kind to the error it answers.
var requestFaults = map[string]*errcode.Code{
	FaultThrottle:      errcode.Throttling,
	FaultInternalError: errcode.InternalError,
	FaultUnavailable:   errcode.ServiceUnavailable,
}

// Fault is an injected failure. Account "" matches every account. Count is how many times it
// fires (default 1). AtPercent (0–100) is where an export fault strikes, in progress of the
// task's data. Export faults attach to a task when it is created, in injection order, one
// per task.
type Fault struct {
	Kind      string `json:"kind"`
	Account   string `json:"account,omitempty"`
	AtPercent int    `json:"atPercent,omitempty"`
	Count     int    `json:"count,omitempty"`
}

// InjectFault queues a fault until it fires or the next Reset.
func (s *Service) InjectFault(f Fault) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !contains([]string{FaultFailExport, FaultFailSubmit, FaultStoreFail, FaultRemoveRole}, f.Kind) && requestFaults[f.Kind] == nil {
		return fmt.Errorf("ecs: unknown fault kind %q", f.Kind)
	}
	if f.Account != "" {
		if _, ok := s.st.accounts[f.Account]; !ok {
			return fmt.Errorf("ecs: unknown account %q", f.Account)
		}
	}
	if f.AtPercent < 0 || f.AtPercent > 100 {
		return fmt.Errorf("ecs: atPercent %d is not in 0..100", f.AtPercent)
	}
	if f.Count < 0 {
		return fmt.Errorf("ecs: count %d is negative", f.Count)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	s.st.faults = append(s.st.faults, f)
	return nil
}

// takeFault consumes one firing of the first queued fault of one of kinds matching account.
func (s *Service) takeFault(account string, kinds ...string) (Fault, bool) {
	for i := range s.st.faults {
		f := &s.st.faults[i]
		if (f.Account == "" || f.Account == account) && contains(kinds, f.Kind) {
			out := *f
			if f.Count--; f.Count == 0 {
				s.st.faults = append(s.st.faults[:i], s.st.faults[i+1:]...)
			}
			return out, true
		}
	}
	return Fault{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TakeRequestFault is what api.WithFaults calls once per authenticated request of
// account: it consumes one firing of the first queued request fault (throttle, internal-error,
// unavailable, in injection order) matching the account and returns the error the request
// must answer, or nil.
func (s *Service) TakeRequestFault(account string) *errcode.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.faults) == 0 {
		return nil
	}
	f, ok := s.takeFault(account, FaultThrottle, FaultInternalError, FaultUnavailable)
	if !ok {
		return nil
	}
	return requestFaults[f.Kind].Err()
}
