package steps

import (
	"strings"
	"testing"

	"github.com/exportimage/eic/spec"
)

func TestParseRefusal(t *testing.T) {
	tests := []struct {
		text    string
		ids     string
		inError string
	}{
		{"400 InvalidOSSBucket.NotFound (EI-E16)", "EI-E16", ""},
		{"400 InvalidOSSBucket.NotMatched (EI-E21) or 400 InvalidOSSBucket.NotFound (EI-E16)", "EI-E21,EI-E16", ""},
		{"404 InvalidOSSBucket.NotFound (EI-E16)", "", "the table says EI-E16 is 400 InvalidOSSBucket.NotFound"},
		{"400 InvalidOSSBucket.NotFund (EI-E16)", "", "the table says EI-E16 is 400 InvalidOSSBucket.NotFound"},
		{"400 InvalidOSSBucket.NotFound (EI-E99)", "", "no error row EI-E99"},
		{"400 InvalidOSSBucket.NotFound", "", "want <status> <Code> (<ID>)"},
	}
	for _, tt := range tests {
		rows, err := parseRefusal(tt.text)
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		if tt.inError == "" {
			if err != nil || strings.Join(ids, ",") != tt.ids {
				t.Errorf("parseRefusal(%q) = %v, %v; want %s", tt.text, ids, err, tt.ids)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.inError) {
			t.Errorf("parseRefusal(%q) error = %v, want one containing %q", tt.text, err, tt.inError)
		}
	}
}

// TestMatchRow: the pair (status, code) decides, the row's or a variant's; the message is the
// row's text or a variant's for that pair, else it is drift (pair without match).
func TestMatchRow(t *testing.T) {
	s := spec.MustLoad()
	tests := []struct {
		id, code, message string
		status            int
		pair, matched     bool
	}{
		{"EI-E08", "InvalidImageId.NotFound", "The specified ImageId does not exist.", 404, true, true},
		{"EI-E08", "InvalidImageId.NotFound", "The specified image m-abc does not exist.", 404, true, true}, // variant text
		{"EI-E08", "InvalidImageId.NotFound", "No such image.", 404, true, false},                           // drift
		{"EI-E08", "InvalidImageId.NotFound", "The specified ImageId does not exist.", 400, false, false},   // wrong status
		{"EI-E08", "InvalidImageId.Missing", "The specified ImageId does not exist.", 404, false, false},    // wrong code
		{"EI-E10", "InvalidImageCategory.NotSupported", "any text", 403, true, true},                        // variant pair
	}
	for _, tt := range tests {
		row := spec.CodeByID(tt.id)
		if row == nil {
			t.Fatalf("no row %s", tt.id)
		}
		pair, matched := matchRow(s, row, tt.status, tt.code, tt.message)
		if pair != tt.pair || matched != tt.matched {
			t.Errorf("matchRow(%s, %d %s, %q) = %v, %v, want %v, %v", tt.id, tt.status, tt.code, tt.message, pair, matched, tt.pair, tt.matched)
		}
	}
}
