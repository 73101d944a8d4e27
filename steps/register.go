package steps

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// Register adds the step library to one scenario, with a fresh world.
//
// Step catalogue (every phrase; "X" is a quoted parameter, {kind:name} placeholders in
// values are resolved from the fixtures file — {image:custom}, {imageregion:custom},
// {bucket:home}, {region:home}, {task:name} — and {task} is the scenario's own task):
//
// Who calls and how:
//
//	I am account "NAME"                              credentials of a fixtures account (default "main")
//	I sign requests with "v1" | "v3"                 signature version of the next requests
//	I ask for "JSON" | "XML" responses               sets the Format parameter
//	I use STS credentials of account "NAME" valid for "DURATION"   (control API)
//	the security token comes from another STS session              (control API)
//	the security token is "TOKEN"
//
// The request being built (ExportImage unless said otherwise):
//
//	an export request for image "IMAGE" to bucket "BUCKET"   RegionId (the image's), ImageId, OSSBucket, OSSPrefix=EcsExport
//	the parameter "NAME" is "VALUE"
//	the parameter "NAME" is "VALUE" repeated N times
//	the parameter "NAME" is absent
//	the parameter "NAME" is empty
//
// One-shot changes to the next request:
//
//	the signature is computed with a wrong secret
//	the access key is unknown
//	the request carries no signature
//	the request time is N minutes in the "past" | "future"
//	the request time is malformed
//	the common parameter "NAME" is left out
//	the API version is "VERSION"
//	the HTTP method is "METHOD"
//
// Reference control API (scenarios tagged @reference; skipped without it):
//
//	the export quota of account "NAME" in region "REGION" is N concurrent and M weekly
//	the next export of account "NAME" fails at N percent
//	the next request is throttled                    Throttling.User (ACS-E13)
//	the next request fails with "KIND"               an injected fault for anyone: "throttle" (ACS-E13),
//	                                                 "internal-error" (ACS-E15, 500), "unavailable" (ACS-E16, 503)
//	the next N request(s) of account "NAME" fail with "KIND"   the same for that account only, N times
//	N seconds|minutes|hours|days pass
//
// Actions:
//
//	I export the image                               ExportImage with the request built so far
//	I call "ACTION"                                  any action with the request built so far
//	I call "ACTION" with:                            any action, parameters from a name | value table
//	I replay the last request                        the same bytes again (same nonce, same signature)
//	I describe the task | I cancel the task | I list the tasks
//	I count the export tasks                         remembers DescribeTasks' TotalCount for the region
//	I wait for the task to be "STATUS"               polls (virtual clock against the reference)
//
// Outcomes:
//
//	the export is accepted                           200, RequestId and TaskId (not ExportTaskId); remembers the task
//	the request succeeds                             200
//	the request passes validation                    DryRunOperation (ACS-E14)
//	the request is refused with STATUS CODE (ROW-ID) [or STATUS CODE (ROW-ID)]...
//	                                                 e.g. 400 InvalidOSSBucket.NotFound (EI-E16); the pair is
//	                                                 checked against the table in spec/ (a typo fails). Status
//	                                                 and code decide (the row's or a known variant's); another
//	                                                 message is message drift (reported; fails with --strict)
//	the request is refused with error "ROW-ID"       the same verdict for one row named by ID (older phrase)
//	the request is refused with code "CODE"          code only
//	the response is "JSON" | "XML"                   content type and body format
//	the response field "NAME" is "VALUE" | the response field "NAME" is present
//	the response has no field "NAME"
//	the error envelope is complete                   RequestId, HostId, Code, Message, Recommend
//	the number of export tasks is unchanged
//	the task is "STATUS" | the task is listed as "STATUS" | the task has ended
//	the task is "STATUS" or "STATUS"                either state
//	the task is listed as "STATUS" or "STATUS"      either state (Waiting or Processing after submission)
//	the task ends within N minutes                   polls until Finished, Failed or Deleted (bounded)
//	every object the task names starts with its OSSPrefix
//	the task failed with an error code
//	the task reports the objects:                    one-column table of OSSObject names
//	the bucket holds the objects of the task | the bucket holds N objects of the task
//	each exported object is a valid "FORMAT" image of its source disk   header, size and SHA-256 round trip
//	each exported object is a "FORMAT" image         header and structure only (huge virtual disks)
//
// Every response is validated against the spec (see exchange.validate). A failing step
// reports the scenario's file:line and the last HTTP exchange.
func Register(sc *godog.ScenarioContext, cfg *Config) {
	cfg.prepare()
	w := &world{cfg: cfg, signature: cfg.Signature, status: "passed", stepStatus: map[string]string{}}
	g := w.guard

	sc.Step(`^I am account "([^"]*)"$`, g(w.iAmAccount))
	sc.Step(`^I sign requests with "(v1|v3)"$`, g(w.iSignWith))
	sc.Step(`^I ask for "(JSON|XML)" responses$`, g(w.iAskFor))
	sc.Step(`^I use STS credentials of account "([^"]*)" valid for "([^"]*)"$`, g(w.stsCredentials))
	sc.Step(`^the security token comes from another STS session$`, g(w.tokenFromAnotherSession))
	sc.Step(`^the security token is "([^"]*)"$`, g(w.securityToken))

	sc.Step(`^an export request for image "([^"]*)" to bucket "([^"]*)"$`, g(w.anExportRequest))
	sc.Step(`^the parameter "([^"]*)" is "([^"]*)"$`, g(w.setParam))
	sc.Step(`^the parameter "([^"]*)" is "([^"]*)" repeated (\d+) times$`, g(w.setParamRepeated))
	sc.Step(`^the parameter "([^"]*)" is absent$`, g(w.paramAbsent))
	sc.Step(`^the parameter "([^"]*)" is empty$`, g(w.paramEmpty))

	sc.Step(`^the signature is computed with a wrong secret$`, g(w.wrongSecret))
	sc.Step(`^the access key is unknown$`, g(w.unknownKey))
	sc.Step(`^the request carries no signature$`, g(w.noSignature))
	sc.Step(`^the request time is (\d+) minutes in the "(past|future)"$`, g(w.timeShift))
	sc.Step(`^the request time is malformed$`, g(w.malformedTime))
	sc.Step(`^the common parameter "([^"]*)" is left out$`, g(w.dropParam))
	sc.Step(`^the API version is "([^"]*)"$`, g(w.apiVersion))
	sc.Step(`^the HTTP method is "([^"]*)"$`, g(w.httpMethod))

	sc.Step(`^the export quota of account "([^"]*)" in region "([^"]*)" is (\d+) concurrent and (\d+) weekly$`, g(w.quota))
	sc.Step(`^the next export of account "([^"]*)" fails at (\d+) percent$`, g(w.exportFault))
	sc.Step(`^the next request is throttled$`, g(w.throttled))
	sc.Step(`^the next request fails with "(throttle|internal-error|unavailable)"$`, g(w.nextRequestFails))
	sc.Step(`^the next (\d+) requests? of account "([^"]*)" fails? with "(throttle|internal-error|unavailable)"$`, g(w.nextRequestsOfFail))
	sc.Step(`^(\d+) (seconds?|minutes?|hours?|days?) pass(?:es)?$`, g(w.timePasses))

	sc.Step(`^I export the image$`, g(w.iExport))
	sc.Step(`^I call "([^"]*)"$`, g(w.iCall))
	sc.Step(`^I call "([^"]*)" with:$`, g(w.iCallWith))
	sc.Step(`^I replay the last request$`, g(w.iReplay))
	sc.Step(`^I describe the task$`, g(w.describeTask))
	sc.Step(`^I cancel the task$`, g(w.cancelTask))
	sc.Step(`^I list the tasks$`, g(w.listTasks))
	sc.Step(`^I count the export tasks$`, g(w.countTasks))
	sc.Step(`^I wait for the task to be "([^"]*)"$`, g(w.waitFor))

	sc.Step(`^the export is accepted$`, g(w.exportAccepted))
	sc.Step(`^the request succeeds$`, g(w.succeeds))
	sc.Step(`^the request passes validation$`, g(w.passesValidation))
	sc.Step(`^the request is refused with `+refusalPhrase+`$`, g(w.refusedWithPair))
	sc.Step(`^the request is refused with error "([^"]*)"$`, g(w.refusedWith))
	sc.Step(`^the request is refused with code "([^"]*)"$`, g(w.refusedWithCode))
	sc.Step(`^the response is "(JSON|XML)"$`, g(w.responseIs))
	sc.Step(`^the response field "([^"]*)" is "([^"]*)"$`, g(w.fieldIs))
	sc.Step(`^the response field "([^"]*)" is present$`, g(w.fieldPresent))
	sc.Step(`^the response has no field "([^"]*)"$`, g(w.fieldAbsent))
	sc.Step(`^the error envelope is complete$`, g(w.envelopeComplete))
	sc.Step(`^the number of export tasks is unchanged$`, g(w.tasksUnchanged))
	sc.Step(`^the task is "([^"]*)"$`, g(w.taskIs))
	sc.Step(`^the task is "([^"]*)" or "([^"]*)"$`, g(w.taskIsEither))
	sc.Step(`^the task is listed as "([^"]*)"$`, g(w.listedAs))
	sc.Step(`^the task is listed as "([^"]*)" or "([^"]*)"$`, g(w.listedAsEither))
	sc.Step(`^the task ends within (\d+) minutes?$`, g(w.endsWithin))
	sc.Step(`^every object the task names starts with its OSSPrefix$`, g(w.objectsStartWithPrefix))
	sc.Step(`^the task has ended$`, g(w.taskEnded))
	sc.Step(`^the task failed with an error code$`, g(w.failedWithCode))
	sc.Step(`^the task reports the objects:$`, g(w.reportsObjects))
	sc.Step(`^the bucket holds the objects of the task$`, g(w.bucketHolds))
	sc.Step(`^the bucket holds (\d+) objects of the task$`, g(w.bucketHoldsN))
	sc.Step(`^each exported object is a "([^"]*)" image$`, g(w.objectsOfFormat))
	sc.Step(`^each exported object is a valid "([^"]*)" image of its source disk$`, g(w.objectsValid))

	sc.Before(w.before)
	sc.StepContext().After(w.afterStep)
	sc.After(w.after)
}

