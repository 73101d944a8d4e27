package acs

import (
	"net/http"
	"testing"
	"time"
)

func benchV3Request(b *testing.B) *http.Request {
	s := fixedSigner("")
	r, err := s.NewRequest(b.Context(), Call{Endpoint: "http://127.0.0.1:8080", Action: "ExportImage", Params: exportParams()})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkSignV3(b *testing.B) {
	r := benchV3Request(b)
	c := Credentials{KeyID: "testid", Secret: "testsecret"}
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		SignV3(r, nil, c, date, "3156853299f313e23d1673dc12e1703d")
	}
}

func BenchmarkVerifyV3(b *testing.B) {
	r := benchV3Request(b)
	b.ReportAllocs()
	for b.Loop() {
		a, err := ParseV3(r, nil)
		if err != nil || !a.Verify("testsecret") {
			b.Fatal("does not verify", err)
		}
	}
}

func BenchmarkVerifyV1(b *testing.B) {
	s := fixedSigner("v1")
	r, err := s.NewRequest(b.Context(), Call{Endpoint: "http://127.0.0.1:8080", Action: "ExportImage", Params: exportParams()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, err := ParseV1(r.URL.Query(), r.Method)
		if err != nil || !a.Verify("testsecret") {
			b.Fatal("does not verify", err)
		}
	}
}

func BenchmarkNonceCacheCheck(b *testing.B) {
	c := NewNonceCache(1 << 12)
	keys := make([]string, 1<<14)
	for i := range keys {
		keys[i] = NewNonce()
	}
	now := time.Unix(0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Check("scope", keys[i&(len(keys)-1)], now, now.Add(time.Minute))
		i++
	}
}
