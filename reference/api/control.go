package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/spec"
)

// ControlPrefix is where the control API lives, apart from the ECS API.
const ControlPrefix = "/_reference/"

// maxControlBody bounds a control request body (fixtures documents are the largest).
const maxControlBody = 4 << 20

// Control serves the reference's control API (docs/reference.md, "Control API"): fixtures,
// the virtual clock, quotas, faults, bucket objects, source-disk checksums, accounts and STS
// tokens. Every route but /_reference/health needs "Authorization: Bearer <token>". Answers
// are JSON; errors are {"error": "..."} with a 4xx status.
type Control struct {
	svc   *ecs.Service
	token string
	mux   *http.ServeMux
}

// NewControl returns the control handler for svc, protected by token (which must not be empty).
func NewControl(svc *ecs.Service, token string) (*Control, error) {
	if token == "" {
		return nil, errors.New("api: the control token must not be empty")
	}
	c := &Control{svc: svc, token: token, mux: http.NewServeMux()}
	p := ControlPrefix
	c.mux.HandleFunc("GET "+p+"health", func(w http.ResponseWriter, r *http.Request) { reply(w, map[string]bool{"ok": true}) })
	c.mux.HandleFunc("POST "+p+"reset", c.reset)
	c.mux.HandleFunc("POST "+p+"fixtures", c.fixtures)
	c.mux.HandleFunc("GET "+p+"clock", c.clock)
	c.mux.HandleFunc("POST "+p+"clock/advance", c.advance)
	c.mux.HandleFunc("PUT "+p+"quotas", c.quotas)
	c.mux.HandleFunc("POST "+p+"faults", c.faults)
	c.mux.HandleFunc("GET "+p+"buckets/{bucket}/objects", c.objects)
	c.mux.HandleFunc("GET "+p+"buckets/{bucket}/objects/{key...}", c.object)
	c.mux.HandleFunc("GET "+p+"images/{image}/disks", c.disks)
	c.mux.HandleFunc("GET "+p+"accounts", c.accounts)
	c.mux.HandleFunc("POST "+p+"sts", c.sts)
	return c, nil
}

func (c *Control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-acs-request-id", NewRequestID())
	if r.URL.Path != ControlPrefix+"health" {
		got := []byte(r.Header.Get("Authorization"))
		want := []byte("Bearer " + c.token)
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eic-reference"`)
			replyError(w, http.StatusUnauthorized, errors.New("control API: missing or wrong bearer token"))
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
	c.mux.ServeHTTP(w, r)
}

func (c *Control) reset(w http.ResponseWriter, r *http.Request) {
	if err := c.svc.Reset(); err != nil {
		replyError(w, http.StatusInternalServerError, err)
		return
	}
	reply(w, map[string]bool{"ok": true})
}

func (c *Control) fixtures(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		replyError(w, http.StatusRequestEntityTooLarge, err)
		return
	}
	if err := c.svc.LoadFixtures(data, r.URL.Query().Get("mode") == "extend"); err != nil {
		replyError(w, http.StatusBadRequest, err)
		return
	}
	reply(w, map[string]bool{"ok": true})
}

type clockState struct {
	Now     time.Time `json:"now"`
	Virtual bool      `json:"virtual"`
}

func (c *Control) clock(w http.ResponseWriter, r *http.Request) {
	reply(w, clockState{Now: c.svc.Now(), Virtual: c.svc.Virtual()})
}

func (c *Control) advance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Duration string `json:"duration"`
	}
	if !decode(w, r, &in) {
		return
	}
	d, err := time.ParseDuration(in.Duration)
	if err != nil {
		replyError(w, http.StatusBadRequest, fmt.Errorf("duration: %w", err))
		return
	}
	now, err := c.svc.Advance(d)
	if err != nil {
		replyError(w, http.StatusConflict, err)
		return
	}
	reply(w, clockState{Now: now, Virtual: true})
}

func (c *Control) quotas(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Account    string `json:"account"`
		Region     string `json:"region"`
		Concurrent int    `json:"concurrent"`
		Weekly     int    `json:"weekly"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := c.svc.SetQuota(in.Account, in.Region, in.Concurrent, in.Weekly); err != nil {
		replyError(w, http.StatusBadRequest, err)
		return
	}
	reply(w, in)
}

func (c *Control) faults(w http.ResponseWriter, r *http.Request) {
	var f ecs.Fault
	if !decode(w, r, &f) {
		return
	}
	if err := c.svc.InjectFault(f); err != nil {
		replyError(w, http.StatusBadRequest, err)
		return
	}
	reply(w, f)
}

type objectInfo struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
	ETag string `json:"etag"`
}

func (c *Control) objects(w http.ResponseWriter, r *http.Request) {
	list, err := c.svc.ListObjects(r.Context(), r.PathValue("bucket"))
	if err != nil {
		replyError(w, storeStatus(err), err)
		return
	}
	out := make([]objectInfo, 0, len(list))
	for _, o := range list {
		out = append(out, objectInfo{Key: o.Key, Size: o.Size, ETag: o.ETag})
	}
	reply(w, out)
}

func (c *Control) object(w http.ResponseWriter, r *http.Request) {
	rd, err := c.svc.ReadObject(r.Context(), r.PathValue("bucket"), r.PathValue("key"))
	if err != nil {
		replyError(w, storeStatus(err), err)
		return
	}
	defer rd.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(rd.Size()))
	_, _ = io.Copy(w, rd) // a client that goes away mid-download needs no answer
}

func (c *Control) disks(w http.ResponseWriter, r *http.Request) {
	disks, err := c.svc.ImageDisks(r.Context(), r.PathValue("image"))
	if err != nil {
		status := http.StatusInternalServerError
		var se *spec.Error
		if errors.As(err, &se) {
			status = http.StatusNotFound
		}
		replyError(w, status, err)
		return
	}
	reply(w, disks)
}

func (c *Control) accounts(w http.ResponseWriter, r *http.Request) {
	reply(w, c.svc.Accounts())
}

func (c *Control) sts(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Account string `json:"account"`
		TTL     string `json:"ttl"`
	}
	if !decode(w, r, &in) {
		return
	}
	ttl := time.Hour
	if in.TTL != "" {
		var err error
		if ttl, err = time.ParseDuration(in.TTL); err != nil {
			replyError(w, http.StatusBadRequest, fmt.Errorf("ttl: %w", err))
			return
		}
	}
	tok, err := c.svc.IssueToken(in.Account, ttl)
	if err != nil {
		replyError(w, http.StatusBadRequest, err)
		return
	}
	reply(w, tok)
}

// decode reads a JSON body strictly (unknown fields are errors), answering 400 itself.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		replyError(w, http.StatusBadRequest, fmt.Errorf("request body: %w", err))
		return false
	}
	return true
}

func storeStatus(err error) int {
	if errors.Is(err, oss.ErrNoSuchBucket) || errors.Is(err, oss.ErrNoSuchKey) {
		return http.StatusNotFound
	}
	if errors.Is(err, oss.ErrInvalidName) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

func replyError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
