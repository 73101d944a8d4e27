package ossapi

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"sort"
	"strconv"
	"strings"

	"github.com/exportimage/eic/internal/osssig"
	"github.com/exportimage/eic/reference/oss"
)

// isoTime is OSS's time format in XML answers.
const isoTime = "2006-01-02T15:04:05.000Z"

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

func (h *Handler) owner(account string) owner {
	id := h.accountID(account)
	return owner{ID: id, DisplayName: id}
}

// location is the OSS name of a region ("oss-cn-hangzhou").
func location(region string) string { return "oss-" + region }

type bucketSummary struct {
	Name             string `xml:"Name"`
	CreationDate     string `xml:"CreationDate"`
	Location         string `xml:"Location"`
	ExtranetEndpoint string `xml:"ExtranetEndpoint"`
	IntranetEndpoint string `xml:"IntranetEndpoint"`
	Region           string `xml:"Region"`
	StorageClass     string `xml:"StorageClass"`
}

func summary(b oss.Bucket) bucketSummary {
	loc := location(b.Region)
	return bucketSummary{Name: b.Name, CreationDate: b.Created.UTC().Format(isoTime), Location: loc,
		ExtranetEndpoint: loc + ".aliyuncs.com", IntranetEndpoint: loc + "-internal.aliyuncs.com",
		Region: b.Region, StorageClass: "Standard"}
}

// listBuckets answers ListBuckets (GetService) with the caller's buckets, all on one page.
func (h *Handler) listBuckets(x *request) error {
	all, err := h.d.Store().Buckets(x.r.Context())
	if err != nil {
		return err
	}
	type result struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		Owner   owner    `xml:"Owner"`
		Buckets struct {
			Bucket []bucketSummary `xml:"Bucket"`
		} `xml:"Buckets"`
	}
	res := result{Owner: h.owner(x.account)}
	prefix := x.r.URL.Query().Get("prefix")
	for _, b := range all {
		if b.Owner == x.account && strings.HasPrefix(b.Name, prefix) {
			res.Buckets.Bucket = append(res.Buckets.Bucket, summary(b))
		}
	}
	return writeXML(x, res)
}

// bucketInfo answers GetBucketInfo.
func (h *Handler) bucketInfo(x *request, b oss.Bucket) error {
	type info struct {
		bucketSummary
		Owner             owner  `xml:"Owner"`
		AccessControlList string `xml:"AccessControlList>Grant"`
		DataRedundancy    string `xml:"DataRedundancyType"`
		Versioning        string `xml:"Versioning,omitempty"`
		ServerSideEnc     string `xml:"ServerSideEncryptionRule>SSEAlgorithm"`
		ResourceGroupID   string `xml:"ResourceGroupId"`
	}
	type result struct {
		XMLName xml.Name `xml:"BucketInfo"`
		Bucket  info     `xml:"Bucket"`
	}
	return writeXML(x, result{Bucket: info{bucketSummary: summary(b), Owner: h.owner(b.Owner),
		AccessControlList: "private", DataRedundancy: "LRS", ServerSideEnc: "None", ResourceGroupID: "rg-default"}})
}

// bucketACL answers GetBucketAcl: every bucket is private to its owner.
func (h *Handler) bucketACL(x *request, b oss.Bucket) error {
	type result struct {
		XMLName xml.Name `xml:"AccessControlPolicy"`
		Owner   owner    `xml:"Owner"`
		Grant   string   `xml:"AccessControlList>Grant"`
	}
	return writeXML(x, result{Owner: h.owner(b.Owner), Grant: "private"})
}

// bucketLocation answers GetBucketLocation.
func (h *Handler) bucketLocation(x *request, b oss.Bucket) error {
	type result struct {
		XMLName  xml.Name `xml:"LocationConstraint"`
		Location string   `xml:",chardata"`
	}
	return writeXML(x, result{Location: location(b.Region)})
}

type content struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Type         string `xml:"Type"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker"`
	ContinuationToken     *string        `xml:"ContinuationToken,omitempty"`
	StartAfter            *string        `xml:"StartAfter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              *int           `xml:"KeyCount,omitempty"`
	Contents              []content      `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

// encodeIf percent-encodes s for encoding-type=url answers (what the SDKs decode with
// url.QueryUnescape: spaces and '+' are escaped, '/' is kept).
func encodeIf(on bool, s string) string {
	if !on {
		return s
	}
	return osssig.EscapeKey(s)
}

