package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// Limits on what one request may carry. Real ECS limits are undocumented; these are generous
// for any legitimate call and keep a hostile one cheap.
const (
	MaxQueryBytes = 32 << 10
	MaxBodyBytes  = 1 << 20
	// MaxParams bounds the parameters of query and form body together, counted before any is
	// decoded (a flattened list tops out at maxListItems elements).
	MaxParams = 1000
)

// Account is whom a verified request acts for.
type Account struct {
	Name string // the account's name in the fixtures
	Key  string // the AccessKeyId used
}

// Credential is one access key as the backend knows it.
type Credential struct {
	Secret   string
	Account  string // the account the key acts for (and the unit of its replay-cache share)
	Disabled bool
	// Temporary marks an STS key: every request signed with it must carry a SecurityToken
	// that CheckToken accepts for it; without one it is refused (MissingSecurityToken).
	Temporary bool
}

// Credentials is what authentication needs from the domain. Both calls are lookups that cost
// no more than a map access: they run for unauthenticated requests.
type Credentials interface {
	// Credential finds an access key, long-term or temporary (STS).
	Credential(accessKeyID string) (Credential, bool)
	// CheckToken validates an STS security token sent with accessKeyID; it returns a *spec.Error
	// (InvalidSecurityToken.Malformed for an unknown token, .MismatchWithAccessKey for another
	// key's, .Expired past its expiry) when the token is not acceptable.
	CheckToken(token, accessKeyID string) error
}

// Call is one authenticated, decoded RPC call handed to an action.
type Call struct {
	Action  string
	Account Account
	Params  url.Values // every parameter, each with exactly one value
	DryRun  bool
}

// Str returns a parameter and whether it was sent.
func (c *Call) Str(name string) (string, bool) {
	v, ok := c.Params[name]
	if !ok {
		return "", false
	}
	return v[0], true
}

// Action serves one RPC action. It returns the response fields (a struct or map that
// encodes to a JSON object; RequestId is added by the handler) or an error, normally a
// *spec.Error; any other error is rendered as InternalError and logged.
type Action func(ctx context.Context, c *Call) (any, error)

// ResultFields is the JSON object an action's result renders as, before the handler adds
// RequestId: what an action wrapper that edits results works on and returns.
func ResultFields(result any) (map[string]any, error) { return toObject(result) }

// Handler is the ECS RPC endpoint: it decodes, authenticates, dispatches by action, and
// renders results and errors in JSON or XML. It is the only HTTP-aware layer of the reference.
type Handler struct {
	spec    *spec.Spec
	creds   Credentials
	actions map[string]Action
	faults  func(account string) *spec.Error
	strict  bool
	nonces  *acs.NonceCache
	now     func() time.Time
	log     func(Entry)
}

// Entry is one line of the request log.
type Entry struct {
	Time      time.Time
	RequestID string
	Method    string
	Action    string
	Account   string
	Status    int
	Code      string // error code, "" on success
	Duration  time.Duration
	// Ignored names the parameters no SDK model of the action defines, which the handler
	// dropped (never set under WithStrictParams: they are refused there).
	Ignored []string
}

// Option configures a Handler.
type Option func(*Handler)

// WithWallClock sets the clock the signature time window is checked against (default
// time.Now). It is deliberately not the domain's virtual clock: clients sign with real time.
func WithWallClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithLog receives one Entry per request.
func WithLog(f func(Entry)) Option { return func(h *Handler) { h.log = f } }

// WithStrictParams refuses a parameter the action does not define (InvalidParameter naming
// it) instead of ignoring it and logging its name (Entry.Ignored), the default. The defined
// parameters are those of the official SDK models, listed in spec/openapi.yaml.
//
// Real ECS: unknown parameters are probably ignored, so ignoring is the default; strict mode
// catches a client's misspelt parameter (OssBucket) that would otherwise be silently dropped.
func WithStrictParams() Option { return func(h *Handler) { h.strict = true } }

