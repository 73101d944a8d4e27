package errcode

import (
	"errors"
	"testing"
)

func TestMessageMatches(t *testing.T) {
	tests := []struct {
		documented, message string
		want                bool
	}{
		{"The specified ImageId does not exist.", "The specified ImageId does not exist.", true},
		{"The specified ImageId does not exist.", "The specified ImageId does not exist", false},
		{"Specified signature is not matched with our calculation.", "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&x", true},
		{"Specified signature is not matched with our calculation.", "Specified signature is not matched with our calculation. server StringToSign is [ACS3-HMAC-SHA256\nabc]", true},
		{"Specified signature is not matched with our calculation.", "Specified signature is not matched with our calculation. and more", false},
		{"The request is larger than the %s limit.", "The request is larger than the 32768-byte V1-signed limit.", true},
		{"The request is larger than the %s limit.", "The request is larger than the  limit.", false}, // %s is never empty
		{"The request is larger than the %s limit.", "The request is larger than the limit.", false},
	}
	for _, tt := range tests {
		if got := MessageMatches(tt.documented, tt.message); got != tt.want {
			t.Errorf("MessageMatches(%q, %q) = %v, want %v", tt.documented, tt.message, got, tt.want)
		}
	}
}

func TestError_Is(t *testing.T) {
	err := error(InvalidOSSPrefix.Err())
	if !errors.Is(err, InvalidOSSPrefix.Err()) || errors.Is(err, InvalidImageFormat.Err()) {
		t.Error("errors.Is does not tell the rows apart")
	}
	if got, want := RequestTooLarge.Err("1-byte").Message, "The request is larger than the 1-byte limit."; got != want {
		t.Errorf("template message = %q, want %q", got, want)
	}
}
