package ossapi_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/exportimage/eic/internal/osssig"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/eictest"
	"github.com/exportimage/eic/reference/oss"
)

const (
	benchObjectSize = 256 << 20
	benchRange      = 8 << 20
)

// BenchmarkRangedGet reads 8 MiB ranges of a 256 MiB object, with 1, 2 and 4 concurrent
// streams ("oss/2" is two goroutines each sending its own ranged GETs; "disk/2" two
// goroutines each doing ReadAt of its own ranges), at offsets cycling through the object:
//
//   - oss: V4-signed GetObject with Range through the OSS endpoint over loopback HTTP
//     (directory store, so the server sends the file with sendfile);
//   - bare: the same ranged GETs against net/http's own ServeContent of a plain file
//     (no signature, no store): the ceiling of any HTTP endpoint on this machine;
//   - disk: ReadAt of the same ranges from a file holding the same bytes (the peer).
//
// Both HTTP and file reads copy through a 1 MiB buffer per stream into a discarding writer;
// everything is warm in the page cache. Then, what tools run by default:
//
//   - sdkv2/download: the OSS SDK v2 Downloader with its defaults (3 parallel ranged GETs of
//     6 MiB, V4, CRC-64 computed client-side) downloads the whole object into /dev/null
//     (UseTempFile off: the only non-default, so nothing is written to disk);
//   - disk/download: the peer, 3 goroutines reading the file in 6 MiB parts with ReadAt.
//
// One op is one range (the download cases: the whole object). MB/s is wall clock;
// MB/cpu-s is bytes per second of CPU of the whole process (client and server are both in
// it), the figure that still means something on a loaded machine. scripts/bench-oss.sh
// prints the medians and the ratios oss ÷ disk, bare ÷ disk and sdkv2 ÷ disk.
func BenchmarkRangedGet(b *testing.B) {
	dir := b.TempDir()
	store, err := oss.NewDir(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(store)))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	peer, err := os.Create(filepath.Join(dir, "peer"))
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	u, err := store.Create(context.Background(), "eic-export", "big")
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for written := 0; written < benchObjectSize; written += len(chunk) {
		for i := range chunk {
			chunk[i] = byte(rng.Uint32())
		}
		if _, err := u.Write(chunk); err != nil {
			b.Fatal(err)
		}
		if _, err := peer.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := u.Commit(); err != nil {
		b.Fatal(err)
	}
	if err := peer.Sync(); err != nil { // no writeback of the peer during the runs
		b.Fatal(err)
	}
	cred := osssig.Credentials{AccessKeyID: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(peer.Name()) // one per request, as the endpoint does: streams seek
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "peer", time.Time{}, f)
	}))
	defer bare.Close()
	// One client per endpoint that keeps a connection per stream (net/http's default
	// keeps 2 idle per host, which would reconnect with 4 streams).
	newClient := func() *http.Client {
		return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}}
	}
	ossClient, bareClient := newClient(), newClient()
	defer ossClient.CloseIdleConnections()
	defer bareClient.CloseIdleConnections()

	// get reads the range at off from url with c into buf, each request passed through sign.
	get := func(c *http.Client, url string, sign func(*http.Request)) func(off int64, buf []byte) error {
		return func(off int64, buf []byte) error {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+benchRange-1))
			sign(req)
			res, err := c.Do(req)
			if err != nil {
				return err
			}
			n, err := io.CopyBuffer(discard{}, res.Body, buf)
			res.Body.Close()
			if err != nil || n != benchRange || res.StatusCode != http.StatusPartialContent {
				return fmt.Errorf("%s: %d bytes, %v", res.Status, n, err)
			}
			return nil
		}
	}
	ossGet := get(ossClient, srv.OSSURL+"/eic-export/big", func(req *http.Request) {
		osssig.SignV4(req, "eic-export", "big", "cn-hangzhou", cred, time.Now())
	})
	bareGet := get(bareClient, bare.URL+"/peer", func(*http.Request) {})
	diskGet := func(off int64, buf []byte) error {
		n, err := io.CopyBuffer(discard{}, io.NewSectionReader(peer, off, benchRange), buf)
		if err != nil || n != benchRange {
			return fmt.Errorf("%d bytes, %v", n, err)
		}
		return nil
	}
	for _, streams := range []int{1, 2, 4} {
		for _, c := range []struct {
			name string
			read func(off int64, buf []byte) error
		}{{"oss", ossGet}, {"bare", bareGet}, {"disk", diskGet}} {
			b.Run(fmt.Sprintf("%s/%d", c.name, streams), func(b *testing.B) { concurrentRanges(b, streams, c.read) })
		}
	}

	// What tools run: the SDK v2 Downloader with its defaults, against reading the file in
	// the same parts with the same parallelism.
	for _, c := range []struct {
		name  string
		noCRC bool
	}{{"sdkv2/download", false}, {"sdkv2/download-nocrc", true}} {
		cfg := ossv2.LoadDefaultConfig().
			WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.AccessKeySecret)).
			WithRegion("cn-hangzhou").WithEndpoint(srv.OSSURL).WithUsePathStyle(true)
		if c.noCRC {
			cfg = cfg.WithDisableDownloadCRC64Check(true)
		}
		downloader := ossv2.NewClient(cfg).NewDownloader()
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(benchObjectSize)
			cpu := cpuClock()
			for b.Loop() {
				res, err := downloader.DownloadFile(context.Background(),
					&ossv2.GetObjectRequest{Bucket: ossv2.Ptr("eic-export"), Key: ossv2.Ptr("big")}, os.DevNull,
					func(o *ossv2.DownloaderOptions) { o.UseTempFile = false })
				if err != nil {
					b.Fatal(err)
				}
				if res.Written != benchObjectSize {
					b.Fatalf("downloaded %d bytes, want %d", res.Written, benchObjectSize)
				}
			}
			reportCPU(b, cpu, int64(b.N)*benchObjectSize)
		})
	}
	b.Run("disk/download", func(b *testing.B) {
		b.SetBytes(benchObjectSize)
		cpu := cpuClock()
		part := ossv2.DefaultDownloadPartSize
		bufs := make([][]byte, ossv2.DefaultDownloadParallel)
		for i := range bufs {
			bufs[i] = make([]byte, 1<<20)
		}
		for b.Loop() {
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			for _, buf := range bufs {
				wg.Go(func() {
					for {
						off := (next.Add(1) - 1) * part
						if off >= benchObjectSize {
							return
						}
						n := min(part, benchObjectSize-off)
						if got, err := io.CopyBuffer(discard{}, io.NewSectionReader(peer, off, n), buf); err != nil || got != n {
							failed.Store(fmt.Errorf("part at %d: %d bytes, %v", off, got, err))
							return
						}
					}
				})
			}
			wg.Wait()
			if err := failed.Load(); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu, int64(b.N)*benchObjectSize)
	})
}

