package ecs

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/spec/errcode"
)

// image is the live form of an ImageSpec. Its disks are immutable and shared by the tasks
// exporting it.
type image struct {
	spec    ImageSpec
	owner   string // account name
	ownerID int64
	created time.Time
	disks   []*disk // system disk first, then data disks in device order
}

// disk is one disk of an image with its synthetic content.
type disk struct {
	device  string // xvda for the system disk
	system  bool
	src     *diskimage.Synthetic
	data    int64 // bytes in the extents: the work an export of the disk costs
	sizeGiB int64

	sumKey DiskSpec // what the content is a pure function of (Device cleared)
}

// sums memoises disk checksums for the life of the process, keyed by the DiskSpec fields the
// synthetic content depends on: hashing a disk costs time in proportion to its virtual size
// (seconds for 20 GiB, minutes for 500 GiB), and every Service and every Reset rebuilds the
// same disks.
var sums sync.Map // DiskSpec → *diskSum

type diskSum struct {
	turn chan struct{} // one computation at a time
	done bool          // sum and err are final
	sum  string
	err  error
}

// objectStem is the one place the object-name rule lives (docs/reference.md, Tasks): a disk's
// name in every object of an export, "<ImageId>_system" or "<ImageId>_data_<device>". The
// object is "<OSSPrefix>_" + stem + "." + the format's extension (without a prefix, stem +
// extension: task.objectKeys); DiskInfo.Object and the member of a raw.tar.gz use the stem.
// Real ECS: unknown for data disks and non-raw formats, and without OSSPrefix.
func (im *image) objectStem(d *disk) string {
	if d.system {
		return im.spec.ID + "_system"
	}
	return im.spec.ID + "_data_" + d.device
}

const mib = int64(1) << 20

func (im *ImageSpec) created() (time.Time, error) {
	if im.Created == "" {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	return time.Parse(time.RFC3339, im.Created)
}

func newImage(spec ImageSpec, owner *account) *image {
	created, _ := spec.created() // validated with the fixtures
	uid, _ := strconv.ParseInt(owner.spec.ID, 10, 64)
	im := &image{spec: spec, owner: owner.spec.Name, ownerID: uid, created: created}
	im.disks = append(im.disks, newDisk("xvda", true, spec.SystemDisk))
	data := slices.Clone(spec.DataDisks)
	sort.Slice(data, func(i, j int) bool { return data[i].Device < data[j].Device })
	for _, d := range data {
		im.disks = append(im.disks, newDisk(d.Device, false, d))
	}
	return im
}

// newDisk lays DataMiB of data over the disk in 1 MiB extents: the first at offset 0 (where a
// boot sector lives), the rest spread evenly with a seeded jitter, so every format sees data
// at the start, in the middle and near the end.
func newDisk(device string, system bool, d DiskSpec) *disk {
	size := d.bytes()
	n := d.DataMiB
	var ext []diskimage.Extent
	if n > 0 {
		slot := size / n / mib // slot width in MiB, ≥ 1
		for i := int64(0); i < n; i++ {
			off := i * slot
			if i > 0 && slot > 1 {
				off += int64(mix64(uint64(d.Seed)^uint64(i)) % uint64(slot/2+1))
			}
			ext = append(ext, diskimage.Extent{Offset: off * mib, Length: mib})
		}
	}
	src := diskimage.NewSynthetic(size, ext, d.Seed)
	var data int64
	for _, e := range src.Extents() {
		data += e.Length
	}
	key := d
	key.Device = ""
	return &disk{device: device, system: system, src: src, data: data, sizeGiB: d.sizeGiB(), sumKey: key}
}

func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ownerAlias is the ImageOwnerAlias DescribeImages shows.
func (im *image) ownerAlias() string {
	switch im.spec.Origin {
	case OriginMarketplace:
		return "marketplace"
	case OriginShared:
		return "others"
	}
	return "self"
}

func (im *image) status() string {
	if im.spec.Status == "" {
		return "Available"
	}
	return im.spec.Status
}

var imageNameChars = regexp.MustCompile(`^[\p{L}0-9._-]+$`)

// validImageName applies the rule of InvalidImageName.Malformed: 2–128 characters, starting
// with a letter or a Chinese character, then letters, digits, ".", "_" and "-", never
// starting with http:// or https://.
func validImageName(name string) bool {
	if strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
		return false
	}
	n := utf8.RuneCountInString(name)
	first, _ := utf8.DecodeRuneInString(name)
	return n >= 2 && n <= 128 && unicode.IsLetter(first) && imageNameChars.MatchString(name)
}

