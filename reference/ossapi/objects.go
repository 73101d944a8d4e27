package ossapi

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exportimage/eic/reference/oss"
)

// etag is the ETag header value: the quoted upper-case hex MD5, as OSS sends it.
func etag(o oss.Object) string { return `"` + strings.ToUpper(o.ETag) + `"` }

// etagMatches reports whether an If-Match / If-None-Match list names the object's ETag
// ("*" matches any; weak prefixes and case are ignored).
func etagMatches(list string, o oss.Object) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.Trim(strings.TrimPrefix(strings.TrimSpace(t), "W/"), `"`)
		if t == "*" || strings.EqualFold(t, o.ETag) {
			return true
		}
	}
	return false
}

// conditions applies the conditional headers in RFC 9110 order: If-Match, then
// If-Unmodified-Since (412 PreconditionFailed), If-None-Match, then If-Modified-Since
// (304 Not Modified). It reports whether the caller should go on.
func conditions(x *request, o oss.Object) (bool, error) {
	r := x.r
	mod := o.Created.Truncate(time.Second)
	if v := r.Header.Get("If-Match"); v != "" {
		if !etagMatches(v, o) {
			return false, newError(errPreconditionFailed).withDetail("At least one of the pre-conditions you specified did not hold: If-Match")
		}
	} else if v := r.Header.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return false, newError(errPreconditionFailed).withDetail("At least one of the pre-conditions you specified did not hold: If-Unmodified-Since")
		}
	}
	notModified := false
	if v := r.Header.Get("If-None-Match"); v != "" {
		notModified = etagMatches(v, o)
	} else if v := r.Header.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			notModified = true
		}
	}
	if notModified {
		h := x.w.Header()
		h.Set("ETag", etag(o))
		h.Set("Last-Modified", o.Created.UTC().Format(http.TimeFormat))
		x.status = http.StatusNotModified
		x.w.WriteHeader(http.StatusNotModified)
		return false, nil
	}
	return true, nil
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range against size.
// ok is false when the header is absent, not of that shape, or names several ranges
// (OSS then serves the whole object); unsatisfiable is set when it starts past the end.
func parseRange(v string, size int64) (off, n int64, ok, unsatisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, false
	}
	if a == "" {
		last, err := strconv.ParseInt(b, 10, 64)
		if err != nil || last <= 0 {
			return 0, 0, false, false
		}
		if size == 0 {
			return 0, 0, false, true
		}
		last = min(last, size)
		return size - last, last, true, false
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return 0, 0, false, false
	}
	end := size - 1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < first {
			return 0, 0, false, false
		}
		end = min(e, size-1)
	}
	if first >= size {
		return 0, 0, false, true
	}
	return first, end - first + 1, true, false
}

// copyBuffers are the buffers object bodies are streamed through.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// getObject serves GetObject and HeadObject, streaming the body from the Store.
//
// Real OSS: a Range that cannot be read (malformed, several ranges, or starting past the
// end) is ignored and the whole object is served with 200, unless the request sends
// "x-oss-range-behavior: standard", which turns an unsatisfiable range into 416
// InvalidRange.
func (h *Handler) getObject(x *request) error {
	rd, err := h.d.Store().Open(x.r.Context(), x.bucket, x.key)
	if err != nil {
		return err
	}
	defer rd.Close()
	o, err := h.d.Store().Stat(x.r.Context(), x.bucket, x.key)
	if err != nil {
		return err
	}
	if o.Size != rd.Size() { // replaced between Open and Stat: describe what is being read
		o = oss.Object{Bucket: x.bucket, Key: x.key, Size: rd.Size(), Created: o.Created}
	}
	if goOn, err := conditions(x, o); !goOn {
		return err
	}
	size := rd.Size()
	off, n, ranged, unsatisfiable := parseRange(x.r.Header.Get("Range"), size)
	if unsatisfiable && strings.EqualFold(x.r.Header.Get("x-oss-range-behavior"), "standard") {
		x.w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		return newError(errInvalidRange)
	}
	if !ranged {
		off, n = 0, size
	}
	hd := x.w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	hd.Set("Accept-Ranges", "bytes")
	if o.ETag != "" {
		hd.Set("ETag", etag(o))
	}
	hd.Set("Last-Modified", o.Created.UTC().Format(http.TimeFormat))
	hd.Set("x-oss-object-type", "Normal")
	hd.Set("x-oss-storage-class", "Standard")
	x.status = http.StatusOK
	if ranged {
		x.status = http.StatusPartialContent
		hd.Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.FormatInt(size, 10))
	}
	if x.op == "GetObjectMeta" { // HEAD: the headers of HeadObject without the range
		hd.Del("Content-Range")
		hd.Set("Content-Length", strconv.FormatInt(size, 10))
		x.status = http.StatusOK
	}
	x.w.WriteHeader(x.status)
	if x.r.Method == http.MethodHead {
		return nil
	}
	if f, ok := rd.(interface{ OSFile() *os.File }); ok {
		// A file-backed object goes out with sendfile: no copy through user space.
		if _, err := f.OSFile().Seek(off, io.SeekStart); err == nil {
			_, _ = io.Copy(x.w, io.LimitReader(f.OSFile(), n)) // as below: nothing more to tell
			return nil
		}
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	// A failed copy means the client went away or the store failed mid-body; the status
	// is sent, so the short body is all the client can be told.
	_, _ = io.CopyBuffer(onlyWriter{x.w}, io.NewSectionReader(rd, off, n), *buf)
	return nil
}

