package ossapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/exportimage/eic/internal/osssig"
	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/spec"
)

// Domain is what the endpoint needs from the reference's domain: the same access keys
// and STS tokens as the ECS API, the accounts (for owner IDs) and the object store.
// *ecs.Service implements it.
type Domain interface {
	Key(accessKeyID string) (ecs.Key, bool)
	CheckToken(token, accessKeyID string) error
	Accounts() []ecs.AccountInfo
	Store() oss.Store
}

// Entry is one line of the request log.
type Entry struct {
	Time      time.Time
	RequestID string
	Method    string
	Op        string // operation name, e.g. GetObject
	Bucket    string
	Key       string
	Account   string
	Status    int
	Code      string // error code, "" on success
	Duration  time.Duration
}

// Handler serves the OSS API.
type Handler struct {
	d   Domain
	now func() time.Time // time.Now: signatures are checked against the wall clock, never the domain's virtual one
	log func(Entry)
}

// Option configures New.
type Option func(*Handler)

// WithLog receives one Entry per request.
func WithLog(f func(Entry)) Option { return func(h *Handler) { h.log = f } }

// New returns the OSS endpoint over d.
func New(d Domain, opts ...Option) *Handler {
	h := &Handler{d: d, now: time.Now}
	for _, o := range opts {
		o(h)
	}
	return h
}

// newRequestID returns 24 upper-case hex digits, the shape of OSS request IDs.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// request is one request being served.
type request struct {
	w         http.ResponseWriter
	r         *http.Request
	requestID string
	bucket    string
	key       string
	hasKey    bool
	account   string
	op        string
	status    int
	code      string
}

func (x *request) fail(e *apiError) {
	x.status, x.code = e.code.Status, e.code.Code
	e.write(x.w, x.r, x.requestID)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &request{w: w, r: r, requestID: newRequestID(), status: http.StatusOK}
	w.Header().Set("x-oss-request-id", x.requestID)
	w.Header().Set("Server", "AliyunOSS")
	w.Header().Set("Date", h.now().UTC().Format(http.TimeFormat))
	if err := h.serve(x); err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = h.storeError(x, err)
		}
		x.fail(ae)
	}
	if h.log != nil {
		h.log(Entry{Time: start, RequestID: x.requestID, Method: r.Method, Op: x.op, Bucket: x.bucket, Key: x.key,
			Account: x.account, Status: x.status, Code: x.code, Duration: time.Since(start)})
	}
}

// storeError maps a Store error to the OSS code.
func (h *Handler) storeError(x *request, err error) *apiError {
	switch {
	case errors.Is(err, oss.ErrNoSuchBucket):
		return newError(errNoSuchBucket, "BucketName", x.bucket)
	case errors.Is(err, oss.ErrNoSuchKey):
		return newError(errNoSuchKey, "Key", x.key)
	case errors.Is(err, oss.ErrInvalidName):
		if x.hasKey {
			return newError(errInvalidObjectName, "Key", x.key)
		}
		return newError(errInvalidBucketName, "BucketName", x.bucket)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return newError(errInternal).withDetail("the request was cancelled: %v", err)
	}
	return newError(errInternal).withDetail("%v", err)
}

func (h *Handler) serve(x *request) error {
	if err := h.address(x); err != nil {
		return err
	}
	if err := h.authenticate(x); err != nil {
		return err
	}
	r := x.r
	q := r.URL.Query()
	if x.bucket == "" {
		if r.Method != http.MethodGet {
			return newError(errMethodNotAllowed)
		}
		x.op = "ListBuckets"
		return h.listBuckets(x)
	}
	b, err := h.d.Store().Bucket(r.Context(), x.bucket)
	if err != nil {
		return err
	}
	if b.Owner != x.account {
		return newError(errAccessDenied, "BucketName", x.bucket)
	}
	if !x.hasKey {
		switch {
		case r.Method == http.MethodGet && q.Has("bucketInfo"):
			x.op = "GetBucketInfo"
			return h.bucketInfo(x, b)
		case r.Method == http.MethodGet && q.Has("location"):
			x.op = "GetBucketLocation"
			return h.bucketLocation(x, b)
		case r.Method == http.MethodGet && q.Has("acl"):
			x.op = "GetBucketAcl"
			return h.bucketACL(x, b)
		case r.Method == http.MethodGet && q.Get("list-type") == "2":
			x.op = "ListObjectsV2"
			return h.listObjects(x, b, true)
		case r.Method == http.MethodGet && !hasSubresource(q):
			x.op = "ListObjects"
			return h.listObjects(x, b, false)
		case r.Method == http.MethodPost && q.Has("delete"):
			x.op = "DeleteMultipleObjects"
			return h.deleteMultiple(x)
		case r.Method == http.MethodGet || r.Method == http.MethodPut || r.Method == http.MethodPost || r.Method == http.MethodDelete:
			x.op = "Bucket" + r.Method
			return newError(errNotImplemented)
		}
		return newError(errMethodNotAllowed)
	}
	switch {
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && !hasSubresource(q):
		x.op = map[string]string{http.MethodGet: "GetObject", http.MethodHead: "HeadObject"}[r.Method]
		return h.getObject(x)
	case r.Method == http.MethodHead && q.Has("objectMeta"):
		x.op = "GetObjectMeta"
		return h.getObject(x)
	case r.Method == http.MethodDelete && !hasSubresource(q):
		x.op = "DeleteObject"
		return h.deleteObject(x)
	case r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPut ||
		r.Method == http.MethodPost || r.Method == http.MethodDelete:
		x.op = "Object" + r.Method
		return newError(errNotImplemented)
	}
	return newError(errMethodNotAllowed)
}