// guard wraps a step so that it does nothing once the scenario is skipped. (A skip decided in
// a Before hook would be reported by godog as a failed step, so hooks only record it.)
func (w *world) guard(fn any) any {
	v := reflect.ValueOf(fn)
	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		if w.skip != nil {
			return []reflect.Value{reflect.ValueOf(&w.skip).Elem()}
		}
		return v.Call(args)
	}).Interface()
}

// reasonInterrupted is the skip reason of the scenarios a cancelled run did not start.
const reasonInterrupted = "not run: the run was interrupted"

func (w *world) before(ctx context.Context, sc *godog.Scenario) (context.Context, error) {
	w.pickle = sc
	w.started = time.Now()
	w.tags = map[string]bool{}
	for _, t := range sc.Tags {
		w.tags[t.Name] = true
	}
	w.location = w.cfg.locationOf(sc)
	if ctx.Err() != nil {
		_ = w.skipf("%s", reasonInterrupted)
		return ctx, nil
	}
	if a, err := w.cfg.Fixtures.account("main"); err == nil {
		w.account = a
	} else {
		_ = w.skipf("%v (set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET)", err)
	}
	if w.cfg.Control != nil {
		if err := w.cfg.Control.Reset(ctx); err != nil {
			return ctx, err
		}
	} else if w.tags["@reference"] {
		_ = w.skipf("needs the reference control API (clock, quotas, faults): the endpoint has none")
	}
	return ctx, nil
}

