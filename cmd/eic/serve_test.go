package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exportimage/eic/reference"
)

func TestKeyAccounts_GiveEachKeyAWorkingAccount(t *testing.T) {
	doc, err := keyAccounts([]string{"AKID1:secret1", "AKID2:secret2"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := reference.New(reference.WithExtraFixtures(doc))
	if err != nil {
		t.Fatalf("the extra accounts do not load: %v", err)
	}
	defer srv.Close()
	found := map[string]string{}
	for _, a := range srv.Accounts() {
		for _, k := range a.Keys {
			found[k.ID] = a.Name
		}
	}
	if found["AKID1"] == "" || found["AKID2"] == "" || found["AKID1"] == found["AKID2"] {
		t.Errorf("accounts by key = %v, want one account per key", found)
	}
	if _, err := keyAccounts([]string{"no-secret"}); err == nil {
		t.Error("a key without a secret was accepted")
	}
}

func TestReadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("# demo keys\nA:1\n\n B:2 \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readKeyFile(path)
	if err != nil || strings.Join(got, ",") != "A:1,B:2" {
		t.Errorf("readKeyFile = %v, %v", got, err)
	}
	if err := os.WriteFile(path, []byte("just-an-id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readKeyFile(path); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("a malformed line gave %v, want an error naming line 1", err)
	}
}

func TestServe_BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--clock", "sundial"},
		{"serve", "--access-key", "nosecret", "--listen", "127.0.0.1:0"},
		{"serve", "--fixtures", filepath.Join(t.TempDir(), "missing.yaml")},
		{"serve", "--export-speed", "-1"},
		{"serve", "extra"},
	} {
		if code, _, stderr := run(t, args...); code != 2 || stderr == "" {
			t.Errorf("eic %v = %d (%q), want 2 with a message", args, code, stderr)
		}
	}
}
