package steps

import (
	"strings"
	"testing"
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
