package osssig

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Scheme names a signature version.
type Scheme string

const (
	SchemeV1 Scheme = "OSS"              // HMAC-SHA1
	SchemeV4 Scheme = "OSS4-HMAC-SHA256" // HMAC-SHA256 with a derived key
)

// Skew is how far a header signature's time may be from the server's clock.
const Skew = 15 * time.Minute

// MaxPresignV4 is the longest validity of a V4 presigned URL.
const MaxPresignV4 = 7 * 24 * time.Hour

// Credentials is what a client signs with; SecurityToken only for STS credentials.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// Errors Parse and CheckTime return; the caller maps them to OSS error codes.
var (
	// ErrAnonymous: the request carries no signature at all.
	ErrAnonymous = errors.New("osssig: anonymous request")
	// ErrMalformed: a signature is present but cannot be read (OSS: InvalidArgument or
	// AccessDenied depending on the part).
	ErrMalformed = errors.New("osssig: malformed authorization")
	// ErrSkewed: the header signature's time is more than Skew away (RequestTimeTooSkewed).
	ErrSkewed = errors.New("osssig: request time too skewed")
	// ErrExpired: the presigned URL has expired (AccessDenied "Request has expired.").
	ErrExpired = errors.New("osssig: presigned URL expired")
)

// Auth is the parsed, not yet verified authentication of one request.
type Auth struct {
	Scheme        Scheme
	Presigned     bool
	AccessKeyID   string
	SecurityToken string
	// Time is when the request was signed (Date or x-oss-date); for a V1 presigned URL,
	// which carries only its expiry, it is zero.
	Time time.Time
	// Expires is the end of a presigned URL's validity; zero for header signatures.
	Expires time.Time
	// Region is the region of a V4 scope.
	Region string
	// StringToSign is the server-side string to sign (OSS returns it in
	// SignatureDoesNotMatch errors so clients can compare).
	StringToSign string

	signature string
	scopeDate string
	product   string
}

// Verify reports whether the signature sent matches the one computed with secret, in
// constant time.
func (a *Auth) Verify(secret string) bool {
	var want string
	switch a.Scheme {
	case SchemeV1:
		want = signV1(secret, a.StringToSign)
	case SchemeV4:
		want = signV4(secret, a.scopeDate, a.Region, a.product, a.StringToSign)
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) == 1
}

// CheckTime applies the time rules at now: a header signature must be within Skew of
// now (ErrSkewed); a presigned URL must not have expired (ErrExpired).
func (a *Auth) CheckTime(now time.Time) error {
	if a.Presigned {
		if !now.Before(a.Expires) {
			return ErrExpired
		}
		return nil
	}
	if d := now.Sub(a.Time); d > Skew || d < -Skew {
		return ErrSkewed
	}
	return nil
}

// SubResources are the query parameters V1 signs (the union of the SDKs' lists); every
// parameter starting with "x-oss-" is signed too.
var SubResources = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`acl uploads location cors logging website referer lifecycle
		delete append tagging objectMeta uploadId partNumber security-token position img style
		styleName replication replicationProgress replicationLocation cname bucketInfo comp qos
		live status vod startTime endTime symlink response-content-type response-content-language
		response-expires response-cache-control response-content-disposition
		response-content-encoding udf udfName udfImage udfId udfImageDesc udfApplication
		udfApplicationLog restore callback callback-var qosInfo policy stat encryption versions
		versioning versionId requestPayment sequential inventory inventoryId continuation-token
		asyncFetch worm wormId wormExtend withHashContext transferAcceleration regionList
		cloudboxes metaQuery resourceGroup rtc responseHeader`) {
		SubResources[k] = true
	}
}

// resource is the canonical "/bucket/key" ("/" without a bucket, "/bucket/" without a key).
func resource(bucket, key string) string {
	if bucket == "" {
		return "/"
	}
	return "/" + bucket + "/" + key
}

// Parse reads the authentication of r, addressed to bucket and key ("" when absent).
// It returns ErrAnonymous when r carries none, an error wrapping ErrMalformed when it
// cannot be read.
func Parse(r *http.Request, bucket, key string) (*Auth, error) {
	q := r.URL.Query()
	authz := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(authz, "OSS4-HMAC-SHA256 "):
		return parseV4Header(r, bucket, key, strings.TrimPrefix(authz, "OSS4-HMAC-SHA256 "))
	case strings.HasPrefix(authz, "OSS "):
		return parseV1Header(r, bucket, key, strings.TrimPrefix(authz, "OSS "))
	case authz != "":
		return nil, fmt.Errorf("%w: Authorization %q is neither OSS nor OSS4-HMAC-SHA256", ErrMalformed, firstWord(authz))
	case q.Has("x-oss-signature-version") || q.Has("x-oss-signature"):
		return parseV4Query(r, bucket, key)
	case q.Has("OSSAccessKeyId") || q.Has("Signature"):
		return parseV1Query(r, bucket, key)
	}
	return nil, ErrAnonymous
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// ---- V1 ----