// onlyWriter hides ReaderFrom so CopyBuffer uses the pooled buffer.
type onlyWriter struct{ io.Writer }

// deleteObject deletes one object; OSS answers 204 whether or not it existed.
func (h *Handler) deleteObject(x *request) error {
	err := h.d.Store().Delete(x.r.Context(), x.bucket, x.key)
	if err != nil && !errors.Is(err, oss.ErrNoSuchKey) {
		return err
	}
	x.status = http.StatusNoContent
	x.w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxDeleteBody bounds a DeleteMultipleObjects document (1000 keys of 1023 bytes, escaped).
const (
	maxDeleteKeys = 1000
	maxDeleteBody = 8 << 20
)

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   string   `xml:"Quiet"`
	Objects []struct {
		Key string `xml:"Key"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName      xml.Name `xml:"DeleteResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Deleted      []struct {
		Key string `xml:"Key"`
	} `xml:"Deleted"`
}

func (h *Handler) deleteMultiple(x *request) error {
	body, err := io.ReadAll(io.LimitReader(x.r.Body, maxDeleteBody+1))
	if err != nil {
		return newError(errMalformedXML).withDetail("reading the body: %v", err)
	}
	if len(body) > maxDeleteBody {
		return newError(errMalformedXML).withDetail("the body is larger than %d bytes", maxDeleteBody)
	}
	if v := x.r.Header.Get("Content-MD5"); v != "" {
		sum := md5.Sum(body)
		if v != base64.StdEncoding.EncodeToString(sum[:]) {
			return newError(errInvalidDigest)
		}
	}
	var req deleteRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return newError(errMalformedXML).withDetail("%v", err)
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
		return newError(errMalformedXML).withDetail("a Delete document names 1–%d objects, not %d", maxDeleteKeys, len(req.Objects))
	}
	for _, o := range req.Objects {
		if err := oss.CheckKey(o.Key); err != nil {
			return newError(errInvalidObjectName, "Key", o.Key).withDetail("%v", err)
		}
	}
	urlEnc := x.r.URL.Query().Get("encoding-type") == "url"
	var res deleteResult
	if urlEnc {
		res.EncodingType = "url"
	}
	for _, o := range req.Objects {
		if err := h.d.Store().Delete(x.r.Context(), x.bucket, o.Key); err != nil && !errors.Is(err, oss.ErrNoSuchKey) {
			return err
		}
		if !strings.EqualFold(req.Quiet, "true") {
			res.Deleted = append(res.Deleted, struct {
				Key string `xml:"Key"`
			}{encodeIf(urlEnc, o.Key)})
		}
	}
	return writeXML(x, res)
}

// writeXML sends v as the 200 XML answer.
func writeXML(x *request, v any) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return newError(errInternal).withDetail("encoding the answer: %v", err)
	}
	b.WriteByte('\n')
	x.w.Header().Set("Content-Type", "application/xml")
	x.w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(b.Bytes()) // the client went away: nothing to do
	return nil
}
