package spec

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"gopkg.in/yaml.v3"

	"github.com/exportimage/eic/spec/errcode"
	"github.com/exportimage/eic/spec/internal/errgen"
)

// Version is the ECS API version every action here belongs to.
const Version = "2014-05-26"

// Document is the embedded OpenAPI document, byte for byte.
//
//go:embed openapi.yaml
var Document []byte

// Spec is a loaded, validated document.
type Spec struct {
	Doc   *openapi3.T
	Rules []Rule
	ops   map[string]*Operation

	variants []Variant
	schemas  sync.Map // schemaKey → *openapi3.Schema (nil: none), for CheckResponse
}

// Operation is one RPC action: the operation whose operationId is the action, and the path item
// that holds it.
type Operation struct {
	Action    string
	Path      string
	PathItem  *openapi3.PathItem
	Operation *openapi3.Operation
}

// Rule is one documented rule of x-eic-rules, cited by features and reports.
//
// The @core rule: a scenario is tagged @core only when every assertion in it follows from
// the seed document or from a protocol fact every Alibaba Cloud RPC endpoint shows
// (docs/protocol.md). Where the document is silent or sources disagree, the scenario
// accepts every documented or observed alternative, or is tagged @assumption (reported
// apart, failing the run only with --strict). Each rule therefore names its Source and
// quotes it (Quote), and the JSON report carries both for every ID.
type Rule struct {
	ID string `yaml:"id"`
	// Source is where the rule comes from: seed (the seed document), current-doc (the
	// current public document), protocol (docs/protocol.md, a section named in Quote).
	Source string `yaml:"source"`
	// Quote is the line of the source the rule rests on, verbatim (the seed is Chinese;
	// its line is quoted as written), or the protocol.md section.
	Quote  string   `yaml:"quote"`
	Title  string   `yaml:"title"`
	Text   string   `yaml:"text"`
	Errors []string `yaml:"errors"`
}

// Variant is a known real alternative to an error row (x-eic-variants): the same refusal as
// the row, observed or documented with another message and sometimes another code. A
// response matching a variant is conformant; one with the row's status and code but neither
// the row's message nor a variant's is "message drift" (reported, failing only with --strict).
type Variant struct {
	ID string `yaml:"id"` // the error row it is a variant of
	// Status and Code default to the row's (a message-only variant).
	Status  int    `yaml:"status"`
	Code    string `yaml:"code"`
	Message string `yaml:"message"` // verbatim; %s stands for any non-empty text
	Source  string `yaml:"source"`  // where it was documented or observed
}