func parseV1Header(r *http.Request, bucket, key, cred string) (*Auth, error) {
	id, sig, ok := strings.Cut(cred, ":")
	if !ok || id == "" || sig == "" {
		return nil, fmt.Errorf("%w: want OSS AccessKeyId:Signature", ErrMalformed)
	}
	date := r.Header.Get("Date")
	t, err := http.ParseTime(date)
	if err != nil {
		return nil, fmt.Errorf("%w: Date %q is not an HTTP date", ErrMalformed, date)
	}
	a := &Auth{Scheme: SchemeV1, AccessKeyID: id, signature: sig, Time: t.UTC(),
		SecurityToken: r.Header.Get("x-oss-security-token")}
	a.StringToSign = stringToSignV1(r, date, bucket, key, nil)
	return a, nil
}

func parseV1Query(r *http.Request, bucket, key string) (*Auth, error) {
	q := r.URL.Query()
	id, sig, exp := q.Get("OSSAccessKeyId"), q.Get("Signature"), q.Get("Expires")
	if id == "" || sig == "" || exp == "" {
		return nil, fmt.Errorf("%w: a V1 presigned URL needs OSSAccessKeyId, Expires and Signature", ErrMalformed)
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: Expires %q is not a Unix time", ErrMalformed, exp)
	}
	a := &Auth{Scheme: SchemeV1, Presigned: true, AccessKeyID: id, signature: sig,
		Expires: time.Unix(secs, 0).UTC(), SecurityToken: q.Get("security-token")}
	a.StringToSign = stringToSignV1(r, exp, bucket, key, nil)
	return a, nil
}

// stringToSignV1 is VERB\nContent-MD5\nContent-Type\nDate\nCanonicalizedOSSHeaders
// CanonicalizedResource. extra names more signed sub-resources (a client's own list).
func stringToSignV1(r *http.Request, date, bucket, key string, extra []string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.Header.Get("Content-MD5") + "\n" + r.Header.Get("Content-Type") + "\n" + date + "\n")
	var names []string
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-oss-") {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		b.WriteString(k + ":" + joinTrimmed(r.Header.Values(k)) + "\n")
	}
	b.WriteString(resource(bucket, key))
	q := r.URL.Query()
	var params []string
	for k := range q {
		if SubResources[k] || strings.HasPrefix(k, "x-oss-") || slices.Contains(extra, k) {
			params = append(params, k)
		}
	}
	sort.Strings(params)
	for i, k := range params {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		if v := q.Get(k); v != "" {
			b.WriteString("=" + v)
		}
	}
	return b.String()
}

func joinTrimmed(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.TrimSpace(v)
	}
	return strings.Join(out, ",")
}

func signV1(secret, stringToSign string) string {
	h := hmac.New(sha1.New, []byte(secret))
	h.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// SignV1 signs r like the SDKs' V1 header signer: it sets Date (from t), the security
// token header for STS credentials, and Authorization.
func SignV1(r *http.Request, bucket, key string, c Credentials, t time.Time) {
	date := t.UTC().Format(http.TimeFormat)
	r.Header.Set("Date", date)
	if c.SecurityToken != "" {
		r.Header.Set("x-oss-security-token", c.SecurityToken)
	}
	sig := signV1(c.AccessKeySecret, stringToSignV1(r, date, bucket, key, nil))
	r.Header.Set("Authorization", "OSS "+c.AccessKeyID+":"+sig)
}

// PresignV1 turns r into a V1 presigned URL valid until expires.
func PresignV1(r *http.Request, bucket, key string, c Credentials, expires time.Time) {
	q := r.URL.Query()
	if c.SecurityToken != "" {
		q.Set("security-token", c.SecurityToken)
		r.URL.RawQuery = q.Encode()
	}
	exp := strconv.FormatInt(expires.Unix(), 10)
	sig := signV1(c.AccessKeySecret, stringToSignV1(r, exp, bucket, key, nil))
	q.Set("Expires", exp)
	q.Set("OSSAccessKeyId", c.AccessKeyID)
	q.Set("Signature", sig)
	r.URL.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
}

// ---- V4 ----

const (
	v4DateTime = "20060102T150405Z"
	v4Date     = "20060102"
	v4Request  = "aliyun_v4_request"
)

// parseCredential splits "AK/date/region/product/aliyun_v4_request".
func parseCredential(a *Auth, cred string) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[4] != v4Request {
		return fmt.Errorf("%w: credential %q is not AccessKeyId/date/region/oss/aliyun_v4_request", ErrMalformed, cred)
	}
	if _, err := time.Parse(v4Date, parts[1]); err != nil {
		return fmt.Errorf("%w: credential date %q", ErrMalformed, parts[1])
	}
	a.AccessKeyID, a.scopeDate, a.Region, a.product = parts[0], parts[1], parts[2], parts[3]
	return nil
}

