package acs

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestResponseFormat(t *testing.T) {
	tests := []struct {
		format, accept string
		want           Format
	}{
		{"JSON", "", JSON},
		{"json", "text/xml", JSON},
		{"Xml", "application/json", XML},
		{"", "application/json", JSON},
		{"", "text/xml", XML},
		{"", "*/*", XML},
		{"", "", XML},
		{"yaml", "application/json", JSON},
	}
	for _, tt := range tests {
		if got := ResponseFormat(tt.format, tt.accept); got != tt.want {
			t.Errorf("ResponseFormat(%q, %q) = %s, want %s", tt.format, tt.accept, got, tt.want)
		}
	}
}

func TestErrorEnvelope_Render(t *testing.T) {
	e := NewErrorEnvelope("R1", "ecs.aliyuncs.com", "InvalidImageId.NotFound", `The specified ImageId does not exist.`)
	rec := "https://api.aliyun.com/troubleshoot?q=InvalidImageId.NotFound&product=Ecs&requestId=R1"
	if e.Recommend != rec {
		t.Errorf("Recommend = %q, want %q", e.Recommend, rec)
	}
	body, ct := e.Render(JSON)
	wantJSON := `{"RequestId":"R1","HostId":"ecs.aliyuncs.com","Code":"InvalidImageId.NotFound",` +
		`"Message":"The specified ImageId does not exist.","Recommend":"` + rec + `"}`
	if string(body) != wantJSON || ct != "application/json;charset=utf-8" {
		t.Errorf("JSON = %s (%s), want %s", body, ct, wantJSON)
	}
	body, ct = e.Render(XML)
	wantXML := `<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>R1</RequestId><HostId>ecs.aliyuncs.com</HostId>` +
		`<Code>InvalidImageId.NotFound</Code><Message>The specified ImageId does not exist.</Message>` +
		`<Recommend>` + strings.ReplaceAll(rec, "&", "&amp;") + `</Recommend></Error>`
	if string(body) != wantXML || ct != "text/xml;charset=utf-8" {
		t.Errorf("XML = %s (%s), want %s", body, ct, wantXML)
	}
	for _, f := range []Format{JSON, XML} {
		body, ct := e.Render(f)
		got, err := DecodeError(ct, body)
		if err != nil || *got != (ErrorEnvelope{RequestId: e.RequestId, HostId: e.HostId, Code: e.Code, Message: e.Message, Recommend: e.Recommend}) {
			t.Errorf("DecodeError(%s) = %+v, %v; want %+v", f, got, err, e)
		}
	}
}

type task struct {
	TaskId        string
	SupportCancel string
	Progress      int
}

type describeTasks struct {
	RequestId  string
	TotalCount int
	TaskSet    struct{ Task []task }
	Missing    *string `json:",omitempty"`
	Null       *string
}

func TestRenderSuccess(t *testing.T) {
	v := describeTasks{RequestId: "R<&>", TotalCount: 2}
	v.TaskSet.Task = []task{{"t-1", "true", 50}, {"t-2", "false", 100}}
	body, ct, err := RenderSuccess(XML, "DescribeTasks", v)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><DescribeTasksResponse><RequestId>R&lt;&amp;&gt;</RequestId>` +
		`<TotalCount>2</TotalCount><TaskSet><Task><TaskId>t-1</TaskId><SupportCancel>true</SupportCancel><Progress>50</Progress></Task>` +
		`<Task><TaskId>t-2</TaskId><SupportCancel>false</SupportCancel><Progress>100</Progress></Task></TaskSet></DescribeTasksResponse>`
	if string(body) != want || ct != ContentTypeXML {
		t.Errorf("XML =\n%s\nwant\n%s", body, want)
	}
	b, err := DecodeBody(ct, body)
	if err != nil || b.Root != "DescribeTasksResponse" {
		t.Fatalf("DecodeBody = %+v, %v", b, err)
	}
	tasks := AsList(b.Fields["TaskSet"].(map[string]any)["Task"])
	if len(tasks) != 2 || tasks[1].(map[string]any)["TaskId"] != "t-2" {
		t.Errorf("decoded tasks = %v", tasks)
	}

	body, ct, err = RenderSuccess(JSON, "DescribeTasks", v)
	if err != nil || ct != ContentTypeJSON {
		t.Fatal(err, ct)
	}
	wantJSON := `{"RequestId":"R<&>","TotalCount":2,"TaskSet":{"Task":[{"TaskId":"t-1","SupportCancel":"true","Progress":50},` +
		`{"TaskId":"t-2","SupportCancel":"false","Progress":100}]},"Null":null}`
	if string(body) != wantJSON {
		t.Errorf("JSON = %s, want %s", body, wantJSON)
	}
	b, err = DecodeBody(ct, body)
	if err != nil || b.Fields["TotalCount"] != json.Number("2") {
		t.Errorf("DecodeBody(JSON) = %+v, %v", b, err)
	}
}

func TestRenderSuccess_Maps(t *testing.T) {
	v := map[string]any{"RequestId": "R", "TaskId": "t-1", "RegionId": "cn-hangzhou",
		"Empty": map[string]any{"Task": []any{}}, "One": map[string]any{"Task": []string{"x"}}}
	body, _, err := RenderSuccess(XML, "ExportImage", v)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><ExportImageResponse><Empty></Empty><One><Task>x</Task></One>` +
		`<RegionId>cn-hangzhou</RegionId><RequestId>R</RequestId><TaskId>t-1</TaskId></ExportImageResponse>`
	if string(body) != want {
		t.Errorf("XML = %s, want %s", body, want)
	}
	b, err := DecodeBody("", body) // sniffed
	if err != nil {
		t.Fatal(err)
	}
	if got := AsList(b.Fields["One"].(map[string]any)["Task"]); !reflect.DeepEqual(got, []any{"x"}) {
		t.Errorf("one-element list = %v, want [x]", got)
	}
	if got := AsList(b.Fields["Empty"]); got != nil {
		t.Errorf("empty list = %v, want nil", got)
	}
}

func TestRenderSuccess_Errors(t *testing.T) {
	for _, v := range []any{[]int{1}, "s", map[string]int{"bad key": 1}, map[string]int{"1x": 1}} {
		if _, _, err := RenderSuccess(XML, "X", v); err == nil {
			t.Errorf("RenderSuccess(XML, %v) succeeded, want error", v)
		}
	}
	if _, _, err := RenderSuccess(JSON, "X", []int{1}); err == nil {
		t.Error("RenderSuccess(JSON, array) succeeded, want error")
	}
}

func TestDecodeError(t *testing.T) {
	got, err := DecodeError("application/json", []byte(`{"requestId":"r","code":"Throttling.User","message":"m"}`))
	if err != nil || got.Code != "Throttling.User" || got.RequestId != "r" || got.Message != "m" {
		t.Errorf("DecodeError(lower-case keys) = %+v, %v", got, err)
	}
	for _, body := range []string{``, `{}`, `<html>`, `{"Code":`} {
		if _, err := DecodeError("", []byte(body)); err == nil {
			t.Errorf("DecodeError(%q) succeeded, want error", body)
		}
	}
}
