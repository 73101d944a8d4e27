package fuzz

import (
	"strings"

	"github.com/leanovate/gopter"
)

// Simplifications lists requests one step simpler than req, the most drastic first: act as
// the main account, drop a parameter, then shorten or tame a value (halve it, drop its last
// or first character, replace its unusual characters by 'a').
func Simplifications(req Request) []Request {
	var out []Request
	if req.Tamper != "" {
		r := req.clone()
		r.Tamper = ""
		out = append(out, r)
	}
	if req.Scheme != "" {
		r := req.clone()
		r.Scheme = ""
		out = append(out, r)
	}
	if req.Setup != "" {
		r := req.clone()
		r.Setup = ""
		out = append(out, r)
	}
	if req.Account != MainAccount {
		r := req.clone()
		r.Account = MainAccount
		out = append(out, r)
	}
	for i := range req.Params {
		r := req.clone()
		r.Params = append(r.Params[:i:i], req.Params[i+1:]...)
		out = append(out, r)
	}
	for i, p := range req.Params {
		v := p.Value
		var cands []string
		if len(v) > 1 {
			cands = append(cands, v[:len(v)/2], v[:len(v)-1], v[1:])
		}
		if tame := strings.Map(func(c rune) rune {
			if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return c
			}
			return 'a'
		}, v); tame != v {
			cands = append(cands, tame)
		}
		for _, c := range cands {
			r := req.clone()
			r.Params[i].Value = c
			out = append(out, r)
		}
	}
	return out
}

// Shrink simplifies req greedily while fails still holds, spending at most budget calls of
// fails; it returns the smallest failing request found and the number of calls made.
func Shrink(req Request, budget int, fails func(Request) bool) (Request, int) {
	calls := 0
	for {
		improved := false
		for _, c := range Simplifications(req) {
			if calls >= budget {
				return req, calls
			}
			calls++
			if fails(c) {
				req, improved = c, true
				break
			}
		}
		if !improved {
			return req, calls
		}
	}
}

// requestShrinker is Simplifications as a gopter shrinker.
func requestShrinker(v any) gopter.Shrink {
	list := Simplifications(v.(Request))
	i := 0
	return func() (any, bool) {
		if i >= len(list) {
			return nil, false
		}
		i++
		return list[i-1], true
	}
}
