package ecs

import "github.com/exportimage/eic/spec/errcode"

// Quota returns the limits in force for an account in a region.
func (s *Service) Quota(account, region string) QuotaSpec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quota(scope{account, region})
}

// InFlight counts the account's Waiting and Processing exports in a region, as the concurrent
// quota counts them.
func (s *Service) InFlight(account, region string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	return s.inFlight(scope{account, region})
}

// TaskObjects names the bucket and object keys of an account's task (whether or not they
// exist yet).
func (s *Service) TaskObjects(account, taskID string) (bucket string, keys []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.tasks[taskID]
	if t == nil || t.sc.account != account {
		return "", nil, errcode.TaskNotFound.Err()
	}
	return t.bucket, t.objectKeys(), nil
}
