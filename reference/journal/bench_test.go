package journal_test

import (
	"context"
	"testing"

	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/reference/journal"
	"github.com/exportimage/eic/reference/oss"
)

// BenchmarkSubmitCancel measures ExportImage, DescribeTaskAttribute and CancelTask of the
// Waiting task (two state changes, no image data written) on a Dir store, without and with the
// bbolt journal of --store: the journal's cost is one fsynced transaction per state change.
//
//	go test -run '^$' -bench SubmitCancel -count 5 ./reference/journal
func BenchmarkSubmitCancel(b *testing.B) {
	for _, withJournal := range []bool{false, true} {
		name := "memory-state"
		if withJournal {
			name = "bolt-journal"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			store, err := oss.NewDir(dir)
			if err != nil {
				b.Fatal(err)
			}
			fx, err := ecs.ParseFixtures([]byte(fixtures))
			if err != nil {
				b.Fatal(err)
			}
			opts := []ecs.Option{ecs.WithClock(ecs.NewVirtualClock(start)), ecs.WithStore(store), ecs.WithFixtures(fx)}
			if withJournal {
				j, err := journal.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				defer j.Close()
				opts = append(opts, ecs.WithJournal(j))
			}
			s, err := ecs.Open(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.SetQuota("acme", "test-1", 5, 1<<30); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				res, err := s.ExportImage(ctx, "acme", ecs.ExportImageRequest{RegionID: ecs.P("test-1"),
					ImageID: ecs.P("m-a"), OSSBucket: ecs.P("acme-bkt")})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.DescribeTaskAttribute(ctx, "acme", "test-1", res.TaskId); err != nil {
					b.Fatal(err)
				}
				if err := s.CancelTask(ctx, "acme", "test-1", res.TaskId); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
