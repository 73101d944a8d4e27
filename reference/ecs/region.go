package ecs

import (
	"cmp"
	"context"
	"slices"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/spec/errcode"
)

// region is the live form of a RegionSpec.
type region struct {
	spec           RegionSpec
	formats        []diskimage.Format
	dataDiskExport bool
}

func newRegion(r RegionSpec) *region {
	out := &region{spec: r, formats: []diskimage.Format{diskimage.Raw}, dataDiskExport: boolOr(r.DataDiskExport, true)}
	for _, f := range r.Formats {
		if ff := diskimage.Format(f); !slices.Contains(out.formats, ff) {
			out.formats = append(out.formats, ff)
		}
	}
	return out
}

func (r *region) honours(f diskimage.Format) bool { return slices.Contains(r.formats, f) }

func (r *region) endpoint() string {
	if r.spec.Endpoint != "" {
		return r.spec.Endpoint
	}
	return "ecs." + r.spec.ID + ".aliyuncs.com"
}

// Region is one entry of DescribeRegions.
type Region struct {
	RegionId       string `json:"RegionId"`
	LocalName      string `json:"LocalName"`
	RegionEndpoint string `json:"RegionEndpoint"`
	Status         string `json:"Status"`
}

// DescribeRegionsResult is the answer of DescribeRegions (the API layer adds RequestId).
type DescribeRegionsResult struct {
	Regions struct {
		Region []Region `json:"Region"`
	} `json:"Regions"`
}

// DescribeRegionsRequest carries the parameters of DescribeRegions that change its answer.
// InstanceChargeType and ResourceType would keep only the regions that sell that kind of
// instance or resource; every region here sells every kind, so they are not in it.
type DescribeRegionsRequest struct {
	AcceptLanguage string // zh-CN, en-US or ja: the language of LocalName
}

// DescribeRegions lists every existing region in fixture order, LocalName in the language
// asked (the fixture's localNames; its name when it has none for that language). Its RegionId
// parameter only chooses the endpoint, so it is not checked here.
// Real ECS: lists regions whatever the RegionId sent; an unknown one is not an error there
// either as far as observed. Without AcceptLanguage real ECS answers in zh-CN; the reference
// answers with the fixture's name (English in the built-in set).
func (s *Service) DescribeRegions(ctx context.Context, account string, req DescribeRegionsRequest) (DescribeRegionsResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out DescribeRegionsResult
	out.Regions.Region = []Region{}
	for _, id := range s.st.regionOrder {
		r := s.st.regions[id]
		out.Regions.Region = append(out.Regions.Region, Region{
			RegionId: id, LocalName: cmp.Or(r.spec.LocalNames[req.AcceptLanguage], r.spec.Name), RegionEndpoint: r.endpoint(), Status: "available",
		})
	}
	return out, nil
}

// companionRegion checks the RegionId of a companion action: absent or empty is
// MissingParameter naming RegionId, unknown is InvalidRegionId.NotFound.
func (s *Service) companionRegion(regionID string) (*region, error) {
	if regionID == "" {
		return nil, errcode.MissingCommonParameter.Err("RegionId")
	}
	r, ok := s.st.regions[regionID]
	if !ok {
		return nil, errcode.InvalidRegionID.Err()
	}
	return r, nil
}
