package report

import "regexp"

// masks hide what must not be published with a report: signatures (V1 query parameter, V3
// Authorization header, inside a server's echoed string to sign), security tokens, bearer
// tokens and all but the first four characters of access key IDs. Access key secrets never
// go over the wire.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	// V3: Authorization: ACS3-HMAC-SHA256 Credential=LTAI…,SignedHeaders=…,Signature=hex
	{regexp.MustCompile(`(Credential=[^,\s]{0,4})[^,\s]*`), "${1}***"},
	// V1 query and V3 header: the value runs to the next '&', ',' or blank.
	{regexp.MustCompile(`((?:^|[?&,\s;])Signature=)[^&,\s"]*`), "${1}***"},
	{regexp.MustCompile(`((?:^|[?&\s;])AccessKeyId=[^&\s"]{0,4})[^&\s"]*`), "${1}***"},
	{regexp.MustCompile(`((?:^|[?&\s;])SecurityToken=)[^&\s"]*`), "${1}***"},
	// URL-encoded in a server's echoed string to sign: the value runs to the next %26 ('&').
	{regexp.MustCompile(`((?:^|&|%26|%2526)Signature(?:%3D|%253D)).*?(%26|%2526|["\s]|$)`), "${1}***${2}"},
	{regexp.MustCompile(`((?:^|&|%26|%2526)AccessKeyId(?:%3D|%253D)[^%"\s]{0,4}).*?(%26|%2526|["\s]|$)`), "${1}***${2}"},
	{regexp.MustCompile(`((?:^|&|%26|%2526)SecurityToken(?:%3D|%253D)).*?(%26|%2526|["\s]|$)`), "${1}***${2}"},
	{regexp.MustCompile(`(?i)((?:x-acs-security-token|x-acs-accesskey-id)\s*:\s*)\S*`), "${1}***"},
	{regexp.MustCompile(`(?i)(Authorization\s*:\s*Bearer\s+)\S+`), "${1}***"},
	{regexp.MustCompile(`("(?:AccessKeySecret|SecurityToken|Signature)"\s*:\s*")[^"]*`), "${1}***"},
}

// Mask replaces secrets and signatures in a recorded exchange or error text with "***".
func Mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}
