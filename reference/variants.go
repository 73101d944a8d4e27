package reference

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/exportimage/eic/reference/api"
	"github.com/exportimage/eic/spec"
)

// Variants are behaviours the document permits but the reference does not show by default:
// what another correct ECS-compatible endpoint, or real ECS, may do. A tool author can use
// them to mock a specific real behaviour; the suite's precision test runs @core against each
// and wants no failure (a @core scenario that fails one over-asserts).
var variants = map[string]mutant{
	"processing-at-once": {"a task is Processing as soon as it is submitted, never seen Waiting",
		func(w *wrappers) {
			w.editResults(func(action string, body map[string]any) {
				eachTask(action, body, func(t map[string]any) {
					if t["TaskStatus"] == "Waiting" {
						t["TaskStatus"] = "Processing"
					}
				})
			})
		}},
	"lagging-cancel": {"a cancelled task is still seen Processing for the next two reads before it ends Deleted",
		func(w *wrappers) {
			var mu sync.Mutex
			lag := map[string]int{}
			w.editParams(func(action string, p url.Values) {
				if action == "CancelTask" {
					mu.Lock()
					lag[p.Get("TaskId")] = 2
					mu.Unlock()
				}
			})
			w.editResults(func(action string, body map[string]any) {
				eachTask(action, body, func(t map[string]any) {
					id, _ := t["TaskId"].(string)
					mu.Lock()
					defer mu.Unlock()
					if t["TaskStatus"] == "Deleted" && lag[id] > 0 {
						lag[id]--
						t["TaskStatus"] = "Processing"
					}
				})
			})
		}},
	"current-doc-messages": {"ImageIsExporting and InvalidImageId.NotFound use the current public document's wording",
		func(w *wrappers) {
			w.wrapAction("ExportImage", func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
				res, err := next(ctx, c)
				var se *spec.Error
				if !errors.As(err, &se) {
					return res, err
				}
				switch se.Code {
				case spec.ImageIsExporting:
					// Real ECS: the current document's wording (protocol.md I).
					return res, &spec.Error{Code: se.Code, Message: "The specified Image is being exported. You can use the DescribeTasks API to check the status of existing tasks."}
				case spec.InvalidImageID:
					return res, &spec.Error{Code: se.Code, Message: fmt.Sprintf("The specified image %s does not exist.", c.Params.Get("ImageId"))}
				}
				return res, err
			})
		}},
	"bucket-region-not-found": {"a bucket in another region is refused InvalidOSSBucket.NotFound (\"does not exist in this region\") instead of NotMatched",
		func(w *wrappers) {
			w.wrapAction("ExportImage", func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
				res, err := next(ctx, c)
				var se *spec.Error
				if errors.As(err, &se) && se.Code == spec.BucketNotMatched {
					return res, spec.BucketNotFound.Err()
				}
				return res, err
			})
		}},
	"dryrun-ignored": {"DryRun is not a parameter of the endpoint: a valid request with DryRun=true creates a task",
		func(w *wrappers) {
			w.wrapAction("ExportImage", func(ctx context.Context, c *api.Call, next api.Action) (any, error) {
				c.DryRun = false
				return next(ctx, c)
			})
		}},
}

// eachTask calls f on every task object of a DescribeTaskAttribute or DescribeTasks body.
func eachTask(action string, body map[string]any, f func(map[string]any)) {
	switch action {
	case "DescribeTaskAttribute":
		f(body)
	case "DescribeTasks":
		set, _ := body["TaskSet"].(map[string]any)
		switch list := set["Task"].(type) {
		case []any:
			for _, t := range list {
				if m, ok := t.(map[string]any); ok {
					f(m)
				}
			}
		case []map[string]any:
			for _, m := range list {
				f(m)
			}
		}
	}
}

// Variants lists the names WithVariant accepts, sorted.
func Variants() []string { return names(variants) }

// VariantDescription says what a variant changes ("" for an unknown name).
func VariantDescription(name string) string { return variants[name].what }

// WithVariant makes the reference show a behaviour the document permits instead of its
// default (see Variants). Several may be combined.
func WithVariant(name string) Option {
	return func(c *config) error {
		v, err := choose("variant", variants, name)
		if err != nil {
			return err
		}
		c.variants = append(c.variants, v)
		return nil
	}
}