// WithFaults lets injected faults answer requests instead of their actions: take is asked
// once per request, after authentication (so the account is known) and before the action's
// parameters are checked, and a non-nil error is the answer. The reference passes
// ecs.Service.TakeRequestFault: the control API's Throttling.User, InternalError and
// ServiceUnavailable.
func WithFaults(take func(account string) *spec.Error) Option {
	return func(h *Handler) { h.faults = take }
}

// New returns a handler serving the given actions. Every action must exist in the spec.
func New(creds Credentials, actions map[string]Action, opts ...Option) (*Handler, error) {
	s, err := spec.Load()
	if err != nil {
		return nil, err
	}
	for name := range actions {
		if _, err := s.Operation(name); err != nil {
			return nil, fmt.Errorf("api: action %s: %w", name, err)
		}
	}
	h := &Handler{spec: s, creds: creds, actions: actions, now: time.Now,
		nonces: acs.NewNonceCache(DefaultNoncesPerAccount)}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// NewRequestID returns a unique request ID shaped like ECS's (UUID, upper case).
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// 8-4-4-4-12 upper-case hex, written into one buffer (this runs on every request).
	const hexDigits = "0123456789ABCDEF"
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&15]
		j += 2
	}
	return string(out[:])
}

// exchange is the state of one request while it is served.
type exchange struct {
	w         http.ResponseWriter
	r         *http.Request
	requestID string
	format    acs.Format
	action    string
	account   string
	status    int
	code      string
	ignored   []string
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	x := &exchange{w: w, r: r, requestID: NewRequestID(), format: acs.ResponseFormat("", r.Header.Get("Accept"))}
	w.Header().Set("x-acs-request-id", x.requestID)
	defer func() {
		if p := recover(); p != nil {
			// A panic is a reference bug; the client still gets a well-formed envelope.
			h.fail(x, spec.InternalError.Err())
			x.code = fmt.Sprintf("%s (panic: %v)", x.code, p)
		}
		if h.log != nil {
			h.log(Entry{Time: start, RequestID: x.requestID, Method: r.Method, Action: x.action, Account: x.account,
				Status: x.status, Code: x.code, Duration: h.now().Sub(start), Ignored: x.ignored})
		}
	}()
	result, err := h.serve(x)
	if err != nil {
		h.fail(x, err)
		return
	}
	h.succeed(x, result)
}

