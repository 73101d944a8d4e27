// Package api is the HTTP face of the reference server and its only HTTP-aware layer.
//
// Handler speaks the ECS RPC protocol: it authenticates V1 and V3 signatures through
// internal/acs (keys, disabled keys, STS keys and tokens, the ±15 minute window, nonce replay
// with a per-account share; auth.go has the order of checks), looking the key up before any
// work in proportion to the request; then it decodes parameters from the query and from an
// application/x-www-form-urlencoded body (GET and POST), dispatches by action (x-acs-action or Action), checks Version, refuses unknown or ill-typed
// parameters, and renders results and errors as JSON or XML with the real content types and
// an x-acs-request-id on every response. Error codes, statuses and messages come from the
// spec package's table; nothing here restates them.
//
// Control serves the reference's control API under /_reference/, behind its own token.
//
// It does not implement the ROA style, bearer tokens, the V4 gateway signature, or real rate
// limits: Throttling.User comes only from an injected fault or from an account over its share
// of the replay cache.
package api
