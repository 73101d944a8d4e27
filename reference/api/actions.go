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
				ResourceIDs: indexed(c.Params, "ResourceIds"), PageNumber: c.Params.Get("PageNumber"), PageSize: c.Params.Get("PageSize"),
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
				PageNumber: c.Params.Get("PageNumber"), PageSize: c.Params.Get("PageSize"), DryRun: c.DryRun,
			})
		},
		"DescribeRegions": func(ctx context.Context, c *Call) (any, error) {
			return svc.DescribeRegions(ctx, c.Account.Name)
		},
	}
}

func param(c *Call, name string) ecs.Param {
	v, ok := c.Str(name)
	return ecs.Param{Value: v, Present: ok}
}

// indexed collects a flattened list parameter (Name.1, Name.2, …) in index order; entries
// whose index is not a positive integer are ignored.
func indexed(params url.Values, name string) []string {
	type entry struct {
		n int
		v string
	}
	var list []entry
	for k, vs := range params {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n > 0 {
			list = append(list, entry{n, vs[0]})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n < list[j].n })
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.v
	}
	return out
}