func parseV4Header(r *http.Request, bucket, key, rest string) (*Auth, error) {
	a := &Auth{Scheme: SchemeV4, SecurityToken: r.Header.Get("x-oss-security-token")}
	var cred string
	var additional []string
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch k {
		case "Credential":
			cred = v
		case "AdditionalHeaders":
			additional = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if cred == "" || a.signature == "" {
		return nil, fmt.Errorf("%w: OSS4-HMAC-SHA256 needs Credential and Signature", ErrMalformed)
	}
	if err := parseCredential(a, cred); err != nil {
		return nil, err
	}
	dt := r.Header.Get("x-oss-date")
	t, err := time.Parse(v4DateTime, dt)
	if err != nil {
		return nil, fmt.Errorf("%w: x-oss-date %q is not yyyymmddThhmmssZ", ErrMalformed, dt)
	}
	a.Time = t
	if t.Format(v4Date) != a.scopeDate {
		return nil, fmt.Errorf("%w: credential date %s is not the day of x-oss-date %s", ErrMalformed, a.scopeDate, dt)
	}
	a.StringToSign = stringToSignV4(dt, a.scope(), canonicalRequestV4(r, bucket, key, r.URL.RawQuery, additional))
	return a, nil
}

func parseV4Query(r *http.Request, bucket, key string) (*Auth, error) {
	q := r.URL.Query()
	if v := q.Get("x-oss-signature-version"); v != string(SchemeV4) {
		return nil, fmt.Errorf("%w: x-oss-signature-version %q is not %s", ErrMalformed, v, SchemeV4)
	}
	a := &Auth{Scheme: SchemeV4, Presigned: true, signature: q.Get("x-oss-signature"), SecurityToken: q.Get("x-oss-security-token")}
	if a.signature == "" {
		return nil, fmt.Errorf("%w: x-oss-signature is missing", ErrMalformed)
	}
	if err := parseCredential(a, q.Get("x-oss-credential")); err != nil {
		return nil, err
	}
	dt := q.Get("x-oss-date")
	t, err := time.Parse(v4DateTime, dt)
	if err != nil {
		return nil, fmt.Errorf("%w: x-oss-date %q is not yyyymmddThhmmssZ", ErrMalformed, dt)
	}
	secs, err := strconv.ParseInt(q.Get("x-oss-expires"), 10, 64)
	if err != nil || secs <= 0 || time.Duration(secs)*time.Second > MaxPresignV4 {
		return nil, fmt.Errorf("%w: x-oss-expires %q is not 1–%d seconds", ErrMalformed, q.Get("x-oss-expires"), int(MaxPresignV4.Seconds()))
	}
	a.Time, a.Expires = t, t.Add(time.Duration(secs)*time.Second)
	var additional []string
	if h := q.Get("x-oss-additional-headers"); h != "" {
		additional = strings.Split(h, ";")
	}
	a.StringToSign = stringToSignV4(dt, a.scope(), canonicalRequestV4(r, bucket, key, withoutParam(r.URL.RawQuery, "x-oss-signature"), additional))
	return a, nil
}

func (a *Auth) scope() string {
	return a.scopeDate + "/" + a.Region + "/" + a.product + "/" + v4Request
}

// withoutParam drops name=… from a raw query, keeping the rest byte for byte.
func withoutParam(raw, name string) string {
	var keep []string
	for _, p := range strings.Split(raw, "&") {
		if k, _, _ := strings.Cut(p, "="); k != name && p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "&")
}

func defaultSignedV4(lk string) bool {
	return strings.HasPrefix(lk, "x-oss-") || lk == "content-type" || lk == "content-md5"
}

// canonicalRequestV4 is VERB\nURI\nQuery\nHeaders\nAdditionalHeaders\nPayloadHash, the
// query taken from rawQuery as sent (already percent-encoded, '+' read as %20).
func canonicalRequestV4(r *http.Request, bucket, key, rawQuery string, additional []string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n" + escapeV4(resource(bucket, key)) + "\n")

	rawQuery = strings.ReplaceAll(rawQuery, "+", "%20")
	values := map[string]string{}
	var params []string
	for _, p := range strings.Split(rawQuery, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if _, dup := values[k]; !dup {
			params = append(params, k)
		}
		values[k] = v
	}
	sort.Strings(params)
	for i, k := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		if values[k] != "" {
			b.WriteString("=" + values[k])
		}
	}
	b.WriteByte('\n')

	add := map[string]bool{}
	for _, k := range additional {
		add[strings.ToLower(k)] = true
	}
	var names []string
	for k := range r.Header {
		if lk := strings.ToLower(k); defaultSignedV4(lk) || add[lk] {
			names = append(names, lk)
		}
	}
	if r.Host != "" && add["host"] {
		names = append(names, "host")
	}
	sort.Strings(names)
	for _, k := range names {
		v := joinTrimmed(r.Header.Values(k))
		if k == "host" {
			v = r.Host
		}
		b.WriteString(k + ":" + v + "\n")
	}
	b.WriteString("\n" + strings.Join(additional, ";") + "\n")
	if h := r.Header.Get("x-oss-content-sha256"); h != "" {
		b.WriteString(h)
	} else {
		b.WriteString("UNSIGNED-PAYLOAD")
	}
	return b.String()
}

