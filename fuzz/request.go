package fuzz

import (
	"net/url"
	"strings"
)

// Special values of Request.Account that pick a key rather than an account.
const (
	UnknownKey  = "@unknown-key"  // an access key ID no endpoint knows
	DisabledKey = "@disabled-key" // the World's disabled key
)

// Request is one generated RPC call: a plain value that prints as a replayable line.
// Params keep their order and may repeat a name (a duplicated parameter is itself a case).
type Request struct {
	Action  string
	Account string // a World account name, UnknownKey or DisabledKey
	Params  []Param
	// Tamper spoils the signed request on the wire (one of Tampers; "" for none).
	Tamper string
	// Scheme signs this request with "v1" or "v3" ("" = the session's).
	Scheme string
	// Setup puts the endpoint in a state before the request (one of Setups; "" for none).
	Setup string
}

// scheme is the signature scheme the request is sent with.
func (r Request) scheme(session string) string {
	switch {
	case r.Scheme != "":
		return r.Scheme
	case session != "":
		return session
	}
	return "v3"
}

// Param is one query parameter as sent.
type Param struct{ Name, Value string }

// String is "Action as account: query" ("Action as account via v1 after setup with tamper:
// query" for one signed with another scheme than the session's, sent after a setup and
// tampered with), the query percent-encoded in parameter order, so a request can be read back
// with ParseRequest.
func (r Request) String() string {
	var b strings.Builder
	b.WriteString(r.Action)
	b.WriteString(" as ")
	b.WriteString(r.Account)
	if r.Scheme != "" {
		b.WriteString(" via ")
		b.WriteString(r.Scheme)
	}
	if r.Setup != "" {
		b.WriteString(" after ")
		b.WriteString(r.Setup)
	}
	if r.Tamper != "" {
		b.WriteString(" with ")
		b.WriteString(r.Tamper)
	}
	b.WriteString(": ")
	b.WriteString(r.Query())
	return b.String()
}

// Query is the parameters percent-encoded in their order (not the wire order, which is
// sorted by the signer).
func (r Request) Query() string {
	parts := make([]string, len(r.Params))
	for i, p := range r.Params {
		parts[i] = url.QueryEscape(p.Name) + "=" + url.QueryEscape(p.Value)
	}
	return strings.Join(parts, "&")
}

// ParseRequest reads a line printed by String.
func ParseRequest(s string) (Request, error) {
	head, query, ok := strings.Cut(s, ": ")
	if !ok {
		return Request{}, errorf("request %q: want \"Action as account: query\"", s)
	}
	action, account, ok := strings.Cut(head, " as ")
	if !ok {
		return Request{}, errorf("request %q: want \"Action as account: query\"", s)
	}
	r := Request{Action: action, Account: account}
	if acct, tamper, ok := strings.Cut(r.Account, " with "); ok {
		r.Account, r.Tamper = acct, tamper
	}
	if acct, setup, ok := strings.Cut(r.Account, " after "); ok {
		r.Account, r.Setup = acct, setup
	}
	if acct, scheme, ok := strings.Cut(r.Account, " via "); ok {
		r.Account, r.Scheme = acct, scheme
	}
	if query == "" {
		return r, nil
	}
	for _, part := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return Request{}, errorf("request %q: %w", s, err)
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return Request{}, errorf("request %q: %w", s, err)
		}
		r.Params = append(r.Params, Param{name, value})
	}
	return r, nil
}

// Values is the parameters as url.Values (repeated names keep every value).
func (r Request) Values() url.Values {
	v := url.Values{}
	for _, p := range r.Params {
		v.Add(p.Name, p.Value)
	}
	return v
}

// Get returns the first value of a parameter and whether it is present.
func (r Request) Get(name string) (string, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// With returns a copy with the parameter set (replacing every occurrence, or appended).
func (r Request) With(name, value string) Request {
	out := r.clone()
	out.Params = out.Params[:0]
	done := false
	for _, p := range r.Params {
		if p.Name == name {
			if done {
				continue
			}
			p.Value, done = value, true
		}
		out.Params = append(out.Params, p)
	}
	if !done {
		out.Params = append(out.Params, Param{name, value})
	}
	return out
}

// Without returns a copy without the parameter.
func (r Request) Without(name string) Request {
	out := r.clone()
	out.Params = out.Params[:0]
	for _, p := range r.Params {
		if p.Name != name {
			out.Params = append(out.Params, p)
		}
	}
	return out
}

func (r Request) clone() Request {
	out := r
	out.Params = append([]Param(nil), r.Params...)
	return out
}
