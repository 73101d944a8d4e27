package steps

import (
	"context"
	"net/url"
	"strings"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// Then steps on the last response: accepted, refused, its format, fields and envelope.
// The refusal verdict itself is in refusal.go, the task steps in tasks.go.

// refusedWith is the older phrase naming only the row ID; same verdict as refusedWithPair.
func (w *world) refusedWith(ctx context.Context, id string) error {
	row := spec.CodeByID(id)
	if row == nil {
		return w.failf("unknown error row %q (see eic spec --errors)", id)
	}
	return w.refusedAs(ctx, []*spec.Code{row})
}

func (w *world) refusedWithCode(ctx context.Context, code string) error {
	if id := w.acceptedTask(); id != "" {
		w.recordTask(ctx, id, "unintended")
		return w.failf("the export was accepted (task %s, cancelled at once), want a refusal with code %q", id, code)
	}
	env, err := w.errorEnvelope()
	if err != nil {
		return err
	}
	if env.Code != code {
		return w.failf("error code = %q, want %q", env.Code, code)
	}
	return nil
}

// passesValidation accepts DryRunOperation, or — the seed does not list DryRun, so an
// endpoint may ignore it — an accepted export, whose task is cancelled at once and listed in
// the report.
func (w *world) passesValidation(ctx context.Context) error {
	if id := w.acceptedTask(); id != "" {
		w.recordTask(ctx, id, "validation")
		return nil
	}
	return w.refusedWith(ctx, spec.DryRunOperation.ID)
}

func (w *world) succeeds() error {
	_, err := w.success()
	return err
}

// exportAccepted checks a 200 with RequestId and TaskId (not ExportTaskId) and remembers
// the task.
func (w *world) exportAccepted(ctx context.Context) error {
	b, err := w.success()
	if err != nil {
		return err
	}
	id := str(b.Fields["TaskId"])
	if id == "" {
		if _, ok := b.Fields["ExportTaskId"]; ok {
			return w.failf("response field = \"ExportTaskId\", want \"TaskId\" (EI-R18: the response table and every SDK name it TaskId)")
		}
		return w.failf("response lacks TaskId")
	}
	if str(b.Fields["RequestId"]) == "" {
		return w.failf("response lacks RequestId")
	}
	format := w.params.Get("ImageFormat")
	if format == "" {
		format = "raw"
	}
	w.task = &task{id: id, region: w.params.Get("RegionId"), image: w.params.Get("ImageId"),
		bucket: w.params.Get("OSSBucket"), prefix: w.params.Get("OSSPrefix"), format: format}
	w.recordTask(ctx, id, "export")
	return nil
}

func (w *world) responseIs(format string) error {
	x, err := w.response()
	if err != nil {
		return err
	}
	ct := x.header.Get("Content-Type")
	want := acs.Format(format).ContentType()
	if ct != want {
		return w.failf("content type = %q, want %q", ct, want)
	}
	b, err := w.body()
	if err != nil {
		return err
	}
	if b.Format != acs.Format(format) {
		return w.failf("body format = %q, want %q", b.Format, format)
	}
	return nil
}

func (w *world) fieldIs(name, value string) error {
	want, err := w.cfg.Fixtures.expand(value, w.vars())
	if err != nil {
		return w.check(err)
	}
	b, err := w.body()
	if err != nil {
		return err
	}
	if got := str(b.Fields[name]); got != want {
		return w.failf("response field %s = %q, want %q", name, got, want)
	}
	return nil
}

func (w *world) fieldPresent(name string) error {
	b, err := w.body()
	if err != nil {
		return err
	}
	if str(b.Fields[name]) == "" {
		return w.failf("response field %s = \"\", want a value", name)
	}
	return nil
}

func (w *world) fieldAbsent(name string) error {
	b, err := w.body()
	if err != nil {
		return err
	}
	if _, ok := b.Fields[name]; ok {
		return w.failf("response has the field %s, want none", name)
	}
	return nil
}

func (w *world) envelopeComplete() error {
	env, err := w.errorEnvelope()
	if err != nil {
		return err
	}
	for name, v := range map[string]string{"RequestId": env.RequestId, "HostId": env.HostId, "Code": env.Code, "Message": env.Message, "Recommend": env.Recommend} {
		if v == "" {
			return w.failf("error envelope field %s = \"\", want a value", name)
		}
	}
	if !strings.Contains(env.Recommend, url.QueryEscape(env.Code)) {
		return w.failf("Recommend = %q, want a link naming the code %q", env.Recommend, env.Code)
	}
	return nil
}

func (w *world) tasksUnchanged(ctx context.Context) error {
	n, err := w.exportTaskCount(ctx)
	if err != nil {
		return err
	}
	if n != w.taskCount {
		return w.failf("export tasks = %d, want %d (unchanged)", n, w.taskCount)
	}
	return nil
}
