package steps

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFixtures_ReferenceFile(t *testing.T) {
	f, err := ReferenceFixtures()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"main", "other", "nowhitelist", "norole", "badtrust", "noperm", "disabled"} {
		if _, err := f.account(name); err != nil {
			t.Errorf("account %q: %v", name, err)
		}
	}
	if img, err := f.image("custom"); err != nil || img.ID != "m-eic-custom" || img.Region != "cn-hangzhou" {
		t.Errorf("image custom = %+v, %v", img, err)
	}
}

func TestParseFixtures_UnknownKeyIsAnError(t *testing.T) {
	if _, err := ParseFixtures([]byte("imagez: {}\n")); err == nil {
		t.Error("ParseFixtures accepted an unknown key")
	}
	if _, err := ParseFixtures([]byte("images: {custom: {region: x}}\n")); err == nil {
		t.Error("ParseFixtures accepted an image without id")
	}
	if f, err := ParseFixtures(nil); err != nil || f == nil {
		t.Errorf("empty document = %v, %v; want empty fixtures", f, err)
	}
}

func TestFixtures_Expand(t *testing.T) {
	f := &Fixtures{
		Images:  map[string]Image{"custom": {ID: "m-1", Region: "r-1"}},
		Buckets: map[string]Bucket{"home": {Name: "b-1"}},
		Regions: map[string]string{"home": "r-1"},
	}
	tests := []struct{ in, want string }{
		{"EcsExport_{image:custom}_system.vhd", "EcsExport_m-1_system.vhd"},
		{"{bucket:home}/{region:home}/{imageregion:custom}", "b-1/r-1/r-1"},
		{"{task}", "t-9"},
		{"no placeholder {x}", "no placeholder {x}"},
	}
	for _, tt := range tests {
		got, err := f.expand(tt.in, map[string]string{"task": "t-9"})
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	_, err := f.expand("{image:nope}", nil)
	var mf missingFixture
	if !errors.As(err, &mf) || !strings.Contains(err.Error(), `image "nope"`) {
		t.Errorf("expand of a missing image = %v, want a missingFixture naming it", err)
	}
	if _, err := f.expand("{task}", nil); err == nil {
		t.Error("expand({task}) without a task succeeded")
	}
}

func TestFixtures_WithEnvAccount(t *testing.T) {
	f := &Fixtures{Accounts: map[string]Account{"other": {AccessKeyID: "o"}}}
	env := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s", "ALIBABA_CLOUD_SECURITY_TOKEN": "tok"}
	g := f.WithEnvAccount(func(k string) string { return env[k] })
	if a := g.Accounts["main"]; a.AccessKeyID != "id" || a.AccessKeySecret != "s" || a.SecurityToken != "tok" {
		t.Errorf("main = %+v", a)
	}
	if _, ok := f.Accounts["main"]; ok {
		t.Error("WithEnvAccount changed its receiver")
	}
	if g := f.WithEnvAccount(func(string) string { return "" }); g != f {
		t.Error("WithEnvAccount without variables should return the fixtures unchanged")
	}
}

func TestDeviceOf(t *testing.T) {
	for key, want := range map[string]string{
		"EcsExport_m-1_system.raw.tar.gz": "system",
		"EcsExport_m-1_data_xvdb.vhd":     "xvdb",
		"m-1_system.qcow2":                "system",
	} {
		if got := deviceOf(key, "m-1"); got != want {
			t.Errorf("deviceOf(%q) = %q, want %q", key, got, want)
		}
	}
}
