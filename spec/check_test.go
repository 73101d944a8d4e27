package spec

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/exportimage/eic/internal/acs"
)

func jsonHeader() http.Header { return http.Header{"Content-Type": {acs.ContentTypeJSON}} }

// problems renders a response's problems, one a line.
func problems(r *Response) string {
	var lines []string
	for _, p := range r.Problems {
		lines = append(lines, p.Error())
	}
	return strings.Join(lines, "\n")
}

// TestCheckResponse: each case is one response and the problems it must (and must only)
// have, named by a fragment of their text.
func TestCheckResponse(t *testing.T) {
	s := MustLoad()
	errBody := func(code, message string) string {
		return `{"RequestId":"C8B26B44-0189-443E-9816-D951F59623A9","HostId":"ecs.aliyuncs.com","Code":"` + code + `","Message":"` + message + `"}`
	}
	xml := http.Header{"Content-Type": {acs.ContentTypeXML}}
	cases := []struct {
		name   string
		action string
		status int
		header http.Header
		body   string
		want   []string // fragments, one per expected problem, in order
		drift  bool     // the only problem is message drift
	}{
		{"success", "ExportImage", 200, jsonHeader(), `{"RequestId":"r1","TaskId":"t-1"}`, nil, false},
		{"documented error", "ExportImage", 400, jsonHeader(), errBody(InvalidOSSPrefix.Wire, InvalidOSSPrefix.Message()), nil, false},
		{"a variant's message", "ExportImage", 404, jsonHeader(), errBody("InvalidImageId.NotFound", "The specified image m-x does not exist."), nil, false},
		{"XML success", "ExportImage", 200, xml, acs.XMLHeader + `<ExportImageResponse><RequestId>r</RequestId><TaskId>t</TaskId></ExportImageResponse>`, nil, false},
		{"XML error", "ExportImage", 400, xml, acs.XMLHeader + `<Error><RequestId>r</RequestId><Code>` + InvalidOSSPrefix.Wire + `</Code><Message>` + InvalidOSSPrefix.Message() + `</Message></Error>`, nil, false},

		{"wrong body: TaskId missing", "ExportImage", 200, jsonHeader(), `{"RequestId":"r1"}`, []string{`"TaskId"`}, false},
		{"wrong body: TaskId a number", "ExportImage", 200, jsonHeader(), `{"RequestId":"r1","TaskId":7}`, []string{"schema"}, false},
		{"wrong body: not JSON", "ExportImage", 200, jsonHeader(), `{"RequestId":`, []string{"does not decode"}, false},
		{"wrong status: 201", "ExportImage", 201, jsonHeader(), `{"RequestId":"r1","TaskId":"t"}`, []string{"status = 201"}, false},
		{"wrong status: 302", "ExportImage", 302, jsonHeader(), `{"RequestId":"r1","TaskId":"t"}`, []string{"status = 302"}, false},
		{"unknown code", "ExportImage", 400, jsonHeader(), errBody("NoSuch.Code", "Whatever."), []string{`"NoSuch.Code" is in no row`}, false},
		{"code with another status", "ExportImage", 403, jsonHeader(), errBody(InvalidOSSPrefix.Wire, InvalidOSSPrefix.Message()), []string{"no row or variant has that status"}, false},
		{"message drift", "ExportImage", 400, jsonHeader(), errBody(InvalidOSSPrefix.Wire, "Something else."), []string{"message drift"}, true},
		{"envelope without RequestId", "ExportImage", 400, jsonHeader(), `{"Code":"` + InvalidOSSPrefix.Wire + `","Message":"` + InvalidOSSPrefix.Message() + `"}`, []string{"lacks Code, Message or RequestId", "schema"}, false},
		{"content type", "ExportImage", 200, http.Header{"Content-Type": {"text/plain"}}, `{"RequestId":"r1","TaskId":"t"}`, []string{"content type"}, false},
		{"XML content type not the SDK's", "ExportImage", 200, http.Header{"Content-Type": {"application/xml"}}, `<ExportImageResponse><RequestId>r</RequestId><TaskId>t</TaskId></ExportImageResponse>`, []string{"content type"}, false},
		{"XML root", "ExportImage", 200, xml, `<DescribeTasksResponse><RequestId>r</RequestId><TaskId>t</TaskId></DescribeTasksResponse>`, []string{"XML root"}, false},
		{"XML error root", "ExportImage", 400, xml, `<Oops><RequestId>r</RequestId><Code>` + InvalidOSSPrefix.Wire + `</Code><Message>` + InvalidOSSPrefix.Message() + `</Message></Oops>`, []string{"XML error root"}, false},
		{"several at once", "ExportImage", 201, http.Header{"Content-Type": {"text/html"}}, `{"RequestId":"r1"}`, []string{"content type", "status = 201", `"TaskId"`}, false},
		{"unknown action: envelope and row", "NoSuchAction", 400, jsonHeader(), errBody("NoSuch.Code", "x"), []string{"in no row"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.CheckResponse(c.action, c.status, c.header, []byte(c.body))
			if len(r.Problems) != len(c.want) {
				t.Fatalf("%d problems, want %d (%q):\n%s", len(r.Problems), len(c.want), c.want, problems(r))
			}
			for i, w := range c.want {
				if !strings.Contains(r.Problems[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to say %q", i, r.Problems[i], w)
				}
			}
			if got := r.Hard() == nil && r.Err() != nil; got != c.drift {
				t.Errorf("only message drift = %v, want %v:\n%s", got, c.drift, problems(r))
			}
			if c.drift && !errors.Is(r.Err(), ErrMessageDrift) {
				t.Errorf("drift is not ErrMessageDrift: %v", r.Err())
			}
		})
	}
}

// TestCheckResponse_Decoded: the response is decoded once for the callers: fields of a
// success, envelope and rows of an error.
func TestCheckResponse_Decoded(t *testing.T) {
	s := MustLoad()
	ok := s.CheckResponse("ExportImage", 200, jsonHeader(), []byte(`{"RequestId":"r1","TaskId":"t-1"}`))
	if ok.Fields["TaskId"] != "t-1" || ok.Code != "" {
		t.Errorf("success: fields %v, code %q", ok.Fields, ok.Code)
	}
	bad := s.CheckResponse("ExportImage", 400, jsonHeader(),
		[]byte(`{"RequestId":"r","Code":"`+InvalidOSSPrefix.Wire+`","Message":"`+InvalidOSSPrefix.Message()+`"}`))
	if bad.Code != InvalidOSSPrefix.Wire || bad.Message != InvalidOSSPrefix.Message() || bad.RequestID != "r" ||
		len(bad.Rows) != 1 || bad.Rows[0] != InvalidOSSPrefix {
		t.Errorf("error: code %q message %q request %q rows %v", bad.Code, bad.Message, bad.RequestID, bad.Rows)
	}
}

func BenchmarkCheckResponse(b *testing.B) {
	s := MustLoad()
	body := []byte(`{"RequestId":"C8B26B44-0189-443E-9816-D951F59623A9","HostId":"ecs.aliyuncs.com","Code":"` +
		InvalidOSSPrefix.Wire + `","Message":"` + InvalidOSSPrefix.Message() + `"}`)
	h := jsonHeader()
	for b.Loop() {
		if r := s.CheckResponse("ExportImage", 400, h, body); len(r.Problems) > 0 {
			b.Fatal(r.Err())
		}
	}
}