// Image is one entry of DescribeImages: the fields terraform and the SDK read.
type Image struct {
	ImageId            string             `json:"ImageId"`
	ImageName          string             `json:"ImageName"`
	Status             string             `json:"Status"`
	ImageOwnerAlias    string             `json:"ImageOwnerAlias"`
	ImageOwnerId       int64              `json:"ImageOwnerId"`
	IsSelfShared       string             `json:"IsSelfShared"`
	IsCopied           bool               `json:"IsCopied"`
	IsPublic           bool               `json:"IsPublic"`
	IsSubscribed       bool               `json:"IsSubscribed"`
	Progress           string             `json:"Progress"`
	Usage              string             `json:"Usage"`
	Size               int64              `json:"Size"`
	OSType             string             `json:"OSType"`
	Platform           string             `json:"Platform"`
	Architecture       string             `json:"Architecture"`
	CreationTime       string             `json:"CreationTime"`
	ImageFamily        string             `json:"ImageFamily,omitempty"`
	Tags               ImageTags          `json:"Tags"`
	ProductCode        string             `json:"ProductCode,omitempty"`
	DiskDeviceMappings DiskDeviceMappings `json:"DiskDeviceMappings"`
}

// ImageTags wraps the tag list as the SDK expects.
type ImageTags struct {
	Tag []ImageTag `json:"Tag"`
}

// ImageTag is one tag of an image.
type ImageTag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// DiskDeviceMappings wraps the list as the SDK expects.
type DiskDeviceMappings struct {
	DiskDeviceMapping []DiskDeviceMapping `json:"DiskDeviceMapping"`
}

// DiskDeviceMapping is one disk of an image; Size is GiB as a string (the SDK's type).
type DiskDeviceMapping struct {
	Device     string `json:"Device"`
	Size       string `json:"Size"`
	SnapshotId string `json:"SnapshotId"`
	Type       string `json:"Type"` // system or data
	Format     string `json:"Format"`
	Encrypted  bool   `json:"Encrypted"`
	Progress   string `json:"Progress"`
	RemainTime int    `json:"RemainTime"`
}

