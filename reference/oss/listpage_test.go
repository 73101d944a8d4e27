package oss_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/exportimage/eic/reference/oss"
)

func TestMemory_ListPageAgreesWithList(t *testing.T) {
	ctx := context.Background()
	m := oss.NewMemory()
	if err := m.CreateBucket(ctx, oss.Bucket{Name: "b-1", Region: "r", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		u, err := m.Create(ctx, "b-1", fmt.Sprintf("k%02d/%d", i%7, i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	for _, prefix := range []string{"", "k3", "none"} {
		all, err := m.List(ctx, "b-1", prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{1, 4, 100} {
			var got []oss.Object
			after := ""
			for {
				page, err := m.ListPage(ctx, "b-1", prefix, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page...)
				if len(page) < limit {
					break
				}
				after = page[len(page)-1].Key
			}
			if len(got) != len(all) {
				t.Fatalf("prefix %q limit %d: %d objects, List gives %d", prefix, limit, len(got), len(all))
			}
			for i := range got {
				if got[i].Key != all[i].Key {
					t.Fatalf("prefix %q limit %d: [%d] = %s, List gives %s", prefix, limit, i, got[i].Key, all[i].Key)
				}
			}
		}
	}
	if _, err := m.ListPage(ctx, "nothere", "", "", 1); !errors.Is(err, oss.ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
}
