package ecs

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/exportimage/eic/reference/diskimage"
)

// Fixtures is the world a Service starts from (and returns to on Reset): regions, accounts
// with their keys, roles, buckets and images, quotas and the export speed. It is written in
// YAML (or JSON, which YAML reads) with exactly these field names; unknown fields are errors.
// fixtures/default.yaml, embedded, is the set docs/reference.md describes.
type Fixtures struct {
	// ExportSpeed is the pace of exports in bytes of disk data per second of clock; 0 keeps
	// the base value (64 MiB/s when nothing sets it).
	ExportSpeed int64 `yaml:"exportSpeed,omitempty" json:"exportSpeed,omitempty"`
	// Quotas are the limits of every account and region unless an account overrides them.
	Quotas   *QuotaSpec    `yaml:"quotas,omitempty" json:"quotas,omitempty"`
	Regions  []RegionSpec  `yaml:"regions,omitempty" json:"regions,omitempty"`
	Accounts []AccountSpec `yaml:"accounts,omitempty" json:"accounts,omitempty"`
}

// QuotaSpec limits export tasks per account and region: Concurrent tasks in flight (Waiting or
// Processing) and Weekly submissions in any rolling 7 days.
type QuotaSpec struct {
	Concurrent int `yaml:"concurrent" json:"concurrent"`
	Weekly     int `yaml:"weekly" json:"weekly"`
}

// RegionSpec is one region. A region not listed (or listed with exists: false) does not exist.
type RegionSpec struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name,omitempty" json:"name,omitempty"` // LocalName in DescribeRegions
	// LocalNames are LocalName per AcceptLanguage (zh-CN, en-US, ja); Name when absent.
	LocalNames map[string]string `yaml:"localNames,omitempty" json:"localNames,omitempty"`
	Endpoint   string            `yaml:"endpoint,omitempty" json:"endpoint,omitempty"` // default ecs.<id>.aliyuncs.com
	Exists     *bool             `yaml:"exists,omitempty" json:"exists,omitempty"`     // default true
	Export     bool              `yaml:"export" json:"export"`                         // supports image export
	// Formats lists the ImageFormat values honoured; raw is always honoured. Default: raw only.
	Formats        []string `yaml:"formats,omitempty" json:"formats,omitempty"`
	DataDiskExport *bool    `yaml:"dataDiskExport,omitempty" json:"dataDiskExport,omitempty"` // default true
}

// AccountSpec is one account (tenant). Name is the handle the API layer passes to the Service.
type AccountSpec struct {
	Name           string       `yaml:"name" json:"name"`
	ID             string       `yaml:"id" json:"id"`                                             // numeric UID, e.g. 1000000000000001
	AllowListed    *bool        `yaml:"allowListed,omitempty" json:"allowListed,omitempty"`       // default true
	DataDiskExport *bool        `yaml:"dataDiskExport,omitempty" json:"dataDiskExport,omitempty"` // default true
	Quotas         *QuotaSpec   `yaml:"quotas,omitempty" json:"quotas,omitempty"`                 // overrides Fixtures.Quotas
	Keys           []KeySpec    `yaml:"keys,omitempty" json:"keys,omitempty"`
	Roles          []RoleSpec   `yaml:"roles,omitempty" json:"roles,omitempty"`
	Buckets        []BucketSpec `yaml:"buckets,omitempty" json:"buckets,omitempty"`
	Images         []ImageSpec  `yaml:"images,omitempty" json:"images,omitempty"`
	Tasks          []TaskSpec   `yaml:"tasks,omitempty" json:"tasks,omitempty"`
}

// TaskSpec is a task of another action than ExportImage that exists from the start (the
// reference creates export tasks only): DescribeTasks lists it (TaskAction filters by its
// action), DescribeTaskAttribute describes it with no objects, and it never progresses.
// CancelTask on it is InvalidTaskId.TaskActionNotSupport, except on an ImportImage task, which
// is cancelled like an export (Waiting or Processing → Deleted). Action is one of protocol.md
// E.1's TaskAction values other than ExportImage (export tasks are made by ExportImage).
type TaskSpec struct {
	ID       string `yaml:"id" json:"id"`
	Region   string `yaml:"region" json:"region"`
	Action   string `yaml:"action" json:"action"`
	Status   string `yaml:"status,omitempty" json:"status,omitempty"`     // default Processing
	Resource string `yaml:"resource,omitempty" json:"resource,omitempty"` // ResourceId, default ""
	// Created is the CreationTime (RFC 3339; default 2026-01-01T00:00:00Z), also the
	// FinishedTime of a task in a terminal status.
	Created string `yaml:"created,omitempty" json:"created,omitempty"`
}