func (im *image) wire() Image {
	out := Image{
		ImageId: im.spec.ID, ImageName: im.spec.Name, Status: im.status(), ImageOwnerAlias: im.ownerAlias(),
		ImageOwnerId: im.ownerID, IsSelfShared: "", Progress: "100%", Usage: "none",
		Size: im.disks[0].sizeGiB, OSType: or(im.spec.OSType, "linux"), Platform: or(im.spec.Platform, "CentOS"),
		Architecture: or(im.spec.Architecture, "x86_64"), CreationTime: im.created.Format(TimeLayout),
		ImageFamily: im.spec.Family, Tags: ImageTags{Tag: []ImageTag{}},
		DiskDeviceMappings: DiskDeviceMappings{DiskDeviceMapping: []DiskDeviceMapping{}},
	}
	for _, k := range slices.Sorted(maps.Keys(im.spec.Tags)) {
		out.Tags.Tag = append(out.Tags.Tag, ImageTag{TagKey: k, TagValue: im.spec.Tags[k]})
	}
	if im.status() != "Available" {
		out.Progress = "0%"
	}
	if im.spec.Origin == OriginMarketplace {
		out.ProductCode = "cmjj0000" + strings.TrimPrefix(im.spec.ID, "m-")
	}
	for _, d := range im.disks {
		typ := "data"
		if d.system {
			typ = "system"
		}
		out.DiskDeviceMappings.DiskDeviceMapping = append(out.DiskDeviceMappings.DiskDeviceMapping, DiskDeviceMapping{
			Device: "/dev/" + d.device, Size: strconv.FormatInt(d.sizeGiB, 10), Type: typ,
			SnapshotId: im.snapshotID(d),
			Encrypted:  im.spec.Encrypted, Progress: "100%",
		})
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// DescribeImagesRequest carries the parameters of DescribeImages as received (strings, ""
// meaning absent); the Service parses and checks them. The SDK's other parameters
// (InstanceType, IsSupportCloudinit, IsSupportIoOptimized, ActionType, ResourceGroupId,
// ShowExpired) would not change the answer for these images (every image runs on every
// instance type, none expires, all are in the default resource group), so they are not here.
type DescribeImagesRequest struct {
	RegionID        string
	ImageID         string // comma-separated
	ImageName       string
	Status          string // comma-separated; default Available
	ImageOwnerAlias string // system, self, others, marketplace; "" = system+self+others
	ImageOwnerID    string // the owner's numeric account ID
	OSType          string // linux or windows, without case
	Architecture    string // i386, x86_64, arm64
	ImageFamily     string
	SnapshotID      string // an image having a disk made from that snapshot
	Usage           string // instance (in use by an instance: never here) or none
	IsPublic        string // "true" (public images: never here) or "false"
	Tags            []TagFilter
	// Filters are the Filter.N pairs: CreationStartTime and CreationEndTime (minute or second
	// precision); other keys are ignored.
	Filters    []TagFilter
	PageNumber string
	PageSize   string
	DryRun     bool
}

// TagFilter is one Tag.N (or Filter.N) pair; a Key without a Value matches any value.
type TagFilter struct {
	Key, Value string
	HasValue   bool
}

// DescribeImagesResult is the answer of DescribeImages (the API layer adds RequestId).
type DescribeImagesResult struct {
	RegionId   string `json:"RegionId"`
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	Images     struct {
		Image []Image `json:"Image"`
	} `json:"Images"`
}

// DescribeImages lists the images of the account in the region, newest first then by ID.
// Another account's images are never shown (shared images appear as "others" only when the
// fixtures give them to this account).
func (s *Service) DescribeImages(ctx context.Context, accountName string, req DescribeImagesRequest) (DescribeImagesResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	var out DescribeImagesResult
	if _, err := s.companionRegion(req.RegionID); err != nil {
		return out, err
	}
	page, size, err := paging(req.PageNumber, req.PageSize)
	if err != nil {
		return out, err
	}
	switch req.ImageOwnerAlias {
	case "", "system", "self", "others", "marketplace":
	default:
		return out, errcode.InvalidParameter.Err("ImageOwnerAlias")
	}
	from, to, err := creationRange(req.Filters)
	if err != nil {
		return out, err
	}
	if req.DryRun {
		return out, errcode.DryRunOperation.Err()
	}
	ids := splitList(req.ImageID)
	statuses := splitList(req.Status)
	if len(statuses) == 0 {
		statuses = []string{"Available"}
	}
	var match []*image
	for _, im := range s.st.images {
		switch {
		case im.owner != accountName || im.spec.Region != req.RegionID:
		case len(ids) > 0 && !slices.Contains(ids, im.spec.ID):
		case req.ImageName != "" && req.ImageName != im.spec.Name:
		case !slices.Contains(statuses, im.status()):
		case req.ImageOwnerAlias == "" && im.ownerAlias() == "marketplace":
		case req.ImageOwnerAlias != "" && req.ImageOwnerAlias != im.ownerAlias():
		case req.ImageOwnerID != "" && req.ImageOwnerID != strconv.FormatInt(im.ownerID, 10):
		case req.OSType != "" && !strings.EqualFold(req.OSType, or(im.spec.OSType, "linux")):
		case req.Architecture != "" && req.Architecture != or(im.spec.Architecture, "x86_64"):
		case req.ImageFamily != "" && req.ImageFamily != im.spec.Family:
		case req.SnapshotID != "" && !im.hasSnapshot(req.SnapshotID):
		case req.Usage == "instance" || req.IsPublic == "true":
		case !im.tagged(req.Tags):
		case im.created.Before(from) || im.created.After(to):
		default:
			match = append(match, im)
		}
	}
	sort.Slice(match, func(i, j int) bool {
		if !match[i].created.Equal(match[j].created) {
			return match[i].created.After(match[j].created)
		}
		return match[i].spec.ID < match[j].spec.ID
	})
	out.RegionId, out.TotalCount, out.PageNumber, out.PageSize = req.RegionID, len(match), page, size
	out.Images.Image = []Image{}
	for _, im := range pageOf(match, page, size) {
		out.Images.Image = append(out.Images.Image, im.wire())
	}
	return out, nil
}

// creationRange reads the CreationStartTime and CreationEndTime filters (either may be
// absent); a malformed time is InvalidParameter naming the Filter.
// Real ECS: documented with minute precision (2017-12-05T22:40Z); seconds are accepted too.
func creationRange(filters []TagFilter) (time.Time, time.Time, error) {
	var start, end string
	for _, f := range filters {
		switch f.Key {
		case "CreationStartTime":
			start = f.Value
		case "CreationEndTime":
			end = f.Value
		}
	}
	from, to, err := timeRange(start, end)
	if err != nil {
		return from, to, errcode.InvalidParameter.Err("Filter")
	}
	return from, to, nil
}

// tagged reports whether the image carries every tag asked for.
func (im *image) tagged(tags []TagFilter) bool {
	for _, t := range tags {
		v, ok := im.spec.Tags[t.Key]
		if !ok || (t.HasValue && v != t.Value) {
			return false
		}
	}
	return true
}

// hasSnapshot reports whether a disk of the image shows that SnapshotId.
func (im *image) hasSnapshot(id string) bool {
	for _, d := range im.disks {
		if im.snapshotID(d) == id {
			return true
		}
	}
	return false
}

func (im *image) snapshotID(d *disk) string {
	return "s-" + strings.TrimPrefix(im.spec.ID, "m-") + "-" + d.device
}

// DiskInfo describes one source disk of an image for round-trip checks. The object of the
// disk in an export is "<OSSPrefix>_" + Object + "." + the format's extension (without a
// prefix, Object + "." + extension; see objectStem).
type DiskInfo struct {
	Device string `json:"device"` // "system" or the data disk's device (xvdb…)
	Object string `json:"object"` // e.g. m-eic-custom_system, m-eic-custom_data_xvdb
	Size   int64  `json:"size"`   // virtual size in bytes
	SHA256 string `json:"sha256"` // of the whole virtual disk
}

// ImageDisks describes every disk of an image (any account's) with the SHA-256 of its whole
// content. The hash is computed on first use and memoised for the process: it costs time in
// proportion to the virtual size (about 10 s for 20 GiB, minutes for 500 GiB), so tests
// should ask for small disks.
func (s *Service) ImageDisks(ctx context.Context, imageID string) ([]DiskInfo, error) {
	s.mu.Lock()
	im, ok := s.st.images[imageID]
	s.mu.Unlock()
	if !ok {
		return nil, errcode.InvalidImageID.Err()
	}
	var out []DiskInfo
	for _, d := range im.disks {
		sum, err := d.checksum(ctx)
		if err != nil {
			return nil, err
		}
		dev := d.device
		if d.system {
			dev = "system"
		}
		out = append(out, DiskInfo{Device: dev, Object: im.objectStem(d), Size: d.src.Size(), SHA256: sum})
	}
	return out, nil
}

// checksum computes the disk's hash once per process and keeps it. It stops with ctx.Err()
// when ctx is done (the client left, the server is stopping); a cancelled computation is not
// kept, and concurrent callers take turns, each waiting only as long as its own ctx allows.
func (d *disk) checksum(ctx context.Context) (string, error) {
	v, _ := sums.LoadOrStore(d.sumKey, &diskSum{turn: make(chan struct{}, 1)})
	e := v.(*diskSum)
	select {
	case e.turn <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-e.turn }()
	if !e.done {
		sum, err := diskimage.ChecksumContext(ctx, d.src)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if err != nil {
			err = fmt.Errorf("ecs: checksum of %s: %w", d.device, err)
		}
		e.sum, e.err, e.done = sum, err, true
	}
	return e.sum, e.err
}
