package ecs

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/spec/errcode"
)

// Param is a request parameter that may be absent: absent (Present false) differs from
// present and empty.
type Param struct {
	Value   string
	Present bool
}

// P is a present parameter.
func P(v string) Param { return Param{Value: v, Present: true} }

// ExportImageRequest carries the parameters of ExportImage as received.
type ExportImageRequest struct {
	RegionID    Param
	ImageID     Param
	OSSBucket   Param
	OSSPrefix   Param
	ImageFormat Param
	RoleName    Param
	DryRun      bool
}

// ExportImageResult is the answer of ExportImage (the API layer adds RequestId).
type ExportImageResult struct {
	RegionId string `json:"RegionId"`
	TaskId   string `json:"TaskId"`
}

// OSSPrefixPattern is the OSSPrefix rule (EI-R2): 1–30 ASCII letters or digits. It is the
// pattern of the parameter in spec/openapi.yaml (TestOSSPrefixPattern_MatchesSpec); the fuzz
// model keeps its own copy on purpose, as an independent oracle.
const OSSPrefixPattern = `^[A-Za-z0-9]{1,30}$`

var ossPrefix = regexp.MustCompile(OSSPrefixPattern)

// ValidOSSPrefix reports whether a given OSSPrefix follows the rule (OSSPrefixPattern).
func ValidOSSPrefix(prefix string) bool { return ossPrefix.MatchString(prefix) }

// Data-disk limits of the document (rule 2).
const (
	MaxDataDisks   = 4
	MaxDataDiskGiB = 500
)

