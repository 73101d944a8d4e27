package reference

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/exportimage/eic/reference/api"
	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/spec"
)

// mutants are deliberately broken variants of the reference. Each breaks one documented
// behaviour and nothing else, so a suite that misses it has a blind spot there.
var mutants = map[string]mutant{
	"export-task-id": {"ExportImage answers ExportTaskId instead of TaskId (the document's samples)",
		func(w *wrappers) {
			w.editResults(func(action string, body map[string]any) {
				if action == "ExportImage" {
					body["ExportTaskId"] = body["TaskId"]
					delete(body, "TaskId")
				}
			})
		}},
	"taskset-array": {"DescribeTasks renders TaskSet as an array (the old document's sample)",
		func(w *wrappers) {
			w.editResults(func(action string, body map[string]any) {
				if set, ok := body["TaskSet"].(map[string]any); ok && action == "DescribeTasks" {
					list := set["Task"]
					if list == nil {
						list = []any{}
					}
					body["TaskSet"] = list
				}
			})
		}},
	"accept-bad-signature": {"signatures are parsed but never verified",
		func(w *wrappers) { w.wrapHandler(resign(w.creds)) }},
	"image-exporting-status": {"ImageIsExporting is answered with HTTP 400 instead of 403",
		func(w *wrappers) { w.wrapHandler(errorStatus(spec.ImageIsExporting, 400)) }},
	"unchecked-oss-prefix": {"a malformed OSSPrefix is accepted (and dropped)",
		func(w *wrappers) {
			w.editParams(func(action string, p url.Values) {
				if v, ok := p["OSSPrefix"]; ok && action == "ExportImage" && !ecs.ValidOSSPrefix(v[0]) {
					delete(p, "OSSPrefix")
				}
			})
		}},
	"prefix-31": {"an OSSPrefix of 31 letters or digits is accepted (cut to 30)",
		func(w *wrappers) {
			w.editParams(func(action string, p url.Values) {
				if v, ok := p["OSSPrefix"]; ok && action == "ExportImage" && len(v[0]) == 31 && ecs.ValidOSSPrefix(v[0][:30]) && ecs.ValidOSSPrefix(v[0][30:]) {
					p.Set("OSSPrefix", v[0][:30])
				}
			})
		}},
	"format-case-insensitive": {"ImageFormat is compared without case (RAW accepted)",
		func(w *wrappers) {
			w.editParams(func(action string, p url.Values) {
				if v, ok := p["ImageFormat"]; ok && action == "ExportImage" {
					p.Set("ImageFormat", strings.ToLower(v[0]))
				}
			})
		}},
	"no-quota": {"the concurrent and weekly quotas are never enforced",
		func(w *wrappers) {
			w.wrapAction("ExportImage", func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
				// An unknown or missing region fails here; ExportImage itself reports it.
				_ = w.svc.SetQuota(c.Account.Name, c.Params.Get("RegionId"), 1<<30, 1<<30)
				return next(ctx, c)
			})
		}},
	"quota-off-by-one": {"one export more than the concurrent quota is accepted",
		func(w *wrappers) {
			svc := w.svc
			w.wrapAction("ExportImage", func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
				res, err := next(ctx, c)
				var se *spec.Error
				if !errors.As(err, &se) || se.Code != spec.ConcurrentQuotaExceed {
					return res, err
				}
				region := c.Params.Get("RegionId")
				q := svc.Quota(c.Account.Name, region)
				if svc.InFlight(c.Account.Name, region) != q.Concurrent {
					return res, err // already over by one: refuse as usual
				}
				if svc.SetQuota(c.Account.Name, region, q.Concurrent+1, q.Weekly) != nil {
					return res, err
				}
				defer svc.SetQuota(c.Account.Name, region, q.Concurrent, q.Weekly)
				return next(ctx, c)
			})
		}},
	"finished-without-object": {"a task reaches Finished but its objects vanish from the bucket",
		func(w *wrappers) {
			w.wrapAction("DescribeTaskAttribute", func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
				res, err := next(ctx, c)
				if a, ok := res.(ecs.TaskAttribute); ok && err == nil && a.TaskStatus == "Finished" {
					// Behind the domain's back; the objects may already be gone.
					if bucket, keys, err := w.svc.TaskObjects(c.Account.Name, a.TaskId); err == nil {
						for _, k := range keys {
							_ = w.svc.Store().Delete(ctx, bucket, k)
						}
					}
				}
				return res, err
			})
		}},
}

// Mutants lists the names WithMutant accepts, sorted.
func Mutants() []string { return names(mutants) }

// MutantDescription says what a mutant breaks ("" for an unknown name).
func MutantDescription(name string) string { return mutants[name].what }

// WithMutant builds a deliberately broken variant (see Mutants). Several may be combined.
func WithMutant(name string) Option {
	return func(c *config) error {
		m, err := choose("mutant", mutants, name)
		if err != nil {
			return err
		}
		c.mutants = append(c.mutants, m)
		return nil
	}
}
