package acs

import "fmt"

// Wire error codes an authentication failure maps to. They are the codes
// of the ECS common-error table; messages and HTTP statuses are not kept here
// but in the spec's code table, where the caller finds the row by this code
// (each is the code of exactly one gateway row, but SignatureDoesNotMatch,
// which has a row per scheme).
const (
	// CodeIncompleteSignature: Authorization header or V1 signature
	// parameters missing or ill-formed, unsupported algorithm, a required
	// header left out of SignedHeaders.
	CodeIncompleteSignature = "IncompleteSignature"
	// CodeMissingParameter: a required common parameter (V1) or header (V3)
	// is absent; AuthError.Param names it.
	CodeMissingParameter = "MissingParameter"
	// CodeMissingTimestamp: the V1 Timestamp parameter is absent.
	CodeMissingTimestamp = "MissingTimestamp"
	// CodeMissingSignature: the V1 Signature parameter is absent.
	CodeMissingSignature = "MissingSignature"
	// CodeInvalidTimeStampFormat: Timestamp / x-acs-date does not parse.
	CodeInvalidTimeStampFormat = "InvalidTimeStamp.Format"
	// CodeSignatureDoesNotMatch: the recomputed signature or body hash
	// differs from the one sent (Check only).
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
)

// AuthError is the one error type returned by ParseV1, ParseV3 and Parse.
// Code is one of the Code* constants; Param names the missing parameter or
// header for CodeMissingParameter (e.g. "Timestamp", "x-acs-date");
// StringToSign is the server's string to sign when it could be computed (real
// ECS appends it to SignatureDoesNotMatch messages); Detail is a lower-case
// human explanation for logs, not meant for the wire message.
type AuthError struct {
	Code         string
	Param        string
	StringToSign string
	Detail       string
}

func (e *AuthError) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("acs: %s %q: %s", e.Code, e.Param, e.Detail)
	}
	return fmt.Sprintf("acs: %s: %s", e.Code, e.Detail)
}

func incomplete(detail string) *AuthError {
	return &AuthError{Code: CodeIncompleteSignature, Detail: detail}
}

func missing(param string) *AuthError {
	return &AuthError{Code: CodeMissingParameter, Param: param, Detail: "required parameter is not supplied"}
}