// ExportImage checks a request in the order of docs/reference.md ("ExportImage: order of
// checks"; the first failing check wins) and creates a Waiting task. Every failure is a
// *errcode.Error. A DryRun that passes every check answers DryRunOperation and changes nothing
// (except that it consumes an injected fail-submit fault, which fires at check 12 like any
// other submission).
func (s *Service) ExportImage(ctx context.Context, accountName string, req ExportImageRequest) (ExportImageResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	now := s.clock.Now()

	// 1. Required parameters, in the document's order; present-but-empty is missing.
	switch {
	case req.RegionID.Value == "":
		return ExportImageResult{}, errcode.MissingRegionID.Err()
	case req.ImageID.Value == "":
		return ExportImageResult{}, errcode.MissingImageID.Err()
	case req.OSSBucket.Value == "":
		return ExportImageResult{}, errcode.MissingOSSBucket.Err()
	}
	// 2. OSSPrefix shape. Real ECS: unknown whether an empty OSSPrefix is ignored or malformed;
	// the reference calls it malformed.
	if req.OSSPrefix.Present && !ValidOSSPrefix(req.OSSPrefix.Value) {
		return ExportImageResult{}, errcode.InvalidOSSPrefix.Err()
	}
	// 3. ImageFormat: exact lower-case names. Real ECS: case sensitivity undocumented.
	format := diskimage.Raw
	if req.ImageFormat.Present {
		f, err := diskimage.ParseFormat(req.ImageFormat.Value)
		if err != nil {
			return ExportImageResult{}, errcode.InvalidImageFormat.Err()
		}
		format = f
	}
	// 4. Region: exists, exports, honours the format. Real ECS (protocol.md F) silently
	// produces raw where the format is not honoured; the current document's
	// InvalidImageFormat.RegionNotSupported is what the reference answers instead.
	reg, ok := s.st.regions[req.RegionID.Value]
	switch {
	case !ok:
		return ExportImageResult{}, errcode.InvalidRegionID.Err()
	case !reg.spec.Export:
		return ExportImageResult{}, errcode.RegionNotSupport.Err()
	case !reg.honours(format):
		return ExportImageResult{}, errcode.FormatRegionNotSupported.Err()
	}
	// 5. Allow list. Real ECS: the precedence of checks 5–13 is not documented; the order is
	// the reference's (parameters, existence, state, quota).
	acc := s.st.accounts[accountName]
	if acc == nil {
		return ExportImageResult{}, fmt.Errorf("ecs: unknown account %q", accountName)
	}
	if !acc.allowListed {
		return ExportImageResult{}, errcode.UserNotInTheWhiteList.Err()
	}
	// 6. The image must be the account's own, in this region. Real ECS: a shared image is
	// assumed not exportable by the account it is shared with, so it is "not found" here.
	im := s.st.images[req.ImageID.Value]
	if im == nil || im.owner != accountName || im.spec.Region != reg.spec.ID || im.spec.Origin == OriginShared {
		return ExportImageResult{}, errcode.InvalidImageID.Err()
	}
	// 7. Image properties.
	switch {
	case !validImageName(im.spec.Name):
		return ExportImageResult{}, errcode.InvalidImageName.Err()
	case im.spec.Origin == OriginMarketplace:
		return ExportImageResult{}, errcode.MarketImageForbidden.Err()
	case im.spec.Origin == OriginMarketDerived:
		return ExportImageResult{}, errcode.MarketDerivedImage.Err()
	case im.spec.Encrypted:
		return ExportImageResult{}, errcode.EncryptedImage.Err()
	case im.spec.License != "":
		return ExportImageResult{}, errcode.ImageLicenseNotSupported.Err(im.spec.License)
	case im.status() != "Available":
		return ExportImageResult{}, errcode.IncorrectImageStatus.Err()
	}
	// 8. Data disks. Real ECS: the document lists both OperationDenied and the 4 × 500 GiB
	// limit; the reference denies data disks only where the account or region lacks the
	// capability, and applies the limit elsewhere.
	if data := im.disks[1:]; len(data) > 0 {
		if !acc.dataDiskExport || !reg.dataDiskExport {
			return ExportImageResult{}, errcode.OperationDenied.Err()
		}
		if len(data) > MaxDataDisks {
			return ExportImageResult{}, errcode.DiskAmountOrSize.Err(fmt.Sprintf("the image has %d data disks; at most %d can be exported", len(data), MaxDataDisks))
		}
		for _, d := range data {
			if d.sizeGiB > MaxDataDiskGiB {
				return ExportImageResult{}, errcode.DiskAmountOrSize.Err(fmt.Sprintf("data disk %s is %d GiB; a data disk can be at most %d GiB", d.device, d.sizeGiB, MaxDataDiskGiB))
			}
		}
	}
	// 9. RAM role: RoleName's role (the default role without it) must exist, trust ECS and
	// allow the OSS actions. Real ECS: the seed called other names invalid, the current
	// document does not; a role that does not exist (an empty RoleName included) is refused.
	if acc.roleProblem(req.RoleName) != "" {
		return ExportImageResult{}, errcode.NoSetRole.Err()
	}
	// 10. Bucket: the account's, in the image's region. Real ECS: another account's bucket
	// is assumed "not found" rather than access-denied.
	b, err := s.store.Bucket(ctx, req.OSSBucket.Value)
	if err != nil || b.Owner != accountName {
		return ExportImageResult{}, errcode.BucketNotFound.Err()
	}
	if b.Region != reg.spec.ID {
		return ExportImageResult{}, errcode.BucketNotMatched.Err(fmt.Sprintf("the bucket %s is in %s but the image %s is in %s", b.Name, b.Region, im.spec.ID, reg.spec.ID))
	}
	// 11. One export of an image at a time. Real ECS: whether the lock is per image or per
	// image and bucket is unknown; per image here.
	if s.st.exporting[im.spec.ID] != nil {
		return ExportImageResult{}, errcode.ImageIsExporting.Err()
	}
	// 12. Source readable, or an injected submission fault.
	if im.spec.Unreadable {
		return ExportImageResult{}, errcode.ExportImageFailed.Err()
	}
	if _, ok := s.takeFault(accountName, FaultFailSubmit); ok {
		return ExportImageResult{}, errcode.ExportImageFailed.Err()
	}
	// 13. Quotas: concurrent, then weekly.
	sc := scope{accountName, reg.spec.ID}
	if err := s.checkQuota(sc, now); err != nil {
		return ExportImageResult{}, err
	}
	// 14. DryRun.
	if req.DryRun {
		return ExportImageResult{}, errcode.DryRunOperation.Err()
	}
	// 15. The task.
	t := s.newTask(sc, im, req.OSSBucket.Value, req.OSSPrefix.Value, format, now)
	if f, ok := s.takeFault(accountName, FaultFailExport, FaultStoreFail, FaultRemoveRole); ok {
		t.fault = &f
		t.faultAt = (t.total*int64(f.AtPercent) + 99) / 100
	}
	t.status = StatusWaiting
	s.addTask(t)
	s.st.submissions[sc] = append(s.st.submissions[sc], t.created)
	s.advance(t, now) // a zero wait (never, today) would start it at once
	return ExportImageResult{RegionId: reg.spec.ID, TaskId: t.id}, nil
}

// newTask builds a task (not yet registered) with a fresh ID and a creation time that never
// goes back, so the per-account index stays ordered by time as well as by sequence.
func (s *Service) newTask(sc scope, im *image, bucket, prefix string, format diskimage.Format, now time.Time) *task {
	id := s.ids.taskID()
	for s.st.tasks[id] != nil {
		id = s.ids.taskID()
	}
	if now.Before(s.st.lastCreated) {
		now = s.st.lastCreated
	}
	s.st.lastCreated = now
	s.st.seq++
	t := &task{id: id, seq: s.st.seq, sc: sc, image: im, bucket: bucket, prefix: prefix, format: format, created: now}
	for _, d := range im.disks {
		t.total += d.data
	}
	return t
}
