package fuzz

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/exportimage/eic/spec"
)

// Flags of the property tests. `make test` uses the defaults (fixed seed, bounded runs);
// run longer with, e.g.:
//
//	go test ./fuzz -run 'TestProperty' -fuzz.seed=$RANDOM -fuzz.runs=20000 -fuzz.seqs=500 -fuzz.disks=200
var (
	flagSeed  = flag.Int64("fuzz.seed", 1, "seed of the property tests (0: time-based)")
	flagRuns  = flag.Int("fuzz.runs", 300, "generated requests per stateless property")
	flagSeqs  = flag.Int("fuzz.seqs", 12, "generated sequences per stateful property")
	flagDisks = flag.Int("fuzz.disks", 12, "generated disks for the format round-trip property")
)

func testSeed(t testing.TB) int64 {
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -fuzz.seed=%d)", seed, seed)
	return seed
}

func embedded(t testing.TB, mutants ...string) *Embedded {
	t.Helper()
	e, err := NewEmbedded(mutants...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func generator(t testing.TB) *Generator {
	t.Helper()
	g, err := NewGenerator(spec.MustLoad(), DefaultWorld())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func started(t testing.TB, s *Session) *Session {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
