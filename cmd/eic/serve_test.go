package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/exportimage/eic/reference"
)

func TestReadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte("# demo keys\nA:1\n\n B:2 \n"), 0o600))
	got, err := readKeyFile(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"A:1", "B:2"}, got)

	require.NoError(t, os.WriteFile(path, []byte("just-an-id\n"), 0o600))
	_, err = readKeyFile(path)
	assert.ErrorContains(t, err, ":1:", "a malformed line must be named")
}

func TestServe_BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--clock", "sundial"},
		{"serve", "--access-key", "nosecret", "--listen", "127.0.0.1:0"},
		{"serve", "--fixtures", filepath.Join(t.TempDir(), "missing.yaml")},
		{"serve", "--export-speed", "-1"},
		{"serve", "extra"},
		{"serve", "--listen", "127.0.0.1:0", "--oss-listen", "127.0.0.1:99999"},
	} {
		code, _, stderr := run(t, args...)
		assert.Equal(t, 2, code, "eic %v", args)
		assert.NotEmpty(t, stderr, "eic %v printed no message", args)
	}
}

// TestPrintBanner_NoSecrets: the banner names every key but prints no account's secret, and
// says the control token is an administrator credential.
func TestPrintBanner_NoSecrets(t *testing.T) {
	srv, err := reference.New(reference.WithAccessKeys("AKIDBANNER:VerySecretBannerValue"))
	require.NoError(t, err)
	defer srv.Close()
	var out strings.Builder
	printBanner(&out, srv, "http://127.0.0.1:1", "http://127.0.0.1:2", "real")
	assert.Contains(t, out.String(), "administrator credential")
	for _, a := range srv.Accounts() {
		for _, k := range a.Keys {
			assert.Contains(t, out.String(), k.ID)
			assert.NotContains(t, out.String(), k.Secret, "the banner prints the secret of %s", k.ID)
		}
	}
}
