// Package api is the HTTP face of the reference server and its only HTTP-aware layer.
//
// Handler speaks the ECS RPC protocol: it decodes parameters from the query and from an
// application/x-www-form-urlencoded body (GET and POST), authenticates V1 and V3 signatures
// through internal/acs (keys, disabled keys, STS tokens, the ±15 minute window, nonce replay),
// dispatches by action (x-acs-action or Action), checks Version, refuses unknown or ill-typed
// parameters, and renders results and errors as JSON or XML with the real content types and
// an x-acs-request-id on every response. Error codes, statuses and messages come from the
// spec package's table; nothing here restates them.
//
// Control serves the reference's control API under /_reference/, behind its own token.
//
// It does not implement the ROA style, bearer tokens, the V4 gateway signature, or real rate
// limits (throttling exists only as an injected fault).
package api