// serve runs the pipeline; the order of checks is the order of the statements.
func (h *Handler) serve(x *exchange) (any, error) {
	r := x.r
	// Format from the query first, so that even the refusals below answer in the format asked;
	// a form body is looked at once it has been read.
	f := acs.PeekParams(r, nil, "Format").Get("Format")
	if f != "" {
		x.format = acs.ResponseFormat(f, r.Header.Get("Accept"))
	}
	if r.URL.Path != "/" {
		return nil, spec.ActionNotFound.Err()
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, spec.UnsupportedHTTPMethod.Err()
	}
	if len(r.URL.RawQuery) > MaxQueryBytes {
		return nil, spec.RequestTooLarge.Err(fmt.Sprintf("%d-byte query", MaxQueryBytes))
	}
	body, release, err := readBody(r)
	defer release()
	if err != nil {
		return nil, spec.InvalidParameter.Err("body")
	}
	if len(body) > MaxBodyBytes {
		return nil, spec.RequestTooLarge.Err(fmt.Sprintf("%d-byte body", MaxBodyBytes))
	}
	if acs.CountParams(r, body) > MaxParams {
		return nil, spec.RequestTooLarge.Err(fmt.Sprintf("%d-parameter", MaxParams))
	}
	if f == "" && len(body) > 0 {
		if f = acs.PeekParams(r, body, "Format").Get("Format"); f != "" {
			x.format = acs.ResponseFormat(f, r.Header.Get("Accept"))
		}
	}

	auth, cred, err := h.authenticate(r, body)
	if err != nil {
		return nil, err
	}
	x.account = cred.Account

	params, err := acs.RequestParams(r, body)
	if err != nil {
		return nil, spec.InvalidParameter.Err(malformedName(err))
	}
	for name, values := range params {
		switch {
		case name == "":
			return nil, spec.InvalidParameter.Err("(a parameter without a name)")
		case !utf8.ValidString(name):
			return nil, spec.InvalidParameter.Err(strings.ToValidUTF8(name, "\uFFFD"))
		case len(values) > 1:
			return nil, spec.InvalidParameter.Err(name)
		case !utf8.ValidString(values[0]):
			return nil, spec.InvalidParameter.Err(name)
		}
	}

	action, version := auth.Action, auth.Version
	if auth.Scheme == acs.SchemeV3 {
		// V3 carries them in headers; a V3 client may still send the parameters.
		action, version = firstNonEmpty(action, params.Get("Action")), firstNonEmpty(version, params.Get("Version"))
	}
	switch {
	case action == "":
		return nil, spec.MissingCommonParameter.Err("Action")
	case version == "":
		return nil, spec.MissingCommonParameter.Err("Version")
	case version != spec.Version:
		return nil, spec.InvalidVersion.Err()
	}
	x.action = action
	serveAction, ok := h.actions[action]
	if !ok {
		return nil, spec.ActionNotFound.Err()
	}
	if h.faults != nil {
		if err := h.faults(cred.Account); err != nil {
			return nil, err
		}
	}
	dryRun, err := h.checkParams(x, action, params)
	if err != nil {
		return nil, err
	}
	return serveAction(r.Context(), &Call{Action: action, Account: Account{Name: cred.Account, Key: auth.AccessKeyID},
		Params: params, DryRun: dryRun})
}

// readBody reads at most MaxBodyBytes+1 bytes of the body. Bodies over 64 KiB go into pooled
// buffers, so a stream of large (refused) requests costs no allocation and no zeroing; the
// caller calls release once nothing refers to the bytes any more (parameters decoded from
// them are copies).
func readBody(r *http.Request) (body []byte, release func(), err error) {
	if r.ContentLength >= 0 && r.ContentLength <= 64<<10 {
		buf := make([]byte, r.ContentLength+1) // one more: a body longer than announced shows
		n, err := readUpTo(r.Body, buf)
		return buf[:n], func() {}, err
	}
	p := bodyBuffers.Get().(*[]byte)
	n, err := readUpTo(r.Body, (*p)[:MaxBodyBytes+1])
	return (*p)[:n], func() { bodyBuffers.Put(p) }, err
}

// readUpTo fills buf from r or reads r to its end, whichever comes first.
func readUpTo(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return n, err
}

var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, MaxBodyBytes+1); return &b }}

// commonParams are accepted by every action: the V1 common parameters (checked by the
// signature layer) and parameters the SDKs add.
var commonParams = map[string]bool{
	"Action": true, "Version": true, "Format": true, "AccessKeyId": true, "Signature": true,
	"SignatureMethod": true, "SignatureVersion": true, "SignatureNonce": true, "SignatureType": true,
	"Timestamp": true, "SecurityToken": true, "BearerToken": true,
}