func escapeV4(path string) string {
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func stringToSignV4(datetime, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return string(SchemeV4) + "\n" + datetime + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

func signV4(secret, date, region, product, stringToSign string) string {
	k := hmacSHA256([]byte("aliyun_v4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, product)
	k = hmacSHA256(k, v4Request)
	return hex.EncodeToString(hmacSHA256(k, stringToSign))
}

// SignV4 signs r like the SDK v2's default signer: x-oss-date, Date,
// x-oss-content-sha256: UNSIGNED-PAYLOAD, the token header for STS credentials and
// Authorization, scoped to region and product "oss".
func SignV4(r *http.Request, bucket, key, region string, c Credentials, t time.Time) {
	t = t.UTC()
	r.Header.Set("x-oss-date", t.Format(v4DateTime))
	r.Header.Set("Date", t.Format(http.TimeFormat))
	if c.SecurityToken != "" {
		r.Header.Set("x-oss-security-token", c.SecurityToken)
	}
	r.Header.Set("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
	date := t.Format(v4Date)
	scope := date + "/" + region + "/oss/" + v4Request
	sts := stringToSignV4(t.Format(v4DateTime), scope, canonicalRequestV4(r, bucket, key, r.URL.RawQuery, nil))
	r.Header.Set("Authorization", "OSS4-HMAC-SHA256 Credential="+c.AccessKeyID+"/"+scope+",Signature="+signV4(c.AccessKeySecret, date, region, "oss", sts))
}

// PresignV4 turns r into a V4 presigned URL signed at t, valid for expires (at most
// MaxPresignV4).
func PresignV4(r *http.Request, bucket, key, region string, c Credentials, t time.Time, expires time.Duration) {
	t = t.UTC()
	date := t.Format(v4Date)
	scope := date + "/" + region + "/oss/" + v4Request
	q := r.URL.Query()
	if c.SecurityToken != "" {
		q.Set("x-oss-security-token", c.SecurityToken)
	}
	q.Set("x-oss-signature-version", string(SchemeV4))
	q.Set("x-oss-date", t.Format(v4DateTime))
	q.Set("x-oss-expires", strconv.FormatInt(int64(expires/time.Second), 10))
	q.Set("x-oss-credential", c.AccessKeyID+"/"+scope)
	r.URL.RawQuery = q.Encode()
	sts := stringToSignV4(t.Format(v4DateTime), scope, canonicalRequestV4(r, bucket, key, r.URL.RawQuery, nil))
	q.Set("x-oss-signature", signV4(c.AccessKeySecret, date, region, "oss", sts))
	r.URL.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
}

// EscapeKey percent-encodes an object key for a URL path the way the SDKs do ('/' kept).
func EscapeKey(key string) string { return strings.TrimPrefix(escapeV4("/"+key), "/") }
