package reference_test

import (
	"testing"

	"github.com/exportimage/eic/reference"
)

func TestWithAccessKeys_GiveEachKeyAWorkingAccount(t *testing.T) {
	srv, err := reference.New(reference.WithAccessKeys("AKID1:secret1", "AKID2:secret2"))
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
		t.Errorf("accounts of AKID1, AKID2 = %q, %q; want two accounts of their own", found["AKID1"], found["AKID2"])
	}
	for _, bad := range []string{"no-secret", ":secret", "id:"} {
		if srv, err := reference.New(reference.WithAccessKeys(bad)); err == nil {
			srv.Close()
			t.Errorf("WithAccessKeys(%q) accepted", bad)
		}
	}
}
