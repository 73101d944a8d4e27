package api

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// TestAuthError_EveryCodeHasARow: every wire code the protocol layer returns resolves to one
// gateway row of the error table, so the table stays the only place codes live.
func TestAuthError_EveryCodeHasARow(t *testing.T) {
	for _, code := range []string{acs.CodeIncompleteSignature, acs.CodeMissingParameter, acs.CodeMissingTimestamp,
		acs.CodeMissingSignature, acs.CodeInvalidTimeStampFormat} {
		row := gatewayRows[code]
		if row == nil {
			t.Errorf("acs code %s has no gateway row", code)
			continue
		}
		var se *spec.Error
		if err := authError(&acs.AuthError{Code: code, Param: "Timestamp"}); !asSpec(err, &se) || se.Code != row {
			t.Errorf("authError(%s) = %v, want row %s", code, err, row.ID)
		}
	}
	if got := authError(&acs.AuthError{Code: acs.CodeMissingParameter, Param: "SignatureNonce"}).Error(); !strings.Contains(got, `"SignatureNonce"`) {
		t.Errorf("MissingParameter does not name the parameter: %s", got)
	}
}

func asSpec(err error, se **spec.Error) bool {
	e, ok := err.(*spec.Error)
	*se = e
	return ok
}

// TestHandler_SignatureMessages: SignatureDoesNotMatch carries the server's string to sign after
// the documented sentence, in the gateway's form for each scheme, and it is the string the
// client signed (so a user can diff it against their signer's).
func TestHandler_SignatureMessages(t *testing.T) {
	srv := protocolServer(t)
	for _, tc := range []struct {
		version string
		row     *spec.Code
		prefix  string
	}{
		{"v1", spec.SignatureDoesNotMatchV1, " server string to sign is:GET&%2F&AccessKeyId%3Dgood%26Action%3DDescribeRegions"},
		{"v3", spec.SignatureDoesNotMatch, " server StringToSign is [ACS3-HMAC-SHA256\n"},
	} {
		s := &acs.Signer{KeyID: "good", Secret: "wrong", Version: tc.version}
		status, code, body, _ := send(t, srv, s, acs.Call{Action: "DescribeRegions", Method: "GET"}, nil)
		msg, _ := body.Fields["Message"].(string)
		if status != 400 || code != "SignatureDoesNotMatch" || !strings.HasPrefix(msg, tc.row.Message()+tc.prefix) || !tc.row.Matches(msg) {
			t.Errorf("%s: %d %s %q, want the documented sentence followed by%q", tc.version, status, code, msg, tc.prefix)
		}
	}
}

// TestHandler_TemporaryKeys: a temporary key is refused without its token whatever else is right,
// and accepted with it.
func TestHandler_TemporaryKeys(t *testing.T) {
	srv := protocolServer(t)
	for _, version := range []string{"v3", "v1"} {
		bare := &acs.Signer{KeyID: "STS.temp", Secret: "temp-secret", Version: version}
		if status, code, _, _ := send(t, srv, bare, acs.Call{Action: "DescribeRegions"}, nil); status != 400 || code != "MissingSecurityToken" {
			t.Errorf("%s without token: %d %q, want 400 MissingSecurityToken", version, status, code)
		}
		withToken := &acs.Signer{KeyID: "STS.temp", Secret: "temp-secret", SecurityToken: "valid-token", Version: version}
		if status, code, _, _ := send(t, srv, withToken, acs.Call{Action: "DescribeRegions"}, nil); status != 200 {
			t.Errorf("%s with token: %d %q, want 200", version, status, code)
		}
	}
}

// TestHandler_NonceShare: an account over its share of the replay cache is throttled, and its
// flood never makes another account's captured request replayable.
func TestHandler_NonceShare(t *testing.T) {
	const share = 40
	srv := protocolServer(t, WithNoncesPerAccount(share))
	victimNonce := acs.NewNonce()
	victim := &acs.Signer{KeyID: "other", Secret: "other-secret", Nonce: func() string { return victimNonce }}
	regions := acs.Call{Action: "DescribeRegions"}
	if status, code, _, _ := send(t, srv, victim, regions, nil); status != 200 {
		t.Fatalf("victim's request: %d %s", status, code)
	}
	flooder := &acs.Signer{KeyID: "good", Secret: "good-secret"}
	counts := map[string]int{}
	for range 3 * share {
		_, code, _, _ := send(t, srv, flooder, regions, nil)
		counts[code]++
	}
	if want := map[string]int{"": share, "Throttling.User": 2 * share}; !reflect.DeepEqual(counts, want) {
		t.Errorf("flood answers = %v, want %v", counts, want)
	}
	if _, code, _, _ := send(t, srv, victim, regions, nil); code != "SignatureNonceUsed" {
		t.Errorf("victim's replay after the flood answered %q, want SignatureNonceUsed", code)
	}
	if status, _, _, _ := send(t, srv, &acs.Signer{KeyID: "other", Secret: "other-secret"}, regions, nil); status != 200 {
		t.Errorf("victim's fresh request after the flood: %d, want 200", status)
	}
}

// TestHandler_ParamCap: more parameters than MaxParams are refused before any is decoded.
func TestHandler_ParamCap(t *testing.T) {
	srv := protocolServer(t)
	v := url.Values{}
	for i := range MaxParams + 1 {
		v.Set("p"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i/26), "1")
	}
	status, code, _, _ := send(t, srv, &acs.Signer{KeyID: "good", Secret: "good-secret"}, acs.Call{Action: "DescribeRegions", Params: v}, nil)
	if status != 413 || code != "RequestEntityTooLarge" {
		t.Errorf("%d parameters: %d %q, want 413 RequestEntityTooLarge", len(v), status, code)
	}
}