// concurrentRanges runs b.N reads of benchRange bytes on streams goroutines, each with its
// own buffer, taking the next offset (cycling through the object) from a shared counter.
func concurrentRanges(b *testing.B, streams int, read func(off int64, buf []byte) error) {
	b.SetBytes(benchRange)
	offsets := int64(benchObjectSize / benchRange)
	bufs := make([][]byte, streams)
	for i := range bufs {
		bufs[i] = make([]byte, 1<<20)
	}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu := cpuClock()
	for _, buf := range bufs {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := read(i%offsets*benchRange, buf); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	reportCPU(b, cpu, int64(b.N)*benchRange)
}

// cpuClock returns the process's user+system CPU time so far.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports bytes per second of process CPU since start ("MB/cpu-s").
func reportCPU(b *testing.B, start time.Duration, bytes int64) {
	if used := cpuClock() - start; used > 0 && start > 0 {
		b.ReportMetric(float64(bytes)/used.Seconds()/1e6, "MB/cpu-s")
	}
}

// BenchmarkListObjectsV2_100k pages through a bucket of 100 000 objects, 1 000 per page,
// with the OSS SDK v2 over loopback; one iteration is one page (ns/op is per page).
func BenchmarkListObjectsV2_100k(b *testing.B) {
	const total = 100_000
	store := oss.NewMemory()
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(store)))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	for i := range total {
		u, err := store.Create(ctx, "eic-export", fmt.Sprintf("exports/EcsExport%06d_m-eic-custom_system.raw.tar.gz", i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := u.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	c := v2Client(srv, srv.Demo, "", false)
	token := ""
	b.ReportAllocs()
	for b.Loop() {
		req := &ossv2ListRequest{Bucket: "eic-export", MaxKeys: 1000, Token: token}
		page, err := req.send(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Contents) != 1000 {
			b.Fatalf("a page of %d", len(page.Contents))
		}
		token = ""
		if page.IsTruncated {
			token = *page.NextContinuationToken
		}
	}
}

// discard is io.Discard without ReadFrom, so io.CopyBuffer uses the caller's buffer.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
