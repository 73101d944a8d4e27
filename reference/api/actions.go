package api

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/exportimage/eic/reference/ecs"
)

// Backend adapts an ecs.Service to the handler: its credentials and its actions.
type Backend struct{ Svc *ecs.Service }

// Credential implements Credentials.
func (b Backend) Credential(id string) (Credential, bool) {
	k, ok := b.Svc.Key(id)
	if !ok {
		return Credential{}, false
	}
	return Credential{Secret: k.Secret, Account: k.Account, Disabled: k.Disabled, Temporary: k.Temporary}, true
}

// CheckToken implements Credentials.
func (b Backend) CheckToken(token, id string) error { return b.Svc.CheckToken(token, id) }

// Actions binds every action of the document to the service: parameters are decoded here and
// checked by the domain, which owns the documented error codes.
func (b Backend) Actions() map[string]Action {
	svc := b.Svc
	return map[string]Action{
		"ExportImage": func(ctx context.Context, c *Call) (any, error) {
			return svc.ExportImage(ctx, c.Account.Name, ecs.ExportImageRequest{
				RegionID: param(c, "RegionId"), ImageID: param(c, "ImageId"), OSSBucket: param(c, "OSSBucket"),
				OSSPrefix: param(c, "OSSPrefix"), ImageFormat: param(c, "ImageFormat"), RoleName: param(c, "RoleName"),
				DryRun: c.DryRun,
			})
		},
		"DescribeTasks": func(ctx context.Context, c *Call) (any, error) {
			return svc.DescribeTasks(ctx, c.Account.Name, ecs.DescribeTasksRequest{
				RegionID: c.Params.Get("RegionId"), TaskAction: c.Params.Get("TaskAction"), TaskIDs: c.Params.Get("TaskIds"),
				TaskStatus: c.Params.Get("TaskStatus"), StartTime: c.Params.Get("StartTime"), EndTime: c.Params.Get("EndTime"),
				ResourceIDs: indexed(c.Params, "ResourceIds", ""), PageNumber: c.Params.Get("PageNumber"), PageSize: c.Params.Get("PageSize"),
				TaskGroupID: c.Params.Get("TaskGroupId"),
			})
		},
		"DescribeTaskAttribute": func(ctx context.Context, c *Call) (any, error) {
			return svc.DescribeTaskAttribute(ctx, c.Account.Name, c.Params.Get("RegionId"), c.Params.Get("TaskId"))
		},
		"CancelTask": func(ctx context.Context, c *Call) (any, error) {
			return struct{}{}, svc.CancelTask(ctx, c.Account.Name, c.Params.Get("RegionId"), c.Params.Get("TaskId"))
		},
		"DescribeImages": func(ctx context.Context, c *Call) (any, error) {
			return svc.DescribeImages(ctx, c.Account.Name, ecs.DescribeImagesRequest{
				RegionID: c.Params.Get("RegionId"), ImageID: c.Params.Get("ImageId"), ImageName: c.Params.Get("ImageName"),
				Status: c.Params.Get("Status"), ImageOwnerAlias: c.Params.Get("ImageOwnerAlias"),
				ImageOwnerID: c.Params.Get("ImageOwnerId"), OSType: c.Params.Get("OSType"),
				Architecture: c.Params.Get("Architecture"), ImageFamily: c.Params.Get("ImageFamily"),
				SnapshotID: c.Params.Get("SnapshotId"), Usage: c.Params.Get("Usage"), IsPublic: c.Params.Get("IsPublic"),
				Tags: pairs(c.Params, "Tag"), Filters: pairs(c.Params, "Filter"),
				PageNumber: c.Params.Get("PageNumber"), PageSize: c.Params.Get("PageSize"), DryRun: c.DryRun,
			})
		},
		"DescribeRegions": func(ctx context.Context, c *Call) (any, error) {
			return svc.DescribeRegions(ctx, c.Account.Name, ecs.DescribeRegionsRequest{
				AcceptLanguage: c.Params.Get("AcceptLanguage"),
			})
		},
	}
}

func param(c *Call, name string) ecs.Param {
	v, ok := c.Str(name)
	return ecs.Param{Value: v, Present: ok}
}

// pairs collects a flattened list of Key/Value objects (Tag.1.Key, Tag.1.Value, …) in index
// order; an element without a Key is ignored.
func pairs(params url.Values, name string) []ecs.TagFilter {
	values := map[int]string{}
	for _, e := range indexedEntries(params, name, ".Value") {
		values[e.n] = e.v
	}
	var out []ecs.TagFilter
	for _, e := range indexedEntries(params, name, ".Key") {
		v, ok := values[e.n]
		out = append(out, ecs.TagFilter{Key: e.v, Value: v, HasValue: ok})
	}
	return out
}

// indexed collects a flattened list parameter (Name.1, Name.2, …) in index order; entries
// whose index is not a positive integer are ignored.
func indexed(params url.Values, name, suffix string) []string {
	list := indexedEntries(params, name, suffix)
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.v
	}
	return out
}

type indexEntry struct {
	n int
	v string
}

// indexedEntries finds name.N+suffix parameters, sorted by N.
func indexedEntries(params url.Values, name, suffix string) []indexEntry {
	var list []indexEntry
	for k, vs := range params {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok {
			continue
		}
		if rest, ok = strings.CutSuffix(rest, suffix); !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n > 0 {
			list = append(list, indexEntry{n, vs[0]})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n < list[j].n })
	return list
}