// fixtureTaskActions are the actions a TaskSpec may have (protocol.md E.1 less ExportImage).
var fixtureTaskActions = []string{"ImportImage", "RedeployInstance", "ModifyDiskSpec", "ArchiveSnapshot"}

// fixtureTaskStatuses are the statuses a TaskSpec may have.
var fixtureTaskStatuses = []string{StatusWaiting, StatusProcessing, StatusFinished, StatusFailed, StatusDeleted}

func (ts *TaskSpec) validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("fixtures: task %s: "+format, append([]any{ts.ID}, args...)...)
	}
	switch {
	case ts.Action == TaskAction:
		return fail("action ExportImage: export tasks are made by ExportImage, not fixtures")
	case !slices.Contains(fixtureTaskActions, ts.Action):
		return fail("unknown action %q (one of %v)", ts.Action, fixtureTaskActions)
	case ts.Status != "" && !slices.Contains(fixtureTaskStatuses, ts.Status):
		return fail("unknown status %q (one of %v)", ts.Status, fixtureTaskStatuses)
	}
	if _, err := ts.created(); err != nil {
		return fail("created: %v", err)
	}
	return nil
}

func (ts *TaskSpec) created() (time.Time, error) {
	if ts.Created == "" {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse(time.RFC3339, ts.Created)
	return t.UTC(), err
}

// KeySpec is an AccessKey pair.
type KeySpec struct {
	ID       string `yaml:"id" json:"id"`
	Secret   string `yaml:"secret" json:"secret"`
	Disabled bool   `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

// RoleSpec is a RAM role: the service principal its trust policy lets perform sts:AssumeRole,
// the system policies attached, and the actions a custom policy allows on resource "*".
type RoleSpec struct {
	Name     string   `yaml:"name" json:"name"`
	Trust    string   `yaml:"trust" json:"trust"`
	Policies []string `yaml:"policies,omitempty" json:"policies,omitempty"`
	Actions  []string `yaml:"actions,omitempty" json:"actions,omitempty"`
}

// BucketSpec is an OSS bucket of the account.
type BucketSpec struct {
	Name   string `yaml:"name" json:"name"`
	Region string `yaml:"region" json:"region"`
}

// Image origins.
const (
	OriginCustom        = "custom"         // made by the account: exportable
	OriginMarketDerived = "market-derived" // made from an instance of a marketplace image
	OriginMarketplace   = "marketplace"    // a marketplace image itself
	OriginShared        = "shared"         // shared with the account by another one
)

// ImageSpec is an image of the account. Disk contents are synthetic (diskimage.NewSynthetic).
type ImageSpec struct {
	ID        string `yaml:"id" json:"id"`
	Region    string `yaml:"region" json:"region"`
	Name      string `yaml:"name" json:"name"`
	Origin    string `yaml:"origin,omitempty" json:"origin,omitempty"` // default custom
	Status    string `yaml:"status,omitempty" json:"status,omitempty"` // default Available
	Encrypted bool   `yaml:"encrypted,omitempty" json:"encrypted,omitempty"`
	// License, if set, forbids export; its text is the detail of InvalidImageLicense.NotSupported.
	License string `yaml:"license,omitempty" json:"license,omitempty"`
	// Unreadable makes the source snapshot unreadable: ExportImage answers ExportImageFailed.
	Unreadable   bool   `yaml:"unreadable,omitempty" json:"unreadable,omitempty"`
	OSType       string `yaml:"osType,omitempty" json:"osType,omitempty"`             // default linux
	Platform     string `yaml:"platform,omitempty" json:"platform,omitempty"`         // default CentOS
	Architecture string `yaml:"architecture,omitempty" json:"architecture,omitempty"` // default x86_64
	Created      string `yaml:"created,omitempty" json:"created,omitempty"`           // RFC 3339; default 2026-01-01T00:00:00Z
	Family       string `yaml:"family,omitempty" json:"family,omitempty"`             // ImageFamily; default none
	// Tags are the image's tags (DescribeImages shows them and filters on Tag.N).
	Tags       map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	SystemDisk DiskSpec          `yaml:"systemDisk" json:"systemDisk"`
	DataDisks  []DiskSpec        `yaml:"dataDisks,omitempty" json:"dataDisks,omitempty"`
}

// DiskSpec is one disk of an image: virtual size (Size GiB, or SizeMiB for small test disks;
// exactly one), DataMiB of pseudo-random data spread over it from Seed. Device names a data
// disk (xvdb, xvdc…); the system disk's is ignored.
type DiskSpec struct {
	Device  string `yaml:"device,omitempty" json:"device,omitempty"`
	Size    int64  `yaml:"size,omitempty" json:"size,omitempty"`
	SizeMiB int64  `yaml:"sizeMiB,omitempty" json:"sizeMiB,omitempty"`
	DataMiB int64  `yaml:"dataMiB,omitempty" json:"dataMiB,omitempty"`
	Seed    int64  `yaml:"seed,omitempty" json:"seed,omitempty"`
}

//go:embed fixtures/default.yaml
var defaultFixturesYAML []byte

// DefaultFixtures returns a fresh copy of the embedded fixtures of docs/reference.md.
func DefaultFixtures() *Fixtures {
	f, err := ParseFixtures(defaultFixturesYAML)
	if err != nil {
		panic(fmt.Sprintf("ecs: embedded default fixtures: %v", err)) // a build defect; tested
	}
	return f
}

// ParseFixtures decodes a YAML or JSON fixtures document and validates it (Validate). Unknown
// fields are rejected.
func ParseFixtures(data []byte) (*Fixtures, error) {
	f, err := decodeFixtures(data)
	if err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeFixtures reads a document without validating it: an extension (LoadFixtures with
// extend) is valid only once laid over the loaded set, which Extend checks.
func decodeFixtures(data []byte) (*Fixtures, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f Fixtures
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("fixtures: empty document")
		}
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	return &f, nil
}

// Extend returns f with ext laid over it: a region or account of ext replaces the one of f
// with the same id or name, new ones are added, and ExportSpeed and Quotas of ext, if set,
// win. The result is validated.
func (f *Fixtures) Extend(ext *Fixtures) (*Fixtures, error) {
	out := &Fixtures{ExportSpeed: f.ExportSpeed, Quotas: f.Quotas}
	if ext.ExportSpeed != 0 {
		out.ExportSpeed = ext.ExportSpeed
	}
	if ext.Quotas != nil {
		out.Quotas = ext.Quotas
	}
	out.Regions = slices.Clone(f.Regions)
	for _, r := range ext.Regions {
		if i := slices.IndexFunc(out.Regions, func(x RegionSpec) bool { return x.ID == r.ID }); i >= 0 {
			out.Regions[i] = r
		} else {
			out.Regions = append(out.Regions, r)
		}
	}
	out.Accounts = slices.Clone(f.Accounts)
	for _, a := range ext.Accounts {
		if i := slices.IndexFunc(out.Accounts, func(x AccountSpec) bool { return x.Name == a.Name }); i >= 0 {
			out.Accounts[i] = a
		} else {
			out.Accounts = append(out.Accounts, a)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

// Validate reports the first problem of a fixtures set: duplicate IDs (regions, accounts,
// account UIDs, keys, buckets, images and tasks are unique across the whole set), references
// to regions that do not exist, unknown origins, statuses, formats or task actions,
// impossible disks.
func (f *Fixtures) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("fixtures: "+format, args...)
	}
	if f.ExportSpeed < 0 {
		return fail("exportSpeed %d is negative", f.ExportSpeed)
	}
	if err := f.Quotas.validate("quotas"); err != nil {
		return err
	}
	regions := map[string]bool{}
	for i, r := range f.Regions {
		if r.ID == "" {
			return fail("regions[%d]: id is empty", i)
		}
		if _, dup := regions[r.ID]; dup {
			return fail("region %q is defined twice", r.ID)
		}
		regions[r.ID] = r.Exists == nil || *r.Exists
		for _, fm := range r.Formats {
			if _, err := diskimage.ParseFormat(fm); err != nil {
				return fail("region %q: unknown format %q", r.ID, fm)
			}
		}
	}
	region := func(where, id string) error {
		if !regions[id] {
			return fail("%s: unknown region %q", where, id)
		}
		return nil
	}
	names, uids, keys, buckets, images, tasks := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, a := range f.Accounts {
		if a.Name == "" {
			return fail("accounts[%d]: name is empty", i)
		}
		if names[a.Name] {
			return fail("account %q is defined twice", a.Name)
		}
		names[a.Name] = true
		if a.ID == "" || uids[a.ID] {
			return fail("account %q: id %q is empty or used twice", a.Name, a.ID)
		}
		uids[a.ID] = true
		if err := a.Quotas.validate("account " + a.Name + ": quotas"); err != nil {
			return err
		}
		for _, k := range a.Keys {
			if k.ID == "" || k.Secret == "" {
				return fail("account %q: a key has an empty id or secret", a.Name)
			}
			if keys[k.ID] {
				return fail("access key %q is defined twice", k.ID)
			}
			keys[k.ID] = true
		}
		roles := map[string]bool{}
		for _, r := range a.Roles {
			if r.Name == "" || roles[r.Name] {
				return fail("account %q: role %q is unnamed or defined twice", a.Name, r.Name)
			}
			roles[r.Name] = true
		}
		for _, b := range a.Buckets {
			if b.Name == "" || buckets[b.Name] {
				return fail("bucket %q is unnamed or defined twice", b.Name)
			}
			buckets[b.Name] = true
			if err := region("bucket "+b.Name, b.Region); err != nil {
				return err
			}
		}
		for _, im := range a.Images {
			if im.ID == "" || images[im.ID] {
				return fail("image %q is unnamed or defined twice", im.ID)
			}
			images[im.ID] = true
			if err := im.validate(); err != nil {
				return err
			}
			if err := region("image "+im.ID, im.Region); err != nil {
				return err
			}
		}
		for _, ts := range a.Tasks {
			if ts.ID == "" || tasks[ts.ID] {
				return fail("task %q is unnamed or defined twice", ts.ID)
			}
			tasks[ts.ID] = true
			if err := ts.validate(); err != nil {
				return err
			}
			if err := region("task "+ts.ID, ts.Region); err != nil {
				return err
			}
		}
	}
	return nil
}

func (q *QuotaSpec) validate(where string) error {
	if q != nil && (q.Concurrent < 0 || q.Weekly < 0) {
		return fmt.Errorf("fixtures: %s: limits must not be negative", where)
	}
	return nil
}

var imageStatuses = []string{"Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated"}

func (im *ImageSpec) validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("fixtures: image %s: "+format, append([]any{im.ID}, args...)...)
	}
	switch im.Origin {
	case "", OriginCustom, OriginMarketDerived, OriginMarketplace, OriginShared:
	default:
		return fail("unknown origin %q (custom, market-derived, marketplace or shared)", im.Origin)
	}
	if im.Status != "" && !slices.Contains(imageStatuses, im.Status) {
		return fail("unknown status %q", im.Status)
	}
	if _, err := im.created(); err != nil {
		return fail("created: %v", err)
	}
	if err := im.SystemDisk.validate(); err != nil {
		return fail("system disk: %v", err)
	}
	devices := map[string]bool{}
	for _, d := range im.DataDisks {
		if d.Device == "" || d.Device == "xvda" || devices[d.Device] {
			return fail("data disk device %q is empty, xvda or used twice", d.Device)
		}
		devices[d.Device] = true
		if err := d.validate(); err != nil {
			return fail("data disk %s: %v", d.Device, err)
		}
	}
	return nil
}

func (d *DiskSpec) validate() error {
	switch {
	case (d.Size > 0) == (d.SizeMiB > 0):
		return errors.New("exactly one of size (GiB) and sizeMiB must be positive")
	case d.Size < 0 || d.SizeMiB < 0 || d.DataMiB < 0:
		return errors.New("sizes must not be negative")
	case d.Size > 64<<10:
		return fmt.Errorf("size %d GiB is over 64 TiB", d.Size)
	case d.DataMiB<<20 > d.bytes():
		return fmt.Errorf("dataMiB %d is larger than the disk", d.DataMiB)
	}
	return nil
}

// bytes is the disk's virtual size.
func (d *DiskSpec) bytes() int64 {
	if d.SizeMiB > 0 {
		return d.SizeMiB << 20
	}
	return d.Size << 30
}

// sizeGiB is the size DescribeImages reports (rounded up).
func (d *DiskSpec) sizeGiB() int64 { return (d.bytes() + 1<<30 - 1) >> 30 }
