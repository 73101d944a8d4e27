package reference

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/exportimage/eic/reference/api"
	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/spec"
)

// mutant is a deliberately broken variant of the reference. Each breaks one documented
// behaviour and nothing else, so a suite that misses it has a blind spot there.
type mutant struct {
	what  string
	apply func(svc *ecs.Service, actions map[string]api.Action, hooks *api.Hooks)
}

var mutants = map[string]mutant{
	"export-task-id": {"ExportImage answers ExportTaskId instead of TaskId (the document's samples)",
		func(_ *ecs.Service, _ map[string]api.Action, h *api.Hooks) {
			chainRewrite(h, func(action string, body map[string]any) {
				if action == "ExportImage" {
					body["ExportTaskId"] = body["TaskId"]
					delete(body, "TaskId")
				}
			})
		}},
	"taskset-array": {"DescribeTasks renders TaskSet as an array (the old document's sample)",
		func(_ *ecs.Service, _ map[string]api.Action, h *api.Hooks) {
			chainRewrite(h, func(action string, body map[string]any) {
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
		func(_ *ecs.Service, _ map[string]api.Action, h *api.Hooks) { h.AcceptBadSignature = true }},
	"image-exporting-status": {"ImageIsExporting is answered with HTTP 400 instead of 403",
		func(_ *ecs.Service, _ map[string]api.Action, h *api.Hooks) {
			chainStatus(h, func(c *spec.Code, status int) int {
				if c == spec.ImageIsExporting {
					return 400
				}
				return status
			})
		}},
	"unchecked-oss-prefix": {"a malformed OSSPrefix is accepted (and dropped)",
		func(_ *ecs.Service, _ map[string]api.Action, h *api.Hooks) {
			chainParams(h, func(action string, p url.Values) {
				if v, ok := p["OSSPrefix"]; ok && action == "ExportImage" && !validPrefix.MatchString(v[0]) {
					delete(p, "OSSPrefix")
				}
			})
		}},
	"prefix-31": {"an OSSPrefix of 31 letters or digits is accepted (cut to 30)",
		func(_ *ecs.Service, _ map[string]api.Action, h *api.Hooks) {
			chainParams(h, func(action string, p url.Values) {
				if v, ok := p["OSSPrefix"]; ok && action == "ExportImage" && len(v[0]) == 31 && validPrefix.MatchString(v[0][:30]) && validPrefix.MatchString(v[0][30:]) {
					p.Set("OSSPrefix", v[0][:30])
				}
			})
		}},
	"format-case-insensitive": {"ImageFormat is compared without case (RAW accepted)",
		func(_ *ecs.Service, _ map[string]api.Action, h *api.Hooks) {
			chainParams(h, func(action string, p url.Values) {
				if v, ok := p["ImageFormat"]; ok && action == "ExportImage" {
					p.Set("ImageFormat", strings.ToLower(v[0]))
				}
			})
		}},
	"no-quota": {"the concurrent and weekly quotas are never enforced",
		func(svc *ecs.Service, actions map[string]api.Action, _ *api.Hooks) {
			wrapExport(actions, func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
				// An unknown or missing region fails here; ExportImage itself reports it.
				_ = svc.SetQuota(c.Account.Name, c.Params.Get("RegionId"), 1<<30, 1<<30)
				return next(ctx, c)
			})
		}},
	"quota-off-by-one": {"one export more than the concurrent quota is accepted",
		func(svc *ecs.Service, actions map[string]api.Action, _ *api.Hooks) {
			wrapExport(actions, func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
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
		func(svc *ecs.Service, actions map[string]api.Action, _ *api.Hooks) {
			next := actions["DescribeTaskAttribute"]
			actions["DescribeTaskAttribute"] = func(ctx context.Context, c *api.Call) (any, error) {
				res, err := next(ctx, c)
				if a, ok := res.(ecs.TaskAttribute); ok && err == nil && a.TaskStatus == "Finished" {
					svc.DropTaskObjects(ctx, c.Account.Name, a.TaskId)
				}
				return res, err
			}
		}},
}

var validPrefix = regexp.MustCompile(`^[A-Za-z0-9]{1,30}$`)

// Mutants lists the names WithMutant accepts, sorted.
func Mutants() []string {
	out := make([]string, 0, len(mutants))
	for name := range mutants {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// MutantDescription says what a mutant breaks ("" for an unknown name).
func MutantDescription(name string) string { return mutants[name].what }

// WithMutant builds a deliberately broken variant (see Mutants). Several may be combined.
func WithMutant(name string) Option {
	return func(c *config) error {
		if _, ok := mutants[name]; !ok {
			return fmt.Errorf("reference: unknown mutant %q (known: %s)", name, strings.Join(Mutants(), ", "))
		}
		c.mutants = append(c.mutants, name)
		return nil
	}
}

func chainRewrite(h *api.Hooks, f func(string, map[string]any)) {
	prev := h.Rewrite
	h.Rewrite = func(a string, b map[string]any) {
		if prev != nil {
			prev(a, b)
		}
		f(a, b)
	}
}

func chainStatus(h *api.Hooks, f func(*spec.Code, int) int) {
	prev := h.Status
	h.Status = func(c *spec.Code, s int) int {
		if prev != nil {
			s = prev(c, s)
		}
		return f(c, s)
	}
}

func chainParams(h *api.Hooks, f func(string, url.Values)) {
	prev := h.Params
	h.Params = func(a string, p url.Values) {
		if prev != nil {
			prev(a, p)
		}
		f(a, p)
	}
}

func wrapExport(actions map[string]api.Action, f func(context.Context, *api.Call, api.Action) (any, error)) {
	next := actions["ExportImage"]
	actions["ExportImage"] = func(ctx context.Context, c *api.Call) (any, error) { return f(ctx, c, next) }
}
