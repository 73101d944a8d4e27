package steps

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/exportimage/eic/internal/objects"
)

// TestObjects_DeletedAfterScenario: the object steps read exported objects with the OSS SDK
// through the embedded reference's OSS endpoint, and delete them after the scenario unless
// KeepObjects; the report says which. The last scenario's objects are checked on the endpoint
// itself (no reset follows it).
func TestObjects_DeletedAfterScenario(t *testing.T) {
	for _, keep := range []bool{false, true} {
		ref, cfg := startReference(t)
		cfg.KeepObjects = keep
		rep, err := Run(RunOptions{Config: cfg, Tags: "@core && @EI-R19 && @EI-R2", Output: io.Discard, Format: "progress"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Summary.Passed == 0 || rep.Summary.Failed > 0 {
			t.Fatalf("keep=%v: %+v, want the export scenario to pass", keep, rep.Summary)
		}
		if len(rep.Created.Objects) == 0 {
			t.Fatalf("keep=%v: the report lists no created object", keep)
		}
		main := cfg.Fixtures.Accounts["main"]
		c, err := objects.New(objects.Config{Endpoint: ref.OSSURL, Region: "ap-southeast-1", PathStyle: true,
			AccessKeyID: main.AccessKeyID, AccessKeySecret: main.AccessKeySecret})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range rep.Created.Objects {
			if o.Deleted == keep || o.DeleteError != "" {
				t.Errorf("keep=%v: object %s/%s deleted=%v (%s)", keep, o.Bucket, o.Key, o.Deleted, o.DeleteError)
			}
			_, err := c.Head(context.Background(), o.Bucket, o.Key)
			switch {
			case keep && err != nil:
				t.Errorf("keep=%v: HEAD %s/%s: %v, want the object kept", keep, o.Bucket, o.Key, err)
			case !keep && !errors.Is(err, objects.ErrNoSuchKey):
				t.Errorf("keep=%v: HEAD %s/%s: %v, want NoSuchKey", keep, o.Bucket, o.Key, err)
			}
		}
	}
}