// Matches reports whether a wire message has the variant's shape (see Code.Matches).
func (v Variant) Matches(message string) bool {
	return errcode.MessageMatches(v.Message, message)
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load returns the embedded document, parsed and validated once per process.
func Load() (*Spec, error) {
	loadOnce.Do(func() { loaded, loadErr = Parse(Document) })
	return loaded, loadErr
}

// MustLoad is Load for callers that cannot go on without the document (it is embedded and
// tested, so failure is a build defect).
func MustLoad() *Spec {
	s, err := Load()
	if err != nil {
		panic(err)
	}
	return s
}

// Parse loads and validates any document in eic's modelling: valid OpenAPI 3 (kin-openapi),
// one post operation per path with a unique operationId, a well-formed error table, and rules
// whose IDs are unique and whose cited errors exist. eic spec --check calls it on a file.
func Parse(data []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("spec: parse: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("spec: invalid OpenAPI document: %w", err)
	}
	s := &Spec{Doc: doc, ops: map[string]*Operation{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if method != http.MethodPost {
				return nil, fmt.Errorf("spec: %s %s: only post operations model RPC actions", method, path)
			}
			if op.OperationID == "" {
				return nil, fmt.Errorf("spec: %s: operation has no operationId (the action name)", path)
			}
			if _, dup := s.ops[op.OperationID]; dup {
				return nil, fmt.Errorf("spec: action %s is defined twice", op.OperationID)
			}
			s.ops[op.OperationID] = &Operation{Action: op.OperationID, Path: path, PathItem: item, Operation: op}
		}
	}
	rows, err := errgen.Rows(data)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	rowIDs := map[string]bool{}
	for _, r := range rows {
		rowIDs[r.ID] = true
	}
	var ext struct {
		Rules    []Rule    `yaml:"x-eic-rules"`
		Variants []Variant `yaml:"x-eic-variants"`
	}
	if err := yaml.Unmarshal(data, &ext); err != nil {
		return nil, fmt.Errorf("spec: x-eic-rules: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range ext.Rules {
		if r.ID == "" || seen[r.ID] {
			return nil, fmt.Errorf("spec: x-eic-rules: missing or duplicate id %q", r.ID)
		}
		seen[r.ID] = true
		if r.Quote == "" {
			return nil, fmt.Errorf("spec: rule %s has no quote of its source", r.ID)
		}
		for _, e := range r.Errors {
			if !rowIDs[e] {
				return nil, fmt.Errorf("spec: rule %s cites unknown error %s", r.ID, e)
			}
		}
	}
	s.Rules = ext.Rules
	for _, v := range ext.Variants {
		row := CodeByID(v.ID)
		if row == nil {
			return nil, fmt.Errorf("spec: x-eic-variants: unknown error row %q", v.ID)
		}
		if v.Status == 0 {
			v.Status = row.Status()
		}
		if v.Code == "" {
			v.Code = row.Wire
		}
		if v.Message == "" || v.Source == "" {
			return nil, fmt.Errorf("spec: x-eic-variants: variant of %s needs a message and a source", v.ID)
		}
		s.variants = append(s.variants, v)
	}
	return s, nil
}

// Actions lists the actions the document defines, sorted.
func (s *Spec) Actions() []string {
	out := make([]string, 0, len(s.ops))
	for a := range s.ops {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Operation looks an action up. RPC actions share the path "/", so this, not a router, is how
// a request finds its operation.
func (s *Spec) Operation(action string) (*Operation, error) {
	op, ok := s.ops[action]
	if !ok {
		return nil, fmt.Errorf("spec: no operation for action %q", action)
	}
	return op, nil
}

// Variants returns the known variants of the error row id (none for most rows).
func (s *Spec) Variants(id string) []Variant {
	var out []Variant
	for _, v := range s.variants {
		if v.ID == id {
			out = append(out, v)
		}
	}
	return out
}

// Rule returns the rule with that ID, or nil.
func (s *Spec) Rule(id string) *Rule {
	for i := range s.Rules {
		if s.Rules[i].ID == id {
			return &s.Rules[i]
		}
	}
	return nil
}

// Route builds the openapi3filter route of an action for a request of any method.
func (s *Spec) Route(action, method string) (*routers.Route, error) {
	op, err := s.Operation(action)
	if err != nil {
		return nil, err
	}
	return &routers.Route{Spec: s.Doc, Path: op.Path, PathItem: op.PathItem, Method: method, Operation: op.Operation}, nil
}

// validationOptions never let the validator rewrite what was sent, and report every problem.
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		SkipSettingDefaults:   true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
	}
}

// ValidateRequest checks a request's parameters against the action's operation: required
// parameters present, types, enums, patterns and lengths.
func (s *Spec) ValidateRequest(ctx context.Context, action string, r *http.Request) error {
	route, err := s.Route(action, r.Method)
	if err != nil {
		return err
	}
	in := &openapi3filter.RequestValidationInput{Request: r, Route: route, Options: validationOptions()}
	in.Options.ExcludeRequestBody = true
	return openapi3filter.ValidateRequest(ctx, in)
}

// ValidateResponse checks a response (status, content type, body schema) against the action's
// operation. Only JSON bodies are checked against schemas; callers convert XML first.
func (s *Spec) ValidateResponse(ctx context.Context, action string, r *http.Request, status int, header http.Header, body []byte) error {
	route, err := s.Route(action, r.Method)
	if err != nil {
		return err
	}
	opts := validationOptions()
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	return openapi3filter.ValidateResponse(ctx, in)
}

// ErrNoDocument is returned by Check for an empty file.
var ErrNoDocument = errors.New("spec: empty document")

// Check validates a document file's bytes the way Parse does; eic spec --check uses it.
func Check(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return ErrNoDocument
	}
	_, err := Parse(data)
	return err
}
