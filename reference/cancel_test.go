package reference_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/exportimage/eic/reference"
)

// hugeImage is an account with one image of 2 TiB of virtual disks (holes hash at about 1 GB/s:
// half an hour of a core), its seeds used by no other test so its checksum is never cached.
const hugeImage = `
accounts:
  - name: cpu
    id: "1000000000000099"
    keys: [{id: LTAI5tEicCpuKey00000099, secret: EicCpuSecret000000000000099}]
    images:
      - id: m-eic-cpu-huge
        region: cn-hangzhou
        name: eic-cpu-huge
        systemDisk: {size: 20, dataMiB: 1, seed: 90001}
        dataDisks:
          - {device: xvdb, size: 500, dataMiB: 1, seed: 90002}
          - {device: xvdc, size: 500, dataMiB: 1, seed: 90003}
          - {device: xvdd, size: 500, dataMiB: 1, seed: 90004}
          - {device: xvde, size: 500, dataMiB: 1, seed: 90005}
`

// TestServer_ChecksumStopsWhenClientLeaves: the control API's checksum of a huge image stops
// when its client goes away. The process's CPU rate while the checksum runs is compared with
// its rate after the client left (the machine may be shared, so no absolute figure): after, it
// must be near idle.
func TestServer_ChecksumStopsWhenClientLeaves(t *testing.T) {
	h := start(t, reference.WithExtraFixtures([]byte(hugeImage)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := h.ctl.Disks(ctx, "m-eic-cpu-huge")
		done <- err
	}()
	const window = 500 * time.Millisecond
	time.Sleep(100 * time.Millisecond)
	busy := cpuOver(t, window)
	select {
	case err := <-done:
		t.Fatalf("checksum of 2 TiB answered within %v (err %v); the test needs it to be slow", window, err)
	default:
	}
	cancel()
	<-done
	time.Sleep(200 * time.Millisecond) // the server notices the closed connection
	idle := cpuOver(t, window)
	t.Logf("CPU over %v: %v while hashing, %v after the client left", window, busy, idle)
	if busy < window/10 {
		t.Skipf("the machine gave the checksum only %v of CPU in %v: too loaded to compare", busy, window)
	}
	if idle > busy/4 {
		t.Errorf("CPU after the client left = %v, want under a quarter of the %v while hashing", idle, busy)
	}
}

// cpuOver is the CPU time the process uses during the next d.
func cpuOver(t *testing.T, d time.Duration) time.Duration {
	before := cpuTime(t)
	time.Sleep(d)
	return cpuTime(t) - before
}

func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
