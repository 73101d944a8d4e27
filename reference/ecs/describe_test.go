package ecs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/exportimage/eic/spec/errcode"
)

// filterFixtures adds images that differ in every attribute DescribeImages filters on.
const filterFixtures = `
regions:
  - {id: test-1, name: Test One, localNames: {zh-CN: 测试一}, export: true}
accounts:
  - name: acme
    id: "2000000000000001"
    keys: [{id: AKacme, secret: SKacme}]
    images:
      - {id: m-lin, region: test-1, name: lin, family: fam-a, tags: {env: prod, team: x}, created: "2026-01-01T00:00:00Z", systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 1}}
      - {id: m-win, region: test-1, name: win, osType: windows, tags: {env: dev}, created: "2026-02-01T00:00:30Z", systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 2}}
      - {id: m-arm, region: test-1, name: arm, architecture: arm64, family: fam-a, created: "2026-03-01T00:00:00Z", systemDisk: {sizeMiB: 8, dataMiB: 1, seed: 3}}
`

func TestService_DescribeImagesFilters(t *testing.T) {
	s, _ := newTestService(t, filterFixtures)
	tests := []struct {
		name string
		req  DescribeImagesRequest
		want string // image IDs, newest first
	}{
		{"none", DescribeImagesRequest{}, "m-arm,m-win,m-lin"},
		{"OSType", DescribeImagesRequest{OSType: "linux"}, "m-arm,m-lin"},
		{"OSType any case", DescribeImagesRequest{OSType: "Windows"}, "m-win"},
		{"Architecture", DescribeImagesRequest{Architecture: "arm64"}, "m-arm"},
		{"ImageFamily", DescribeImagesRequest{ImageFamily: "fam-a"}, "m-arm,m-lin"},
		{"ImageOwnerId", DescribeImagesRequest{ImageOwnerID: "2000000000000001"}, "m-arm,m-win,m-lin"},
		{"ImageOwnerId other", DescribeImagesRequest{ImageOwnerID: "1"}, ""},
		{"SnapshotId", DescribeImagesRequest{SnapshotID: "s-win-xvda"}, "m-win"},
		{"Usage instance", DescribeImagesRequest{Usage: "instance"}, ""},
		{"Usage none", DescribeImagesRequest{Usage: "none"}, "m-arm,m-win,m-lin"},
		{"IsPublic", DescribeImagesRequest{IsPublic: "true"}, ""},
		{"tag key and value", DescribeImagesRequest{Tags: []TagFilter{{Key: "env", Value: "prod", HasValue: true}}}, "m-lin"},
		{"tag key only", DescribeImagesRequest{Tags: []TagFilter{{Key: "env"}}}, "m-win,m-lin"},
		{"every tag", DescribeImagesRequest{Tags: []TagFilter{{Key: "env"}, {Key: "team", Value: "x", HasValue: true}}}, "m-lin"},
		{"creation range", DescribeImagesRequest{Filters: []TagFilter{
			{Key: "CreationStartTime", Value: "2026-02-01T00:00Z", HasValue: true},
			{Key: "CreationEndTime", Value: "2026-02-28T00:00:00Z", HasValue: true}}}, "m-win"},
		{"creation end minute covers its minute", DescribeImagesRequest{Filters: []TagFilter{
			{Key: "CreationEndTime", Value: "2026-02-01T00:00Z", HasValue: true}}}, "m-win,m-lin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.RegionID = "test-1"
			res, err := s.DescribeImages(context.Background(), "acme", tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, im := range res.Images.Image {
				ids = append(ids, im.ImageId)
			}
			if got := strings.Join(ids, ","); got != tt.want || res.TotalCount != len(ids) {
				t.Errorf("got %q (TotalCount %d), want %q", got, res.TotalCount, tt.want)
			}
		})
	}

	_, err := s.DescribeImages(context.Background(), "acme", DescribeImagesRequest{RegionID: "test-1",
		Filters: []TagFilter{{Key: "CreationStartTime", Value: "yesterday", HasValue: true}}})
	if se := (*errcode.Error)(nil); !errors.As(err, &se) || se.Code != errcode.InvalidParameter {
		t.Errorf("malformed CreationStartTime: got %v, want InvalidParameter", err)
	}

	res, _ := s.DescribeImages(context.Background(), "acme", DescribeImagesRequest{RegionID: "test-1", ImageID: "m-lin"})
	im := res.Images.Image[0]
	if im.ImageFamily != "fam-a" || len(im.Tags.Tag) != 2 || im.Tags.Tag[0] != (ImageTag{"env", "prod"}) {
		t.Errorf("family and tags: got %q %v", im.ImageFamily, im.Tags.Tag)
	}
}

func TestService_DescribeRegionsLanguage(t *testing.T) {
	s, _ := newTestService(t, filterFixtures)
	for lang, want := range map[string]string{"": "Test One", "en-US": "Test One", "zh-CN": "测试一", "ja": "Test One"} {
		res, err := s.DescribeRegions(context.Background(), "acme", DescribeRegionsRequest{AcceptLanguage: lang})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Regions.Region[0].LocalName; got != want {
			t.Errorf("AcceptLanguage %q: got %q, want %q", lang, got, want)
		}
	}
}