// checkParams checks every parameter against the action's operation, naming the offending
// one (InvalidParameter): values of the wrong type, a list parameter sent unflattened or with
// a malformed element name (Name.0, Name.1.Unknown). A parameter the action does not define
// is dropped from params and noted in x.ignored, or refused under WithStrictParams. Required
// parameters, enums and patterns are the domain's to check, because the document gives them
// their own error codes.
func (h *Handler) checkParams(x *exchange, action string, params url.Values) (dryRun bool, err error) {
	op, err := h.spec.Operation(action)
	if err != nil {
		return false, err
	}
	unknown := func(name string) error {
		if h.strict {
			return spec.InvalidParameter.Err(name)
		}
		delete(params, name) // deleting the current entry while ranging is defined behaviour
		x.ignored = append(x.ignored, name)
		return nil
	}
	for name, values := range params {
		if commonParams[name] {
			continue
		}
		p := op.Operation.Parameters.GetByInAndName("query", name)
		if base, element, ok := strings.Cut(name, "."); ok {
			p = op.Operation.Parameters.GetByInAndName("query", base)
			if p == nil {
				if err := unknown(name); err != nil {
					return false, err
				}
				continue
			}
			if p.Extensions["x-eic-flattened"] != true || !validElement(p, element) {
				return false, spec.InvalidParameter.Err(name)
			}
			continue
		}
		if p == nil {
			if err := unknown(name); err != nil {
				return false, err
			}
			continue
		}
		if p.Schema == nil || p.Schema.Value == nil || p.Extensions["x-eic-flattened"] == true {
			return false, spec.InvalidParameter.Err(name)
		}
		v := values[0]
		switch {
		case p.Schema.Value.Type.Is("boolean"):
			if v != "true" && v != "false" {
				return false, spec.InvalidParameter.Err(name)
			}
			if name == "DryRun" {
				dryRun = v == "true"
			}
		case p.Schema.Value.Type.Is("integer"):
			if _, err := strconv.ParseInt(v, 10, 64); err != nil || strings.HasPrefix(v, "+") {
				return false, spec.InvalidParameter.Err(name)
			}
		}
	}
	return dryRun, nil
}

// maxListItems bounds a flattened list parameter (Name.1 … Name.100).
const maxListItems = 100

// validElement accepts what follows "Name." in a flattened list parameter: the index N for a
// list of scalars, N.Field for a list of objects whose items define Field (Tag.1.Key).
func validElement(p *openapi3.Parameter, element string) bool {
	index, field, hasField := strings.Cut(element, ".")
	if !validIndex(index) {
		return false
	}
	var items *openapi3.Schema
	if p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Items != nil {
		items = p.Schema.Value.Items.Value
	}
	if items == nil || !items.Type.Is("object") {
		return !hasField
	}
	return hasField && items.Properties[field] != nil
}

// validIndex accepts the N of a flattened list parameter: 1 to maxListItems, no sign or zeros
// in front.
func validIndex(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= maxListItems && strconv.Itoa(n) == s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// malformedName names what could not be decoded, for InvalidParameter's detail.
func malformedName(err error) string {
	var esc url.EscapeError
	if errors.As(err, &esc) {
		return "query escape %" + string(esc)
	}
	return "query"
}

func (h *Handler) succeed(x *exchange, result any) {
	fields, err := toObject(result)
	if err != nil {
		h.fail(x, err)
		return
	}
	fields["RequestId"] = x.requestID
	body, contentType, err := acs.RenderSuccess(x.format, x.action, fields)
	if err != nil {
		h.fail(x, err)
		return
	}
	x.status = http.StatusOK
	x.w.Header().Set("Content-Type", contentType)
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(body) // the client went away: nothing to do
}

func (h *Handler) fail(x *exchange, err error) {
	var se *spec.Error
	if !errors.As(err, &se) {
		se = spec.InternalError.Err()
	}
	status := se.Status()
	x.status, x.code = status, se.Code.Wire
	body, contentType := acs.NewErrorEnvelope(x.requestID, hostID(x.r), se.Code.Wire, se.Message).Render(x.format)
	x.w.Header().Set("Content-Type", contentType)
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

// hostID is the endpoint the client addressed, as ECS puts its own host in HostId.
func hostID(r *http.Request) string {
	if r.Host != "" && utf8.ValidString(r.Host) {
		return r.Host
	}
	return "ecs.aliyuncs.com"
}

// toObject turns an action's result into a JSON object for rendering.
func toObject(v any) (map[string]any, error) {
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("api: encode result: %w", err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep 64-bit IDs exact
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("api: result is not an object: %w", err)
	}
	return m, nil
}