// Paging limits, as OSS documents them.
const (
	defaultMaxKeys = 100
	maxMaxKeys     = 1000
)

// listObjects answers ListObjects (v2 false: marker) and ListObjectsV2 (continuation
// token or start-after). The continuation token is the base64url of the last key or
// common prefix returned; clients treat it as opaque.
func (h *Handler) listObjects(x *request, b oss.Bucket, v2 bool) error {
	q := x.r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := defaultMaxKeys
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMaxKeys {
			return newError(errInvalidArgument, "ArgumentName", "max-keys", "ArgumentValue", v).
				withDetail("max-keys must be an integer from 1 to %d", maxMaxKeys)
		}
		maxKeys = n
	}
	enc := q.Get("encoding-type")
	if enc != "" && enc != "url" {
		return newError(errInvalidArgument, "ArgumentName", "encoding-type", "ArgumentValue", enc).withDetail("encoding-type must be url")
	}
	urlEnc := enc == "url"
	res := listResult{Name: b.Name, Prefix: encodeIf(urlEnc, prefix), MaxKeys: maxKeys, Delimiter: encodeIf(urlEnc, delim), EncodingType: enc}

	var after string
	if v2 {
		if v := q.Get("continuation-token"); q.Has("continuation-token") {
			raw, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil || v == "" {
				return newError(errInvalidArgument, "ArgumentName", "continuation-token", "ArgumentValue", v).withDetail("the continuation token is not one this endpoint issued")
			}
			after = string(raw)
			res.ContinuationToken = &v
		} else if v := q.Get("start-after"); v != "" {
			after = v
			sa := encodeIf(urlEnc, v)
			res.StartAfter = &sa
		}
	} else {
		after = q.Get("marker")
		m := encodeIf(urlEnc, after)
		res.Marker = &m
	}

	var objs []oss.Object
	var err error
	if pl, ok := h.d.Store().(pageLister); ok && delim == "" {
		// One more than a page tells whether the listing is truncated.
		objs, err = pl.ListPage(x.r.Context(), b.Name, prefix, after, maxKeys+1)
	} else {
		objs, err = h.d.Store().List(x.r.Context(), b.Name, prefix)
	}
	if err != nil {
		return err
	}
	keys, prefixes, next, truncated := page(objs, prefix, delim, after, maxKeys)
	var own *owner
	if !v2 || q.Get("fetch-owner") == "true" {
		o := h.owner(b.Owner)
		own = &o
	}
	for _, o := range keys {
		res.Contents = append(res.Contents, content{Key: encodeIf(urlEnc, o.Key), LastModified: o.Created.UTC().Format(isoTime),
			ETag: etag(o), Type: "Normal", Size: o.Size, StorageClass: "Standard", Owner: own})
	}
	for _, p := range prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{encodeIf(urlEnc, p)})
	}
	res.IsTruncated = truncated
	if truncated {
		if v2 {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(next))
		} else {
			res.NextMarker = encodeIf(urlEnc, next)
		}
	}
	if v2 {
		n := len(res.Contents) + len(res.CommonPrefixes)
		res.KeyCount = &n
	}
	return writeXML(x, res)
}

// pageLister is a Store that lists one page without listing the whole bucket
// (oss.Memory); other stores are listed whole and paged here.
type pageLister interface {
	ListPage(ctx context.Context, bucket, prefix, after string, limit int) ([]oss.Object, error)
}

// page picks at most max entries (objects and common prefixes, in key order) from objs,
// sorted by key and all starting with prefix, after the marker. next is the last entry
// returned, the marker of the following page.
func page(objs []oss.Object, prefix, delim, after string, max int) (keys []oss.Object, prefixes []string, next string, truncated bool) {
	i := sort.Search(len(objs), func(i int) bool { return objs[i].Key > after })
	lastPrefix := ""
	for ; i < len(objs); i++ {
		k := objs[i].Key
		cp := ""
		if delim != "" {
			if j := strings.Index(k[len(prefix):], delim); j >= 0 {
				cp = k[:len(prefix)+j+len(delim)]
			}
		}
		if cp != "" && (cp == lastPrefix || strings.HasPrefix(after, cp)) {
			continue // rolled up into a prefix already returned, on this page or before
		}
		if len(keys)+len(prefixes) == max {
			return keys, prefixes, next, true
		}
		if cp != "" {
			prefixes, lastPrefix, next = append(prefixes, cp), cp, cp
		} else {
			keys, next = append(keys, objs[i]), k
		}
	}
	return keys, prefixes, next, false
}