func (w *world) afterStep(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
	w.stepStatus[st.Id] = status.String()
	switch status {
	case godog.StepFailed:
		if w.status != "failed" {
			w.status, w.failErr = "failed", err
		}
	case godog.StepUndefined, godog.StepPending, godog.StepAmbiguous:
		if w.status != "failed" {
			w.status = "undefined"
			w.failErr = errors.New("step " + status.String() + ": " + st.Text)
		}
	case godog.StepSkipped:
		if w.status == "passed" {
			w.status = "skipped"
		}
	}
	return ctx, nil
}

func (w *world) after(ctx context.Context, sc *godog.Scenario, err error) (context.Context, error) {
	// Cleanup outlives an interrupt: the objects a scenario created are deleted even when the
	// run's context is cancelled, within a bounded time.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	w.deleteObjects(cleanup)
	cancel()
	if w.cfg.results == nil {
		return ctx, nil
	}
	r := ScenarioResult{Name: sc.Name, Location: w.location, Status: w.status,
		Seconds: time.Since(w.started).Round(time.Millisecond).Seconds()}
	r.ID, r.Steps = w.cfg.describe(sc, w.stepStatus)
	for _, t := range sc.Tags {
		r.Tags = append(r.Tags, t.Name)
	}
	if w.status == "failed" || w.status == "undefined" {
		if w.failErr != nil {
			r.Error = w.failErr.Error()
		} else if err != nil {
			r.Error = err.Error()
		}
	}
	if w.status == "skipped" && w.skip != nil {
		r.Reason = strings.TrimPrefix(w.skip.Error(), godog.ErrSkip.Error()+": ")
	}
	w.cfg.results.add(r)
	return ctx, nil
}
