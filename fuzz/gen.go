package fuzz

import (
	"fmt"
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/leanovate/gopter"

	"github.com/exportimage/eic/spec"
)

// protocolParams belong to the signature layer, not to an action: the signer sets them (V1)
// or carries them in headers (V3), so generated requests never set them themselves. They are
// the spec's "common parameter" components.
var protocolParams = map[string]bool{
	"Action": true, "Version": true, "Format": true, "AccessKeyId": true, "Signature": true,
	"SignatureMethod": true, "SignatureVersion": true, "SignatureNonce": true, "Timestamp": true,
	"SecurityToken": true,
}

// ParamInfo is what the spec says about one parameter of an action.
type ParamInfo struct {
	Name      string
	Required  bool
	Type      string // string, boolean or integer
	Enum      []string
	Pattern   *regexp.Regexp
	MinLength int
	MaxLength int // -1: none
	Min, Max  *float64
	Example   string
}

// ParamsOf lists an action's own parameters (protocol parameters left out) from the spec.
func ParamsOf(s *spec.Spec, action string) ([]ParamInfo, error) {
	op, err := s.Operation(action)
	if err != nil {
		return nil, err
	}
	var out []ParamInfo
	for _, ref := range op.Operation.Parameters {
		p := ref.Value
		if p == nil || p.In != "query" || protocolParams[p.Name] || p.Schema == nil || p.Schema.Value == nil {
			continue
		}
		sc := p.Schema.Value
		info := ParamInfo{Name: p.Name, Required: p.Required, Type: schemaType(sc), MinLength: int(sc.MinLength),
			MaxLength: -1, Min: sc.Min, Max: sc.Max}
		if sc.MaxLength != nil {
			info.MaxLength = int(*sc.MaxLength)
		}
		for _, e := range sc.Enum {
			info.Enum = append(info.Enum, fmt.Sprint(e))
		}
		if sc.Pattern != "" {
			re, err := regexp.Compile(sc.Pattern)
			if err != nil {
				return nil, errorf("%s.%s: pattern: %w", action, p.Name, err)
			}
			info.Pattern = re
		}
		switch {
		case p.Example != nil:
			info.Example = fmt.Sprint(p.Example)
		case sc.Example != nil:
			info.Example = fmt.Sprint(sc.Example)
		}
		out = append(out, info)
	}
	return out, nil
}

func schemaType(sc *openapi3.Schema) string {
	switch {
	case sc.Type.Is("boolean"):
		return "boolean"
	case sc.Type.Is("integer"):
		return "integer"
	default:
		return "string"
	}
}

