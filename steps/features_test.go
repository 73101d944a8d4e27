package steps

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/exportimage/eic/features"
	"github.com/exportimage/eic/spec"
)

var idTag = regexp.MustCompile(`^@((EI|ACS|CO)-[A-Z]?\d+)$`)

// Every scenario is either @core or @assumption and cites at least one rule or error ID that
// exists; every documented rule and every EI-E row is cited by some scenario.
func TestFeatures_TagsCiteTheSpec(t *testing.T) {
	s := spec.MustLoad()
	known := map[string]bool{}
	for _, r := range s.Rules {
		known[r.ID] = true
	}
	for _, c := range spec.Codes() {
		known[c.ID] = true
	}
	cited := map[string]bool{}
	feats, err := (RunOptions{}).features()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range feats {
		var core, assumption bool
		var ids int
		for _, tag := range p.tags {
			switch {
			case tag == "@core":
				core = true
			case tag == "@assumption":
				assumption = true
			case idTag.MatchString(tag):
				id := strings.TrimPrefix(tag, "@")
				if !known[id] {
					t.Errorf("%s: tag %s names no rule or error row of the spec", p.where, tag)
				}
				cited[id] = true
				ids++
			}
		}
		if core == assumption {
			t.Errorf("%s: want exactly one of @core and @assumption, tags %v", p.where, p.tags)
		}
		if ids == 0 {
			t.Errorf("%s: cites no rule or error ID", p.where)
		}
	}
	for _, r := range s.Rules {
		if !cited[r.ID] {
			t.Errorf("rule %s (%s) has no scenario", r.ID, r.Title)
		}
	}
	for _, c := range spec.Codes() {
		if strings.HasPrefix(c.ID, "EI-E") && !cited[c.ID] {
			t.Errorf("error row %s (%s) has no scenario", c.ID, c.Wire)
		}
	}
	if err := fs.WalkDir(features.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".feature") && !strings.HasPrefix(path, "fixtures/") {
			t.Errorf("features.FS holds %s: only .feature files and fixtures belong there", path)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
