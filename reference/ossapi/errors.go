package ossapi

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// errCode is one row of the OSS error table: the wire code, its HTTP status and the
// message OSS sends. The table below is the only place these facts live.
type errCode struct {
	Code    string
	Status  int
	Message string
	EC      string // OSS's "EC" diagnostic code
}

var (
	errAccessDenied          = &errCode{"AccessDenied", 403, "You have no right to access this object because of bucket acl.", "0003-00000001"}
	errAnonymous             = &errCode{"AccessDenied", 403, "You are forbidden to access this bucket anonymously.", "0003-00000201"}
	errRequestExpired        = &errCode{"AccessDenied", 403, "Request has expired.", "0002-00000069"}
	errInvalidAccessKeyID    = &errCode{"InvalidAccessKeyId", 403, "The OSS Access Key Id you provided does not exist in our records.", "0002-00000902"}
	errAccessKeyDisabled     = &errCode{"InvalidAccessKeyId", 403, "The OSS Access Key Id you provided is disabled.", "0002-00000903"}
	errSignatureDoesNotMatch = &errCode{"SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.", "0002-00000040"}
	errTimeTooSkewed         = &errCode{"RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.", "0002-00000504"}
	errInvalidSecurityToken  = &errCode{"InvalidSecurityToken", 403, "The security token you provided is invalid.", "0002-00000901"}
	errSecurityTokenExpired  = &errCode{"SecurityTokenExpired", 403, "The security token you provided has expired.", "0002-00000904"}
	errInvalidArgument       = &errCode{"InvalidArgument", 400, "Invalid argument.", "0017-00000001"}
	errInvalidBucketName     = &errCode{"InvalidBucketName", 400, "The specified bucket is not valid.", "0015-00000101"}
	errInvalidObjectName     = &errCode{"InvalidObjectName", 400, "The specified object is not valid.", "0016-00000001"}
	errNoSuchBucket          = &errCode{"NoSuchBucket", 404, "The specified bucket does not exist.", "0015-00000101"}
	errNoSuchKey             = &errCode{"NoSuchKey", 404, "The specified key does not exist.", "0026-00000001"}
	errMethodNotAllowed      = &errCode{"MethodNotAllowed", 405, "The specified method is not allowed against this resource.", "0016-00000002"}
	errPreconditionFailed    = &errCode{"PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold.", "0026-00000003"}
	errInvalidRange          = &errCode{"InvalidRange", 416, "The requested range cannot be satisfied", "0026-00000009"}
	errMalformedXML          = &errCode{"MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema.", "0016-00000601"}
	errInvalidDigest         = &errCode{"InvalidDigest", 400, "The Content-MD5 you specified was invalid.", "0016-00000602"}
	errNotImplemented        = &errCode{"NotImplemented", 501, "The reference's OSS endpoint serves exported objects read-only; this operation is not implemented.", "0001-00000001"}
	errInternal              = &errCode{"InternalError", 500, "We encountered an internal error. Please try again.", "0001-00000002"}
)

// apiError is an errCode raised for one request, with optional detail fields OSS adds.
type apiError struct {
	code   *errCode
	detail string            // replaces the message when set
	extra  map[string]string // Key, BucketName, StringToSign, OSSAccessKeyId…
}

func (e *apiError) Error() string { return e.code.Code + ": " + e.message() }

func (e *apiError) message() string {
	if e.detail != "" {
		return e.detail
	}
	return e.code.Message
}

func newError(c *errCode, extra ...string) *apiError {
	e := &apiError{code: c, extra: map[string]string{}}
	for i := 0; i+1 < len(extra); i += 2 {
		e.extra[extra[i]] = extra[i+1]
	}
	return e
}

func (e *apiError) withDetail(format string, a ...any) *apiError {
	e.detail = fmt.Sprintf(format, a...)
	return e
}

// xmlField is one extra element of the error document.
type xmlField struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

type errorDoc struct {
	XMLName   xml.Name   `xml:"Error"`
	Code      string     `xml:"Code"`
	Message   string     `xml:"Message"`
	RequestID string     `xml:"RequestId"`
	HostID    string     `xml:"HostId"`
	Extra     []xmlField `xml:",any"`
	EC        string     `xml:"EC"`
}

// extraOrder fixes the order of detail elements in the document.
var extraOrder = []string{"BucketName", "Key", "OSSAccessKeyId", "SignatureProvided", "StringToSign", "StringToSignBytes", "ArgumentName", "ArgumentValue"}

// write renders e in OSS's XML shape; a HEAD answer carries it base64-encoded in
// x-oss-err instead of a body, as OSS does.
func (e *apiError) write(w http.ResponseWriter, r *http.Request, requestID string) {
	doc := errorDoc{Code: e.code.Code, Message: e.message(), RequestID: requestID, HostID: r.Host, EC: e.code.EC}
	for _, k := range extraOrder {
		if v, ok := e.extra[k]; ok {
			doc.Extra = append(doc.Extra, xmlField{XMLName: xml.Name{Local: k}, Value: v})
		}
	}
	body, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil { // only strings: cannot fail
		body = []byte("<Error><Code>InternalError</Code></Error>")
	}
	body = append([]byte(xml.Header), append(body, '\n')...)
	h := w.Header()
	h.Set("x-oss-ec", e.code.EC)
	if r.Method == http.MethodHead {
		h.Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
		w.WriteHeader(e.code.Status)
		return
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.code.Status)
	_, _ = w.Write(body) // the client went away: nothing to do
}
