package ecs

import (
	"fmt"
	"slices"
	"time"

	"github.com/exportimage/eic/spec/errcode"
)

// Key is an AccessKey as the API layer needs it to verify a signature. Temporary keys are
// STS credentials (IssueToken): a request signed with one must carry its SecurityToken,
// checked with CheckToken.
type Key struct {
	ID        string `json:"id"`
	Secret    string `json:"secret"`
	Disabled  bool   `json:"disabled,omitempty"`
	Account   string `json:"account"`
	Temporary bool   `json:"temporary,omitempty"`
}

// Token is a set of STS credentials for an account.
type Token struct {
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	SecurityToken   string    `json:"securityToken"`
	Expiration      time.Time `json:"expiration"`
}

// AccountInfo is an account as the control API lists it.
type AccountInfo struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Keys []Key  `json:"keys"`
}

// DefaultRoleName is the RAM role ExportImage uses when RoleName is absent (rule 3 of the
// seed, which also called other names invalid; the current document no longer does).
const DefaultRoleName = "AliyunECSImageExportDefaultRole"

// exportPolicy is the system policy that grants what the role needs, and exportActions the
// eight OSS actions a custom policy must allow on "*" instead.
const exportPolicy = "AliyunECSImageExportRolePolicy"

var exportActions = []string{
	"oss:GetObject", "oss:PutObject", "oss:DeleteObject", "oss:GetBucketLocation",
	"oss:GetBucketInfo", "oss:AbortMultipartUpload", "oss:ListMultipartUploads", "oss:ListParts",
}

// account is the live state of an account (a deep copy of its spec: remove-role changes it).
type account struct {
	spec           AccountSpec
	allowListed    bool
	dataDiskExport bool
	roles          map[string]RoleSpec
}

func newAccount(a AccountSpec) *account {
	acc := &account{spec: a, allowListed: boolOr(a.AllowListed, true), dataDiskExport: boolOr(a.DataDiskExport, true), roles: map[string]RoleSpec{}}
	for _, r := range a.Roles {
		acc.roles[r.Name] = r
	}
	return acc
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// roleProblem explains why the account's export role is unusable, or returns "".
// roleName names the role to use: RoleName when sent, else the default role. Real ECS: the
// current document calls RoleName "the name of the RAM role that you want to use", so an
// existing role under another name is accepted when its trust policy and permission are right.
func (a *account) roleProblem(roleName Param) string {
	name := DefaultRoleName
	if roleName.Present {
		name = roleName.Value
	}
	r, ok := a.roles[name]
	switch {
	case !ok:
		return fmt.Sprintf("the role %q does not exist", name)
	case r.Trust != "ecs.aliyuncs.com":
		return "the role does not trust ecs.aliyuncs.com"
	case slices.Contains(r.Policies, exportPolicy):
		return ""
	}
	for _, act := range exportActions {
		if !slices.Contains(r.Actions, act) && !slices.Contains(r.Actions, "oss:*") && !slices.Contains(r.Actions, "*") {
			return "the role's policy does not allow " + act
		}
	}
	return ""
}

// Key looks up an access key (long-term or STS). The API layer answers
// InvalidAccessKeyId.NotFound when it is absent and .Inactive when Disabled.
func (s *Service) Key(accessKeyID string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.st.keys[accessKeyID]
	return k, ok
}

// IssueToken creates STS credentials for the account, valid for ttl of clock time.
func (s *Service) IssueToken(accountName string, ttl time.Duration) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.accounts[accountName]; !ok {
		return Token{}, fmt.Errorf("ecs: unknown account %q", accountName)
	}
	if ttl <= 0 {
		return Token{}, fmt.Errorf("ecs: token ttl %v is not positive", ttl)
	}
	t := Token{
		AccessKeyID:     s.ids.stsKeyID(),
		AccessKeySecret: s.ids.stsSecret(),
		SecurityToken:   s.ids.stsToken(),
		Expiration:      s.clock.Now().Add(ttl),
	}
	s.st.keys[t.AccessKeyID] = Key{ID: t.AccessKeyID, Secret: t.AccessKeySecret, Account: accountName, Temporary: true}
	s.st.tokens[t.SecurityToken] = t
	return t, nil
}

// CheckToken verifies a SecurityToken sent with accessKeyID: unknown tokens are
// SecurityTokenMalformed, a token of another key SecurityTokenMismatch, an expired one
// SecurityTokenExpired.
func (s *Service) CheckToken(token, accessKeyID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.st.tokens[token]
	switch {
	case !ok:
		return errcode.SecurityTokenMalformed.Err()
	case t.AccessKeyID != accessKeyID:
		return errcode.SecurityTokenMismatch.Err()
	case !s.clock.Now().Before(t.Expiration):
		return errcode.SecurityTokenExpired.Err()
	}
	return nil
}

// Accounts lists the accounts with their long-term keys, in fixture order.
func (s *Service) Accounts() []AccountInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AccountInfo
	for _, a := range s.fx.Accounts {
		info := AccountInfo{Name: a.Name, ID: a.ID, Keys: []Key{}}
		for _, k := range a.Keys {
			info.Keys = append(info.Keys, Key{ID: k.ID, Secret: k.Secret, Disabled: k.Disabled, Account: a.Name})
		}
		out = append(out, info)
	}
	return out
}
