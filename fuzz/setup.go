package fuzz

import (
	"context"
	"fmt"
)

// Setups put the endpoint in a state before a request, through its own API and the
// reference's control API, so that one stateless request reaches the rows that depend on
// state. Request.Setup names one; the requests a setup sends are observed by the model
// like any other (their answers are not judged), and the endpoint is reset after the
// request.
var Setups = []string{SetupExporting, SetupConcurrentFull, SetupWeeklyFull, SetupEndedTask}

const (
	SetupExporting      = "exporting"       // the request's image is already being exported by its account
	SetupConcurrentFull = "concurrent-full" // the account's concurrent quota in the request's region is 0
	SetupWeeklyFull     = "weekly-full"     // the account's weekly quota in the request's region is 0
	SetupEndedTask      = "ended-task"      // TaskId is an export of the account, cancelled already
)

// setup prepares the endpoint for req and returns req as it is then sent (SetupEndedTask
// fills in the task).
func (s *Session) setup(ctx context.Context, req Request) (Request, error) {
	if s.Control == nil {
		return req, errorf("setup %s needs the control API", req.Setup)
	}
	auto := s.AutoReset
	s.AutoReset = false
	defer func() { s.AutoReset = auto }()
	account := req.Account
	if k, ok := s.World.Keys[s.key(account).ID]; ok {
		account = k.Account
	}
	region, _ := req.Get("RegionId")
	switch req.Setup {
	case SetupExporting:
		image, _ := req.Get("ImageId")
		bucket, _ := req.Get("OSSBucket")
		_, err := s.setupCall(ctx, Request{Action: "ExportImage", Account: req.Account, Params: []Param{
			{"RegionId", region}, {"ImageId", image}, {"OSSBucket", bucket}, {"OSSPrefix", "eicsetup"}}})
		return req, err
	case SetupConcurrentFull, SetupWeeklyFull:
		q := s.State.Quota(s.World, account, region)
		if req.Setup == SetupConcurrentFull {
			q.Concurrent = 0
		} else {
			q.Weekly = 0
		}
		if _, ok := s.World.Regions[region]; !ok || s.World.Accounts[account] == nil {
			return req, nil // no such quota to set; the request meets an earlier refusal
		}
		if err := s.Control.SetQuota(ctx, account, region, q.Concurrent, q.Weekly); err != nil {
			return req, err
		}
		s.State.Quotas[account+"/"+region] = q
		return req, nil
	case SetupEndedTask:
		res, err := s.setupCall(ctx, Request{Action: "ExportImage", Account: MainAccount, Params: []Param{
			{"RegionId", "cn-hangzhou"}, {"ImageId", "m-eic-custom"}, {"OSSBucket", "eic-export"}, {"OSSPrefix", "eicsetup"}}})
		if err != nil || res.Exchange.Status != 200 {
			return req, err
		}
		id := fmt.Sprint(res.Fields["TaskId"])
		if _, err := s.setupCall(ctx, Request{Action: "CancelTask", Account: MainAccount, Params: []Param{
			{"RegionId", "cn-hangzhou"}, {"TaskId", id}}}); err != nil {
			return req, err
		}
		return req.With("RegionId", "cn-hangzhou").With("TaskId", id), nil
	}
	return req, errorf("unknown setup %q", req.Setup)
}

func (s *Session) setupCall(ctx context.Context, req Request) (*Result, error) {
	return s.Check(ctx, req)
}