// hasSubresource reports whether q names an operation other than the plain one (a V1
// signed sub-resource other than the security token, or list-type).
func hasSubresource(q map[string][]string) bool {
	for k := range q {
		if k != "security-token" && osssig.SubResources[k] && !strings.HasPrefix(k, "response-") {
			return true
		}
	}
	return false
}

// address finds bucket and key. A request is virtual-hosted ("bucket.host/key") when the
// host is a name (not an IP) whose first label is an existing bucket, or when the name has
// at least three labels, its first label is a valid bucket name not starting with "oss",
// and the path does not start with an existing bucket; otherwise it is path style
// ("host/bucket/key"). So "oss-cn-hangzhou.aliyuncs.com/", "localhost:8081/b/k" and
// "127.0.0.1:8081/b/k" are path style, "b.localhost/k" and "b.oss-test.example/k" are not.
func (h *Handler) address(x *request) error {
	r := x.r
	host := r.Host
	if hn, _, err := net.SplitHostPort(host); err == nil {
		host = hn
	}
	path := r.URL.Path
	p := strings.TrimPrefix(path, "/")
	pathBucket, pathKey, _ := strings.Cut(p, "/")
	if first, rest, ok := strings.Cut(host, "."); ok && rest != "" && net.ParseIP(host) == nil && oss.CheckBucketName(first) == nil {
		virtual := h.bucketExists(x, first) ||
			strings.Count(host, ".") >= 2 && !strings.HasPrefix(first, "oss") && !h.bucketExists(x, pathBucket)
		if virtual {
			x.bucket = first
			x.key, x.hasKey = p, p != ""
			return h.checkNames(x)
		}
	}
	if p == "" {
		return nil
	}
	x.bucket, x.key = pathBucket, pathKey
	x.hasKey = x.key != ""
	return h.checkNames(x)
}

func (h *Handler) bucketExists(x *request, name string) bool {
	if oss.CheckBucketName(name) != nil {
		return false
	}
	_, err := h.d.Store().Bucket(x.r.Context(), name)
	return err == nil
}

func (h *Handler) checkNames(x *request) error {
	if err := oss.CheckBucketName(x.bucket); err != nil {
		return newError(errInvalidBucketName, "BucketName", x.bucket).withDetail("%v", err)
	}
	if x.hasKey {
		if err := oss.CheckKey(x.key); err != nil {
			return newError(errInvalidObjectName, "Key", x.key).withDetail("%v", err)
		}
	}
	return nil
}

// authenticate verifies the signature with the account's key and sets x.account.
func (h *Handler) authenticate(x *request) error {
	a, err := osssig.Parse(x.r, x.bucket, x.key)
	switch {
	case errors.Is(err, osssig.ErrAnonymous):
		return newError(errAnonymous)
	case err != nil:
		return newError(errInvalidArgument).withDetail("%v", err)
	}
	k, ok := h.d.Key(a.AccessKeyID)
	if !ok {
		return newError(errInvalidAccessKeyID, "OSSAccessKeyId", a.AccessKeyID)
	}
	if k.Disabled {
		return newError(errAccessKeyDisabled, "OSSAccessKeyId", a.AccessKeyID)
	}
	if !a.Verify(k.Secret) {
		return newError(errSignatureDoesNotMatch, "OSSAccessKeyId", a.AccessKeyID, "StringToSign", a.StringToSign,
			"StringToSignBytes", hexBytes(a.StringToSign))
	}
	switch err := a.CheckTime(h.now()); {
	case errors.Is(err, osssig.ErrExpired):
		return newError(errRequestExpired)
	case err != nil:
		return newError(errTimeTooSkewed)
	}
	if k.Temporary || a.SecurityToken != "" {
		if a.SecurityToken == "" {
			return newError(errInvalidAccessKeyID, "OSSAccessKeyId", a.AccessKeyID).withDetail("a temporary AccessKeyId needs its security token")
		}
		if err := h.d.CheckToken(a.SecurityToken, a.AccessKeyID); err != nil {
			if errors.Is(err, spec.SecurityTokenExpired.Err()) {
				return newError(errSecurityTokenExpired)
			}
			return newError(errInvalidSecurityToken).withDetail("%v", err)
		}
	}
	x.account = k.Account
	return nil
}

// hexBytes renders s as OSS's StringToSignBytes does: space-separated hex bytes.
func hexBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return b.String()
}

// accountID is the numeric ID of an account (its name when unknown).
func (h *Handler) accountID(name string) string {
	for _, a := range h.d.Accounts() {
		if a.Name == name {
			return a.ID
		}
	}
	return name
}
