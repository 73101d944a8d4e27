package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exportimage/eic/internal/acs"
)

// BenchmarkLoopback measures requests per second over real loopback HTTP: "bare" is a plain
// net/http handler writing a fixed JSON body (the peer), "v3" the protocol layer verifying a
// V3 signature, checking the nonce and rendering the same body, "v1" the same with a V1
// signature. The client signs every request in all three, so the difference is the server's
// work. Reported: req/s and the p99 latency of one request.
//
//	go test -run '^$' -bench Loopback -count 6 ./reference/api | tee bench.txt   (see docs/performance.md)
func BenchmarkLoopback(b *testing.B) {
	body := []byte(`{"Regions":{"Region":[{"RegionId":"cn-hangzhou"}]},"RequestId":"8F4D2C61-0C3B-4E8E-9D0A-4B3C2D1E0F9A"}`)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", acs.ContentTypeJSON)
		w.Header().Set("x-acs-request-id", "8F4D2C61-0C3B-4E8E-9D0A-4B3C2D1E0F9A")
		_, _ = w.Write(body)
	})
	h, err := New(fakeCreds{}, map[string]Action{
		"DescribeRegions": func(ctx context.Context, c *Call) (any, error) {
			return map[string]any{"Regions": map[string]any{"Region": []any{map[string]any{"RegionId": "cn-hangzhou"}}}}, nil
		},
	}, WithNoncesPerAccount(1<<24)) // one account sends every request: lift its share
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		handler http.Handler
		version string
	}{{"bare", bare, "v3"}, {"v3", h, "v3"}, {"v1", h, "v1"}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			signer := &acs.Signer{KeyID: "good", Secret: "good-secret", Version: tc.version}
			var mu sync.Mutex
			var lat []time.Duration
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					req, err := signer.NewRequest(context.Background(), acs.Call{Endpoint: srv.URL, Action: "DescribeRegions"})
					if err != nil {
						b.Error(err)
						return
					}
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mine = append(mine, time.Since(t0))
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if len(lat) == 0 {
				return
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkRefusal measures the server time (ServeHTTP in process, no network) of a refused
// 1 MB request against a valid small one: "valid-small" is a V3 DescribeRegions that succeeds;
// "1MB-unknown-key-v3" a 1 MB form body of 900 parameters signed with a key the server does
// not know; "1MB-bad-signature-v3" the same with a known key and a wrong secret (refused before
// the body is hashed); "1MB-…-v1" with V1 (refused by size, MaxV1Bytes, before the key);
// "32KB-bad-signature-v1" the largest V1 request, whose string to sign must cover every
// parameter; "too-many-params" 9,990 parameters (refused by count). The ratio of each
// to valid-small is the figure docs/performance.md quotes:
//
//	go test -run '^$' -bench Refusal -count 6 ./reference/api
func BenchmarkRefusal(b *testing.B) {
	h, err := New(fakeCreds{}, map[string]Action{
		"DescribeRegions": func(ctx context.Context, c *Call) (any, error) {
			return map[string]any{"Regions": map[string]any{"Region": []any{map[string]any{"RegionId": "cn-hangzhou"}}}}, nil
		},
	}, WithNoncesPerAccount(1<<24))
	if err != nil {
		b.Fatal(err)
	}
	big := url.Values{}
	for i := range 900 {
		big.Set(fmt.Sprintf("Tag.%d.Value", i), strings.Repeat("v", 1<<20/900-20))
	}
	v1Max := url.Values{} // as large as a V1 request may be, once signed
	for i := range 28 {
		v1Max.Set(fmt.Sprintf("Tag.%d.Value", i+1), strings.Repeat("v", 1<<10))
	}
	many := url.Values{}
	for i := range 9990 {
		many.Set(fmt.Sprintf("P%d", i), strings.Repeat("v", 90))
	}
	build := func(b *testing.B, s *acs.Signer, form url.Values) *http.Request {
		r, err := s.NewRequest(context.Background(), acs.Call{Endpoint: "http://eic.invalid", Action: "DescribeRegions", Form: form})
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	serve := func(b *testing.B, r *http.Request, body []byte, want int) {
		r.Body = io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			b.Fatalf("status %d, want %d: %s", w.Code, want, w.Body)
		}
	}
	refused := func(name string, s *acs.Signer, form url.Values, want int) {
		b.Run(name, func(b *testing.B) {
			r := build(b, s, form)
			body, _ := io.ReadAll(r.Body)
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				serve(b, r, body, want)
			}
		})
	}
	b.Run("valid-small", func(b *testing.B) {
		s := &acs.Signer{KeyID: "good", Secret: "good-secret"}
		reqs := make([]*http.Request, b.N)
		for i := range reqs {
			reqs[i] = build(b, s, nil)
		}
		b.ResetTimer()
		for i := range b.N {
			serve(b, reqs[i], nil, http.StatusOK)
		}
	})
	refused("1MB-unknown-key-v1", &acs.Signer{KeyID: "nobody", Secret: "x", Version: "v1"}, big, http.StatusRequestEntityTooLarge)
	refused("1MB-unknown-key-v3", &acs.Signer{KeyID: "nobody", Secret: "x"}, big, http.StatusNotFound)
	refused("1MB-bad-signature-v3", &acs.Signer{KeyID: "good", Secret: "wrong"}, big, http.StatusBadRequest)
	refused("1MB-bad-signature-v1", &acs.Signer{KeyID: "good", Secret: "wrong", Version: "v1"}, big, http.StatusRequestEntityTooLarge)
	refused("32KB-bad-signature-v1", &acs.Signer{KeyID: "good", Secret: "wrong", Version: "v1"}, v1Max, http.StatusBadRequest)
	refused("too-many-params", &acs.Signer{KeyID: "nobody", Secret: "x"}, many, http.StatusRequestEntityTooLarge)
}
