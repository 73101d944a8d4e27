// Package acs speaks the Alibaba Cloud RPC wire protocol as used by the ECS
// API (version 2014-05-26): request signing and verification, canonical
// forms, response format negotiation and the response envelopes.
//
// What it does:
//
//   - V3 signatures (ACS3-HMAC-SHA256, the v7 Go SDK default): SignV3 signs
//     an *http.Request like the SDK; ParseV3 checks a received request and
//     returns an *Auth whose Verify(secret) recomputes the signature. The
//     canonical headers always come from the request's own SignedHeaders
//     list, because the SDK signs x-acs-credentials-provider too.
//   - V1 signatures (HMAC-SHA1 query signature, SDK SignatureAlgorithm "v2"):
//     SignV1 and ParseV1, signed over the union of query and form-body
//     parameters (RequestParams builds that union on the server).
//   - A client (Signer) that builds ready-to-send requests the way the Go
//     SDK does, with optional form-body parameters like other SDKs.
//   - Typed authentication failures (*AuthError) that carry the wire error
//     code, so the caller renders them without guessing.
//   - Cheap refusals: parsing (Parse, PeekParams) costs one pass over the
//     request and decodes only the common parameters; the string to sign is
//     built and the body hashed only by Verify, after the caller has found
//     the key.
//   - A replay cache no client can flush (NonceCache): nonces held until
//     they expire, capacity divided per scope, a scope over its share
//     throttled rather than evicting anything.
//   - Format negotiation (ResponseFormat), the error envelope and success
//     bodies in JSON and XML (ErrorEnvelope, RenderSuccess), and a client
//     side decoder for both (DecodeBody, DecodeError).
//
// What it deliberately does not do: it knows no accounts or secrets (the
// caller looks the AccessKeyId up and calls Verify), does not enforce the
// time window or nonce uniqueness (the caller does, with NonceCache), does not
// know error messages or HTTP statuses (those live in the spec's code table),
// and does not implement ACS3-HMAC-SM3, ACS3-RSA-SHA256, bearer tokens, the
// ROA style or the V4 gateway signature. It imports only the standard library
// and no other package of this module.
package acs
