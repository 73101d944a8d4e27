package steps

import (
	"context"
	"net/url"
	"strconv"

	"github.com/exportimage/eic/internal/acs"
)

// Live-run bookkeeping: every task and object the run creates is listed in the report, and a
// task the suite did not mean to create is cancelled at once.

// recordTask lists a task the scenario's last ExportImage created; for any purpose but
// "export" it cancels the task at once.
func (w *world) recordTask(ctx context.Context, id, purpose string) {
	if w.cfg.results == nil || id == "" {
		return
	}
	t := CreatedTask{TaskID: id, Region: w.params.Get("RegionId"), Image: w.params.Get("ImageId"),
		Bucket: w.params.Get("OSSBucket"), Location: w.location, Purpose: purpose}
	if purpose != "export" {
		last := w.last
		err := w.send(ctx, "CancelTask", url.Values{"RegionId": {t.Region}, "TaskId": {id}})
		if err == nil && w.last != nil && w.last.status == 200 {
			t.Cancelled = true
		} else if err != nil {
			t.CancelError = firstLine(err.Error())
		} else {
			t.CancelError = "CancelTask answered HTTP " + strconv.Itoa(w.last.status)
		}
		w.last = last
	}
	w.cfg.results.addTask(t)
}

// acceptedTask returns the TaskId when the last response is an accepted ExportImage.
func (w *world) acceptedTask() string {
	if w.last == nil || w.last.err != nil || w.last.status != 200 || w.last.action != "ExportImage" {
		return ""
	}
	b, err := acs.DecodeBody(w.last.header.Get("Content-Type"), w.last.body)
	if err != nil {
		return ""
	}
	return str(b.Fields["TaskId"])
}

// recordObjects lists the objects a task of the run names (once each).
// The exporting account's credentials are kept to delete them after the scenario.
func (w *world) recordObjects(keys []string) {
	if w.task == nil {
		return
	}
	if w.objectsSeen == nil {
		w.objectsSeen = map[string]bool{}
	}
	for _, k := range keys {
		if w.objectsSeen[k] {
			continue
		}
		w.objectsSeen[k] = true
		w.owned = append(w.owned, objectOwner{bucket: w.task.bucket, key: k, region: w.task.region, account: w.account})
		if w.cfg.results != nil {
			w.cfg.results.addObject(CreatedObject{Bucket: w.task.bucket, Key: k, TaskID: w.task.id, Location: w.location})
		}
	}
}
