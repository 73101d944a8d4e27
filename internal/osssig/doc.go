// Package osssig speaks OSS request authentication: the header signature V1
// ("Authorization: OSS AccessKeyId:Signature", HMAC-SHA1 over VERB, Content-MD5,
// Content-Type, Date, the x-oss-* headers and the canonical resource), V4
// ("Authorization: OSS4-HMAC-SHA256 Credential=…,AdditionalHeaders=…,Signature=…",
// the default of github.com/aliyun/alibabacloud-oss-go-sdk-v2), and the presigned URLs
// of both (V1: OSSAccessKeyId, Expires, Signature; V4: x-oss-signature-version,
// x-oss-credential, x-oss-date, x-oss-expires, x-oss-signature).
//
// Parse reads a received request into an *Auth without knowing any secret; the caller
// looks the AccessKeyID up, calls Verify with the secret, and applies its own clock:
// CheckTime enforces the 15-minute skew window of header signatures and the expiry of
// presigned URLs. SignV1, SignV4, PresignV1 and PresignV4 sign the way the SDKs do (for
// tests and the benchmark); they share the string-to-sign code with Parse.
//
// The canonical resource is "/bucket/key" whichever addressing the client used (path
// style or virtual-hosted "bucket.host"), so the caller resolves bucket and key first.
//
// What it deliberately does not do: the "OSS2" signature of old SDKs, POST policy
// (browser form) uploads, payload hashing (V4 requests are accepted with any
// x-oss-content-sha256, as UNSIGNED-PAYLOAD is what the SDKs send) and region checks of
// the V4 scope (any region signs). It imports only the standard library.
package osssig
