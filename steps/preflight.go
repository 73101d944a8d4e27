package steps

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/exportimage/eic/internal/acs"
)

// tagTerm is one operand of a godog tag expression: an optional ~ (not), then a tag.
var tagTerm = regexp.MustCompile(`^~?@?[^\s@~,&|()]+$`)

// CheckTags reports whether expr is a tag expression godog can apply: terms joined by "&&"
// (and) and "," (or), each a tag optionally negated with "~", e.g. "@core && ~@costly". godog
// itself panics on an empty term ("@core &&", ","), so every expression is checked here first.
func CheckTags(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	for _, alt := range strings.Split(expr, ",") {
		for _, term := range strings.Split(alt, "&&") {
			term = strings.TrimSpace(term)
			if !tagTerm.MatchString(term) {
				what := fmt.Sprintf("%q is not a tag", term)
				if term == "" {
					what = "an empty term"
				}
				return fmt.Errorf("--tags %q: %s (want tags joined by && and , with ~ for not, e.g. '@core && ~@costly')", expr, what)
			}
		}
	}
	return nil
}

// checkKnownTags refuses a tag expression naming a tag that no scenario of the suite carries:
// such a term is a typo far more often than a wish, and it is costly either way — "@cor"
// selects nothing (a run that proves nothing), "~@cosly" excludes nothing (the costly
// scenarios run). The error suggests the nearest tag the suite has.
func checkKnownTags(expr string, pickles []pickleInfo) error {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	known := map[string]bool{}
	for _, p := range pickles {
		for _, t := range p.tags {
			known[t] = true
		}
	}
	for _, alt := range strings.Split(expr, ",") {
		for _, term := range strings.Split(alt, "&&") {
			tag := strings.TrimPrefix(strings.TrimSpace(term), "~")
			if !strings.HasPrefix(tag, "@") {
				tag = "@" + tag
			}
			if known[tag] {
				continue
			}
			hint := ""
			if near := nearestTag(tag, known); near != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", near)
			}
			return fmt.Errorf("--tags %q: no scenario carries %s%s", expr, tag, hint)
		}
	}
	return nil
}

// nearestTag is the known tag at the smallest edit distance from tag, if that distance is at
// most 2 (ties: the alphabetically first).
func nearestTag(tag string, known map[string]bool) string {
	best, bestD := "", 3
	for k := range known {
		if d := editDistance(strings.ToLower(tag), strings.ToLower(k)); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// authCodes are the wire codes with which an endpoint refuses the caller's credentials
// rather than the request (protocol.md D).
var authCodes = []string{"InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature",
	"InvalidSecurityToken", "Forbidden.AccessKeyDisabled", "InvalidAccessKeySecret"}

// Preflight checks, before any scenario, what a run needs from its endpoint: with a control
// API, that the token is accepted; with credentials for the account "main", that one signed
// call (DescribeTasks in the home region) is not refused for its credentials. Missing
// credentials are no preflight error: the scenarios skip and the verdict says so.
func Preflight(ctx context.Context, cfg *Config) error {
	cfg.prepare()
	if cfg.Control != nil {
		if _, err := cfg.Control.Now(ctx); err != nil {
			return fmt.Errorf("control API of %s refused the control token: %v", cfg.Endpoint, err)
		}
	}
	acct, err := cfg.Fixtures.account("main")
	if err != nil {
		return nil
	}
	if err := preflightOSS(ctx, cfg, acct); err != nil {
		return err
	}
	region, err := cfg.Fixtures.region("home")
	if err != nil || region == "" {
		region = "cn-hangzhou"
	}
	signer := acs.Signer{KeyID: acct.AccessKeyID, Secret: acct.AccessKeySecret, SecurityToken: acct.SecurityToken, Version: cfg.Signature}
	req, err := signer.NewRequest(ctx, acs.Call{Endpoint: cfg.Endpoint, Action: "DescribeTasks",
		Params: url.Values{"RegionId": {region}, "TaskAction": {"ExportImage"}, "PageSize": {"1"}}})
	if err != nil {
		return fmt.Errorf("credentials check: %v", err)
	}
	resp, err := cfg.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("credentials check: endpoint %s: %v", cfg.Endpoint, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 400 {
		return nil
	}
	env, err := acs.DecodeError(resp.Header.Get("Content-Type"), body)
	if err != nil {
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return fmt.Errorf("credentials of account %q (%s) refused by %s: HTTP %d", "main", acct.AccessKeyID, cfg.Endpoint, resp.StatusCode)
		}
		return nil // not an ECS error envelope: the scenarios will say what is wrong
	}
	for _, c := range authCodes {
		if env.Code == c || strings.HasPrefix(env.Code, c+".") {
			return fmt.Errorf("credentials of account %q (%s) refused by %s: %d %s: %s", "main", acct.AccessKeyID, cfg.Endpoint, resp.StatusCode, env.Code, firstLine(env.Message))
		}
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// preflightOSS checks, when the run names an OSS endpoint and the fixtures a bucket "home",
// that the endpoint answers a listing of that bucket with the credentials of "main" (a prefix
// that matches nothing: no object is read).
func preflightOSS(ctx context.Context, cfg *Config, acct Account) error {
	if cfg.OSSEndpoint == "" {
		return nil
	}
	b, err := cfg.Fixtures.bucket("home")
	if err != nil {
		return nil
	}
	c, err := cfg.objectClient(b.Region, acct)
	if err == nil {
		_, err = c.List(ctx, b.Name, "eic-preflight-matches-nothing/")
	}
	if err != nil {
		return fmt.Errorf("OSS endpoint %s: listing bucket %q as %q: %v", cfg.OSSEndpoint, b.Name, "main", firstLine(unwrapURLError(err).Error()))
	}
	return nil
}
