package steps

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// When steps: the calls a scenario makes.

func (w *world) iExport(ctx context.Context) error {
	return w.send(ctx, "ExportImage", w.params)
}

func (w *world) iCall(ctx context.Context, action string) error {
	if w.params == nil {
		w.params = url.Values{}
	}
	return w.send(ctx, action, w.params)
}

func (w *world) iCallWith(ctx context.Context, action string, table *godog.Table) error {
	params := url.Values{}
	for _, row := range table.Rows {
		if len(row.Cells) != 2 {
			return w.failf("the table of %q needs two columns: name | value", action)
		}
		v, err := w.cfg.Fixtures.expand(row.Cells[1].Value, w.vars())
		if err != nil {
			return w.check(err)
		}
		params.Add(row.Cells[0].Value, v)
	}
	w.params = params
	return w.send(ctx, action, params)
}

func (w *world) iReplay(ctx context.Context) error {
	if w.last == nil || w.last.req == nil {
		return w.failf("no request to replay")
	}
	req := w.last.req.Clone(ctx)
	req.Body = http.NoBody
	return w.exchange(ctx, w.last.action, req, w.last.reqBody)
}

func (w *world) describeTask(ctx context.Context) error {
	if err := w.needTask(); err != nil {
		return err
	}
	return w.send(ctx, "DescribeTaskAttribute", url.Values{"RegionId": {w.task.region}, "TaskId": {w.task.id}})
}

func (w *world) cancelTask(ctx context.Context) error {
	if err := w.needTask(); err != nil {
		return err
	}
	return w.send(ctx, "CancelTask", url.Values{"RegionId": {w.task.region}, "TaskId": {w.task.id}})
}

func (w *world) listTasks(ctx context.Context) error {
	if err := w.needTask(); err != nil {
		return err
	}
	return w.send(ctx, "DescribeTasks", url.Values{"RegionId": {w.task.region}, "TaskIds": {w.task.id}, "TaskAction": {"ExportImage"}})
}

func (w *world) timePasses(ctx context.Context, n int, unit string) error {
	if err := w.needControl("moving the clock"); err != nil {
		return err
	}
	if !w.cfg.virtualClock(ctx) {
		return w.skipf("moving the clock needs a reference with a virtual clock (eic serve --clock virtual, or the embedded one)")
	}
	d := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(unit, "s")]
	if _, err := w.cfg.Control.Advance(ctx, time.Duration(n)*d); err != nil {
		return w.fail(err)
	}
	return nil
}

// countTasks records how many ExportImage tasks the region of the request lists.
func (w *world) countTasks(ctx context.Context) error {
	n, err := w.exportTaskCount(ctx)
	if err != nil {
		return err
	}
	w.taskCount = n
	return nil
}

func (w *world) exportTaskCount(ctx context.Context) (int, error) {
	region := w.params.Get("RegionId")
	if err := w.send(ctx, "DescribeTasks", url.Values{"RegionId": {region}, "TaskAction": {"ExportImage"}, "PageSize": {"100"}}); err != nil {
		return 0, err
	}
	b, err := w.success()
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(str(b.Fields["TotalCount"]))
	if err != nil {
		return 0, w.failf("TotalCount = %q, want a number", str(b.Fields["TotalCount"]))
	}
	return n, nil
}
