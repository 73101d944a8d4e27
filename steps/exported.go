package steps

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cucumber/godog"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/reference/diskimage"
)

// Then steps on the objects an export task names: their names, their presence in the bucket,
// and the disk images they hold. Reading and deleting objects is in objects.go.

// objectsStartWithPrefix checks every object the task names starts with the request's
// OSSPrefix ("Prefix of the OSS object", the only naming fact the document gives).
func (w *world) objectsStartWithPrefix(ctx context.Context) error {
	if err := w.needTask(); err != nil {
		return err
	}
	keys, err := w.exportedObjects(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, w.task.prefix) {
			return w.failf("object %q, want a name starting with the OSSPrefix %q", k, w.task.prefix)
		}
	}
	return nil
}

// taskObjects returns the OSSObject related items of the task.
func (w *world) taskObjects(ctx context.Context) ([]string, error) {
	b, err := w.taskAttr(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, op := range operations(b) {
		items, _ := op["RelatedItemSet"].(map[string]any)
		for _, it := range acs.AsList(items["RelatedItem"]) {
			m, _ := it.(map[string]any)
			if str(m["Name"]) == "OSSObject" {
				keys = append(keys, str(m["Value"]))
			}
		}
	}
	sort.Strings(keys)
	w.recordObjects(keys)
	return keys, nil
}

func (w *world) reportsObjects(ctx context.Context, table *godog.Table) error {
	if err := w.needTask(); err != nil {
		return err
	}
	var want []string
	for _, row := range table.Rows {
		v, err := w.cfg.Fixtures.expand(row.Cells[0].Value, w.vars())
		if err != nil {
			return w.check(err)
		}
		want = append(want, v)
	}
	sort.Strings(want)
	got, err := w.taskObjects(ctx)
	if err != nil {
		return err
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return w.failf("task objects = %q, want %q", got, want)
	}
	return nil
}

// bucketHolds checks every object the task names exists in its bucket.
func (w *world) bucketHolds(ctx context.Context) error {
	return w.bucketHoldsN(ctx, -1)
}

// bucketHoldsN is bucketHolds with the number of objects expected (-1: any, at least one).
func (w *world) bucketHoldsN(ctx context.Context, n int) error {
	keys, err := w.exportedObjects(ctx)
	if err != nil {
		return err
	}
	if n >= 0 && len(keys) != n {
		return w.failf("task objects = %d %q, want %d", len(keys), keys, n)
	}
	return w.readObjects(ctx, keys, func(key string, _ io.ReaderAt, size int64) error {
		if size == 0 {
			return w.failf("object %q size = 0, want > 0", key)
		}
		return nil
	})
}

// objectsValid reads every exported object back: the header magic names the requested format,
// and the disk it holds, converted back to raw, has the source disk's virtual size and SHA-256.
func (w *world) objectsValid(ctx context.Context, format string) error {
	keys, err := w.exportedObjects(ctx)
	if err != nil {
		return err
	}
	sums, sizes, reason := w.sourceDisks(ctx)
	err = w.readObjects(ctx, keys, func(key string, r io.ReaderAt, size int64) error {
		return w.checkObject(key, r, size, format, sums, sizes)
	})
	if err != nil {
		return err
	}
	if reason != "" {
		return w.skipf("formats checked; round trip not checked: %s", reason)
	}
	return nil
}

// objectsOfFormat checks each exported object's header names the format and opens as it,
// without the round trip (for images too large to hash in a test run).
func (w *world) objectsOfFormat(ctx context.Context, format string) error {
	keys, err := w.exportedObjects(ctx)
	if err != nil {
		return err
	}
	return w.readObjects(ctx, keys, func(key string, r io.ReaderAt, size int64) error {
		return w.checkObject(key, r, size, format, nil, nil)
	})
}

// exportedObjects is the OSSObject names of the scenario's task; a task naming none fails.
func (w *world) exportedObjects(ctx context.Context) ([]string, error) {
	keys, err := w.taskObjects(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, w.failf("the task names no OSSObject")
	}
	return keys, nil
}

// readObjects opens each of keys in the task's bucket in turn and hands it to fn.
func (w *world) readObjects(ctx context.Context, keys []string, fn func(key string, r io.ReaderAt, size int64) error) error {
	for _, k := range keys {
		r, size, done, err := w.openObject(ctx, w.task.bucket, k)
		if err != nil {
			return w.failf("object %q in bucket %q: %v", k, w.task.bucket, err)
		}
		err = fn(k, r, size)
		done()
		if err != nil {
			return err
		}
	}
	return nil
}

// checkObject checks the format of one exported object and, given the source disks' sums
// and sizes, that it holds the disk its name gives.
func (w *world) checkObject(key string, r io.ReaderAt, size int64, format string, sums map[string]string, sizes map[string]int64) error {
	got, err := diskimage.Detect(r, size)
	if err != nil {
		return w.failf("object %q: detect format: %v", key, err)
	}
	if string(got) != format {
		return w.failf("object %q format = %q, want %q", key, got, format)
	}
	img, err := diskimage.Open(r, size)
	if err != nil {
		return w.failf("object %q: open as %s: %v", key, format, err)
	}
	dev := deviceOf(key, w.task.image)
	if sums == nil {
		return nil
	}
	want, ok := sums[dev]
	if !ok {
		return w.failf("object %q names disk %q, which the source image does not have", key, dev)
	}
	if s, ok := sizes[dev]; ok && s > 0 && img.Size() != s {
		return w.failf("object %q virtual size = %d, want %d", key, img.Size(), s)
	}
	sum, err := diskimage.Checksum(img)
	if err != nil {
		return w.failf("object %q: read back: %v", key, err)
	}
	if sum != want {
		return w.failf("object %q sha256 = %s, want %s (source disk %s)", key, sum, want, dev)
	}
	return nil
}

// deviceOf extracts the disk of an object key: "system" from …_<image>_system.<ext>, "xvdb"
// from …_<image>_data_xvdb.<ext>.
func deviceOf(key, image string) string {
	rest := key
	if i := strings.LastIndex(key, image+"_"); i >= 0 {
		rest = key[i+len(image)+1:]
	}
	if j := strings.IndexByte(rest, '.'); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimPrefix(rest, "data_")
}

// sourceDisks gives the source checksums: from the control API, else from the fixtures file;
// else a reason why the round trip cannot be checked.
func (w *world) sourceDisks(ctx context.Context) (map[string]string, map[string]int64, string) {
	if w.cfg.Control != nil {
		disks, err := w.cfg.Control.Disks(ctx, w.task.image)
		if err == nil {
			sums, sizes := map[string]string{}, map[string]int64{}
			for _, d := range disks {
				sums[d.Device], sizes[d.Device] = d.SHA256, d.Size
			}
			return sums, sizes, ""
		}
		return nil, nil, fmt.Sprintf("control API: %v", err)
	}
	for _, img := range w.cfg.Fixtures.Images {
		if img.ID == w.task.image && len(img.Disks) > 0 {
			return img.Disks, nil, ""
		}
	}
	return nil, nil, fmt.Sprintf("the fixtures file gives no source-disk checksums for image %q", w.task.image)
}
