package spec

import "github.com/exportimage/eic/spec/errcode"

// The error table lives in package errcode (light enough for the domain to import); these are
// its names as spec has always offered them. errors_gen.go re-exports each row.
type (
	// Code is one row of the error table (errcode.Code).
	Code = errcode.Code
	// Error is an error carrying a row of the table (errcode.Error).
	Error = errcode.Error
)

// The forms of the server's string to sign appended to a signature error (errcode).
const (
	StringToSignFormV1 = errcode.StringToSignFormV1
	StringToSignFormV3 = errcode.StringToSignFormV3
)

// codes is the error table in document order: errcode's rows, the same pointers.
var codes = errcode.Codes()

// Codes returns every row of the error table in document order.
func Codes() []*Code { return append([]*Code(nil), codes...) }

// CodeByID returns the row with that ID, or nil.
func CodeByID(id string) *Code { return errcode.CodeByID(id) }

// Lookup returns the rows with a wire code (several when the code has several rows).
func Lookup(code string) []*Code { return errcode.Lookup(code) }