// alphabet is the printable ASCII characters the pattern accepts in every position.
func (p ParamInfo) alphabet() string {
	n := max(p.MinLength, 1)
	var b strings.Builder
	for c := byte(0x21); c < 0x7f; c++ {
		if p.Pattern == nil || p.Pattern.MatchString(strings.Repeat(string(c), n)) {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func randString(r *rand.Rand, alphabet string, n int) string {
	if alphabet == "" {
		alphabet = "a"
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	return string(b)
}

// Pattern-violating characters: the classes the document's "digits or letters only" rules
// out, a non-ASCII letter, a CJK character, and a byte that is not UTF-8.
var violations = []string{"-", "_", "/", " ", ".", "*", "%", "é", "导", "\xff"}

// Valid returns a value the schema accepts: an enum value, a string of a boundary or middle
// length over the pattern's alphabet, the example, a boolean or an in-range integer.
func (p ParamInfo) Valid(r *rand.Rand) string {
	switch p.Type {
	case "boolean":
		return []string{"true", "false"}[r.Intn(2)]
	case "integer":
		lo, hi := int64(0), int64(1<<31)
		if p.Min != nil {
			lo = int64(*p.Min)
		}
		if p.Max != nil {
			hi = int64(*p.Max)
		}
		return strconv.FormatInt([]int64{lo, hi, lo + r.Int63n(hi-lo+1)}[r.Intn(3)], 10)
	}
	if len(p.Enum) > 0 {
		return p.Enum[r.Intn(len(p.Enum))]
	}
	if p.Pattern != nil || p.MaxLength >= 0 || p.MinLength > 0 {
		lo, hi := max(p.MinLength, 1), p.MaxLength
		if hi < 0 {
			hi = lo + 40
		}
		n := []int{lo, hi, lo + r.Intn(hi-lo+1)}[r.Intn(3)]
		return randString(r, p.alphabet(), n)
	}
	if p.Example != "" && r.Intn(2) == 0 {
		return p.Example
	}
	return randString(r, "abcdefghijklmnopqrstuvwxyz0123456789-", 1+r.Intn(20))
}

// Invalid returns a value the schema (or its type) refuses, or an odd one the schema does
// not rule out: absent-but-present (empty), lengths just outside the bounds, a pattern
// violation, case variants and unknown enum values, non-ASCII, invalid UTF-8, very long.
func (p ParamInfo) Invalid(r *rand.Rand) string {
	common := []func() string{
		func() string { return "" },
		func() string { return "\xff\xfe" },
		func() string { return "导出" },
		func() string { return " " },
		func() string { return strings.Repeat("A", []int{256, 1000, 40000}[r.Intn(3)]) },
	}
	var own []func() string
	switch p.Type {
	case "boolean":
		own = []func() string{
			func() string { return []string{"True", "TRUE", "1", "0", "yes", " true", "false "}[r.Intn(7)] },
		}
	case "integer":
		own = []func() string{
			func() string {
				return []string{"abc", "1.5", "1e3", " 1", "0x10", "-", "9223372036854775808", "١٢"}[r.Intn(8)]
			},
		}
		if p.Min != nil {
			own = append(own, func() string { return strconv.FormatInt(int64(*p.Min)-1, 10) })
		}
		if p.Max != nil {
			own = append(own, func() string { return strconv.FormatInt(int64(*p.Max)+1, 10) })
		}
	default:
		if len(p.Enum) > 0 {
			e := p.Enum[r.Intn(len(p.Enum))]
			own = append(own,
				func() string { return strings.ToUpper(e) },
				func() string { return strings.ToUpper(e[:1]) + e[1:] },
				func() string { return e + " " },
				func() string { return e + "x" },
				func() string { return "zip" },
			)
		}
		if p.Pattern != nil || p.MaxLength >= 0 || p.MinLength > 0 {
			a := p.alphabet()
			lo, hi := max(p.MinLength, 1), p.MaxLength
			if hi < 0 {
				hi = lo + 40
			}
			own = append(own, // the boundaries just outside the bounds count double
				func() string { return randString(r, a, p.MinLength-1+boolInt(p.MinLength == 0)) },
				func() string { return randString(r, a, hi+1) },
				func() string { return randString(r, a, hi+1) },
				func() string { return randString(r, a, hi+1+r.Intn(hi+1)) },
				func() string {
					n := lo + r.Intn(hi-lo+1)
					s := []byte(randString(r, a, n))
					i := r.Intn(n)
					return string(s[:i]) + violations[r.Intn(len(violations))] + string(s[i+1:])
				},
			)
		}
	}
	all := append(own, own...) // schema-specific values twice as likely as the generic ones
	all = append(all, common...)
	return all[r.Intn(len(all))]()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Generator makes whole requests: schema-derived values for every parameter, fixture IDs
// for the resource parameters (ImageId, OSSBucket, RegionId, TaskId, RoleName), coherent
// most of the time (an account's own image, its region, a bucket there) and perturbed
// often enough to reach every check.
type Generator struct {
	World       *World
	params      map[string][]ParamInfo
	constrained map[string][]ParamInfo // per action, see constrainedParams
	required    map[string][]string    // per action, the names of its required parameters
	combos      map[string][][3]string // per account: own plain image, its region, a bucket there
	// Accounts the generator may act as (those whose keys it has); the first is the main one.
	Accounts []string
	// Odd keys (UnknownKey, DisabledKey) are used unless NoOddKeys.
	NoOddKeys bool
	// ControlAPI: the endpoint has the reference's control API (STS tokens can be issued, so
	// TamperForeignToken is generated).
	ControlAPI bool
	// VirtualClock: the endpoint's clock can be moved through the control API.
	VirtualClock bool
}

// NewGenerator reads the parameters of every action of the spec.
func NewGenerator(s *spec.Spec, w *World) (*Generator, error) {
	g := &Generator{World: w, params: map[string][]ParamInfo{}, constrained: map[string][]ParamInfo{}, required: map[string][]string{}, combos: map[string][][3]string{}}
	for _, a := range s.Actions() {
		ps, err := ParamsOf(s, a)
		if err != nil {
			return nil, err
		}
		g.params[a] = ps
		for _, p := range ps {
			if p.Required {
				g.required[a] = append(g.required[a], p.Name)
			}
		}
	}
	for _, a := range s.Actions() {
		g.constrained[a] = g.constrainedParams(a)
	}
	for _, acct := range w.AccountNames() {
		g.combos[acct] = w.exportable(acct)
	}
	g.Accounts = append([]string{MainAccount}, without(w.AccountNames(), MainAccount)...)
	return g, nil
}

// Params are the parameters the generator knows for an action.
func (g *Generator) Params(action string) []ParamInfo { return g.params[action] }

func without(list []string, x string) []string {
	var out []string
	for _, s := range list {
		if s != x {
			out = append(out, s)
		}
	}
	return out
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.Intn(len(list))] }

// Request generates one request for action; st (may be nil) offers task IDs: half of the
// time a Variant of a valid request (one thing changed), otherwise a Random one.
func (g *Generator) Request(r *rand.Rand, action string, st *State) Request {
	var req Request
	if r.Intn(2) == 0 {
		req = g.Variant(r, action, st)
	} else {
		req = g.Random(r, action, st)
	}
	if r.Intn(100) < 15 {
		req.Scheme = pick(r, []string{"v1", "v3"})
	}
	return req
}

// Random generates a request with any number of faults.
//
// A request starts coherent — the account's own image, its region, a bucket of the account
// there, every required parameter and some optional ones with schema-valid values — and then
// takes 0–3 faults: an invalid value (Invalid), a required parameter dropped or emptied, a
// parameter the action does not define, a repeated parameter, an unknown or disabled key.
// Resource parameters sometimes take any fixture (another account's image, a bucket in
// another region, a missing ID) instead of the coherent one.
func (g *Generator) Random(r *rand.Rand, action string, st *State) Request {
	w := g.World
	req := Request{Action: action, Account: g.Accounts[0]}
	if len(g.Accounts) > 1 && r.Intn(100) < 20 {
		req.Account = pick(r, g.Accounts[1:])
	}
	owner := req.Account
	var anchor Image
	var own []Image
	for _, id := range w.ImageIDs() {
		if img := w.Images[id]; img.Owner == owner {
			own = append(own, img)
		}
	}
	if len(own) > 0 && r.Intn(10) < 8 {
		anchor = pick(r, own)
	} else {
		anchor = w.Images[pick(r, w.ImageIDs())]
	}
	var buckets []string
	for _, b := range w.BucketNames() {
		if bk := w.Buckets[b]; bk.Owner == owner && bk.Region == anchor.Region {
			buckets = append(buckets, b)
		}
	}
	var tasks []string
	if st != nil {
		for _, t := range st.Tasks {
			if t.Account == owner {
				tasks = append(tasks, t.ID)
			}
		}
	}
	coherent := func(name string) (string, bool) {
		switch name {
		case "RegionId":
			return anchor.Region, true
		case "ImageId":
			return anchor.ID, true
		case "OSSBucket":
			if len(buckets) > 0 {
				return pick(r, buckets), true
			}
		case "TaskId":
			if len(tasks) > 0 {
				return pick(r, tasks), true
			}
		case "RoleName":
			return DefaultRole, true
		}
		return "", false
	}
	params := g.params[action]
	for _, p := range params {
		if !p.Required && r.Intn(100) >= 30 {
			continue
		}
		v, ok := coherent(p.Name)
		if rv, isRes := g.resource(r, p.Name, tasks); isRes && (!ok || r.Intn(100) < 25) {
			v, ok = rv, true
		}
		if !ok {
			v = p.Valid(r)
		}
		req.Params = append(req.Params, Param{p.Name, v})
	}
	faults := []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3}[r.Intn(20)]
	for range faults {
		switch n := r.Intn(12); {
		case n < 6 && len(params) > 0: // an invalid value, usually of a constrained parameter
			p := pick(r, params)
			if r.Intn(4) > 0 {
				p = pick(r, g.constrained[action])
			}
			req = req.With(p.Name, p.Invalid(r))
		case n < 8: // a required parameter dropped or emptied
			if len(g.required[action]) == 0 {
				continue
			}
			name := pick(r, g.required[action])
			if n == 6 {
				req = req.Without(name)
			} else {
				req = req.With(name, "")
			}
		case n == 8:
			req.Params = append(req.Params, Param{g.unknownName(r, action), "x"})
		case n == 9 && len(req.Params) > 0:
			p := pick(r, req.Params)
			if r.Intn(2) == 0 {
				p.Value += "2"
			}
			req.Params = append(req.Params, p)
		case n == 10 && !g.NoOddKeys:
			req.Account = pick(r, []string{UnknownKey, DisabledKey})
		case n == 11 && r.Intn(2) == 0:
			req.Tamper = pick(r, Tampers)
			if !g.canSend(req.Tamper) {
				req.Tamper = TamperBogusToken
			}
		default:
			if len(g.Accounts) > 1 {
				req.Account = pick(r, g.Accounts)
			}
		}
	}
	r.Shuffle(len(req.Params), func(i, j int) { req.Params[i], req.Params[j] = req.Params[j], req.Params[i] })
	return req
}

// constrained lists an action's parameters the documents say something about: required,
// enumerated, patterned or length-bounded, or a resource (falls back to all parameters).
func (g *Generator) constrainedParams(action string) []ParamInfo {
	var out []ParamInfo
	for _, p := range g.params[action] {
		if _, res := g.resource(rand.New(rand.NewSource(0)), p.Name, nil); p.Required || len(p.Enum) > 0 ||
			p.Pattern != nil || p.MaxLength >= 0 || p.Min != nil || p.Max != nil || res {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return g.params[action]
	}
	return out
}

// resource is a fixture value for a resource parameter: any fixture, a missing one, or a
// case variant.
func (g *Generator) resource(r *rand.Rand, name string, tasks []string) (string, bool) {
	w := g.World
	var list []string
	switch name {
	case "RegionId":
		list = append(w.RegionNames(), "eic-nowhere-1", "CN-HANGZHOU")
	case "ImageId":
		list = append(w.ImageIDs(), "m-eic-no-such-image", "M-EIC-CUSTOM", "m-eic-custom ")
	case "OSSBucket":
		list = append(w.BucketNames(), "eic-no-such-bucket", "EIC-EXPORT")
	case "TaskId":
		list = append(tasks, "t-eic-no-such-task-01", "t-")
	case "RoleName":
		list = []string{DefaultRole, "AliyunECSImageExportRole", strings.ToLower(DefaultRole), "AliyunECSImageImportDefaultRole"}
	default:
		return "", false
	}
	return pick(r, list), true
}

// unknownName is a parameter the action does not define: a case variant of one it does, a
// parameter of another action, or a plain stranger.
func (g *Generator) unknownName(r *rand.Rand, action string) string {
	known := map[string]bool{}
	for _, p := range g.params[action] {
		known[p.Name] = true
	}
	var cands []string
	for _, p := range g.params[action] {
		for _, v := range []string{strings.ToLower(p.Name), strings.ToUpper(p.Name)} {
			if !known[v] {
				cands = append(cands, v)
			}
		}
	}
	actions := sortedKeys(g.params)
	for _, a := range actions {
		for _, p := range g.params[a] {
			if !known[p.Name] {
				cands = append(cands, p.Name)
			}
		}
	}
	cands = append(cands, "Foo", "OssBucket")
	sort.Strings(cands)
	for {
		c := pick(r, cands)
		if !known[c] && !protocolParams[c] {
			return c
		}
	}
}

func (g *Generator) keyID(account string) string {
	switch account {
	case UnknownKey:
		return "LTAI5tEicNoSuchKey9999"
	case DisabledKey:
		for _, id := range sortedKeys(g.World.Keys) {
			if g.World.Keys[id].Disabled {
				return id
			}
		}
	}
	k, _ := g.World.KeyOf(account)
	return k.ID
}

// Gen is Request as a gopter generator (actions chosen by weight, ExportImage first) whose
// shrinker is Simplifications.
func (g *Generator) Gen(actions []string, st *State) gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		a := actions[0]
		if len(actions) > 1 && p.Rng.Intn(100) >= 70 {
			a = actions[1+p.Rng.Intn(len(actions)-1)]
		}
		req := g.Request(p.Rng, a, st)
		return gopter.NewGenResult(req, requestShrinker)
	}
}

// seedInt64 turns any int64 into a math/rand source seed.
func seedInt64(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }
