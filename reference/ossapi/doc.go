// Package ossapi serves the reference's buckets over the OSS HTTP API, so that tools
// reading exported images with the OSS SDKs, ossutil or terraform's provider reach them
// unchanged.
//
// What it emulates: path-style ("http://host/bucket/key") and virtual-hosted
// ("http://bucket.host/key") addressing; the V1 and V4 signatures, header and presigned
// (internal/osssig), with the same access keys and STS tokens as the ECS API (looked up
// in the domain, never copied); the operations ListBuckets, GetBucketInfo,
// GetBucketLocation, GetBucketAcl, ListObjects, ListObjectsV2 (prefix, delimiter, max-keys, marker,
// start-after, continuation-token, encoding-type=url, fetch-owner), GetObject and
// HeadObject and GetObjectMeta (Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since,
// ETag, Last-Modified, Content-Length), DeleteObject and DeleteMultipleObjects; errors in
// OSS's XML shape (for HEAD: status, x-oss-ec and the base64 XML in x-oss-err) and an
// x-oss-request-id on every answer. Objects are streamed from the Store with ReadAt, so
// a multi-GiB object is never copied into memory, and only committed objects (complete
// exports) are visible, as the Store contract guarantees.
//
// Order of checks: addressing and names (InvalidBucketName, InvalidObjectName), then
// authentication (AccessDenied for anonymous requests, InvalidAccessKeyId,
// SignatureDoesNotMatch, RequestTimeTooSkewed, InvalidSecurityToken /
// SecurityTokenExpired), then the bucket (NoSuchBucket; AccessDenied when another
// account owns it), then the operation. Real OSS: unknown whether NoSuchBucket can come
// before the signature check; the reference never reveals a bucket to a bad signature.
//
// What it deliberately does not do: uploads of any kind (PutObject, multipart,
// AppendObject, CopyObject answer NotImplemented; only exports write objects), ACLs and
// bucket policies (a bucket is readable by its owner account only), versioning, object
// metadata beyond size/ETag/time, CRC64 headers, and bucket creation or deletion.
package ossapi
