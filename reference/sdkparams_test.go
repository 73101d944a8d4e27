package reference_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecsclient "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/spec"
)

// sdkValues are values that pass the domain's checks, by field name; other strings get "x",
// integers 1 and booleans true.
var sdkValues = map[string]any{
	"RegionId": "cn-hangzhou", "ImageId": "m-eic-custom", "OSSBucket": "eic-export", "OSSPrefix": "EcsExport",
	"ImageFormat": "raw", "RoleName": "AliyunECSImageExportDefaultRole", "TaskId": "t-eic-modifydiskspec",
	"TaskAction": "ExportImage", "TaskStatus": "Finished", "StartTime": "2026-01-01T00:00Z", "EndTime": "2026-12-01T00:00:00Z",
	"ImageOwnerAlias": "self", "Usage": "none", "OSType": "linux", "Architecture": "x86_64", "AcceptLanguage": "en-US",
	"PageNumber": int64(1), "PageSize": int64(10), "Key": "CreationStartTime", "Value": "2026-01-01T00:00Z",
	"Status": "Available", "ImageName": "eic-custom", "TaskIds": "t-eic-modifydiskspec",
}

// sdkOutcome is what each action answers to a request with every field set (DryRun true):
// anything but a refused parameter.
var sdkOutcome = map[string]string{
	"ExportImage": "DryRunOperation", "DescribeImages": "DryRunOperation",
	"CancelTask": "InvalidTaskId.TaskActionNotSupport",
}

// TestServer_EverySDKParameter sends, for every action of the document, the official v7 SDK
// model's request with every field set (found by reflection, so a new SDK version that adds a
// parameter fails here until spec/openapi.yaml defines it), to a strict reference: no
// parameter may be refused.
func TestServer_EverySDKParameter(t *testing.T) {
	h := start(t, reference.WithStrictParams())
	host := strings.TrimPrefix(h.srv.URL, "http://")
	for _, algorithm := range []string{"", "v2"} { // V3, then V1 (the SDK's "v2" algorithm name)
		cfg := &openapiutil.Config{
			AccessKeyId: dara.String(keys["demo"][0]), AccessKeySecret: dara.String(keys["demo"][1]),
			Endpoint: dara.String(host), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou"),
			ReadTimeout: dara.Int(10000), ConnectTimeout: dara.Int(5), NoProxy: dara.String(host),
		}
		if algorithm != "" {
			cfg.SignatureAlgorithm = dara.String(algorithm)
		}
		client, err := ecsclient.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, action := range spec.MustLoad().Actions() {
			t.Run(action+"/"+or(algorithm, "v3"), func(t *testing.T) {
				method := reflect.ValueOf(client).MethodByName(action)
				if !method.IsValid() {
					t.Fatalf("the SDK has no method %s", action)
				}
				req := reflect.New(method.Type().In(0).Elem())
				names := fill(t, req.Elem(), "")
				op, err := spec.MustLoad().Operation(action)
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range names {
					base, _, _ := strings.Cut(name, ".")
					if op.Operation.Parameters.GetByInAndName("query", base) == nil {
						t.Errorf("SDK parameter %s is not in spec/openapi.yaml", name)
					}
				}
				out := method.Call([]reflect.Value{req})
				err, _ = out[1].Interface().(error)
				code := ""
				if err != nil {
					var se *tea.SDKError
					if !errors.As(err, &se) {
						t.Fatalf("%s: %v", action, err)
					}
					code = dara.StringValue(se.Code)
				}
				if code != sdkOutcome[action] {
					t.Errorf("%s with every SDK field (%s): got %q (%v), want %q", action, strings.Join(names, " "), code, err, sdkOutcome[action])
				}
			})
		}
	}
}

// fill sets every field of the SDK request struct v and returns the parameter names set
// (lists as Name.1 or Name.1.Field).
func fill(t *testing.T, v reflect.Value, prefix string) []string {
	t.Helper()
	var names []string
	typ := v.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fv := v.Field(i)
		switch {
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() != reflect.Struct:
			p := reflect.New(f.Type.Elem())
			setScalar(t, p.Elem(), name)
			fv.Set(p)
			names = append(names, prefix+name)
		case f.Type.Kind() == reflect.Slice:
			elem := f.Type.Elem()
			item := reflect.New(elem.Elem())
			if elem.Elem().Kind() == reflect.Struct {
				for _, sub := range fill(t, item.Elem(), "") {
					names = append(names, prefix+name+".1."+sub)
				}
			} else {
				setScalar(t, item.Elem(), name)
				names = append(names, prefix+name+".1")
			}
			fv.Set(reflect.Append(reflect.MakeSlice(f.Type, 0, 1), item))
		default:
			t.Fatalf("SDK field %s has a shape this test does not know (%s): extend fill", name, f.Type)
		}
	}
	return names
}

func setScalar(t *testing.T, v reflect.Value, name string) {
	t.Helper()
	want, ok := sdkValues[name]
	switch v.Kind() {
	case reflect.String:
		s, _ := want.(string)
		if !ok {
			s = "x"
		}
		v.SetString(s)
	case reflect.Int32, reflect.Int64, reflect.Int:
		n, _ := want.(int64)
		if !ok {
			n = 1
		}
		v.SetInt(n)
	case reflect.Bool:
		v.SetBool(true)
	default:
		t.Fatalf("SDK field %s has kind %s: extend setScalar", name, v.Kind())
	}
}

// TestServer_SDKFilters applies the filters the SDK sends (the default, lenient reference).
func TestServer_SDKFilters(t *testing.T) {
	h := start(t)
	host := strings.TrimPrefix(h.srv.URL, "http://")
	client, err := ecsclient.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(keys["demo"][0]), AccessKeySecret: dara.String(keys["demo"][1]),
		Endpoint: dara.String(host), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou"),
		ReadTimeout: dara.Int(10000), ConnectTimeout: dara.Int(5), NoProxy: dara.String(host),
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func(req *ecsclient.DescribeImagesRequest) int32 {
		t.Helper()
		req.RegionId = dara.String("cn-hangzhou")
		resp, err := client.DescribeImages(req)
		if err != nil {
			t.Fatalf("DescribeImages: %v", err)
		}
		return dara.Int32Value(resp.Body.TotalCount)
	}
	all := count(&ecsclient.DescribeImagesRequest{})
	if all == 0 {
		t.Fatal("no image in cn-hangzhou")
	}
	for name, tt := range map[string]struct {
		req  *ecsclient.DescribeImagesRequest
		want int32
	}{
		"OSType linux":        {&ecsclient.DescribeImagesRequest{OSType: dara.String("linux")}, all},
		"OSType windows":      {&ecsclient.DescribeImagesRequest{OSType: dara.String("windows")}, 0},
		"Architecture arm64":  {&ecsclient.DescribeImagesRequest{Architecture: dara.String("arm64")}, 0},
		"ShowExpired":         {&ecsclient.DescribeImagesRequest{ShowExpired: dara.Bool(true)}, all},
		"InstanceType":        {&ecsclient.DescribeImagesRequest{InstanceType: dara.String("ecs.g7.large")}, all},
		"an absent tag":       {&ecsclient.DescribeImagesRequest{Tag: []*ecsclient.DescribeImagesRequestTag{{Key: dara.String("env")}}}, 0},
		"created in the past": {&ecsclient.DescribeImagesRequest{Filter: []*ecsclient.DescribeImagesRequestFilter{{Key: dara.String("CreationEndTime"), Value: dara.String("2000-01-01T00:00Z")}}}, 0},
		"the image":           {&ecsclient.DescribeImagesRequest{ImageId: dara.String("m-eic-custom"), ImageFamily: dara.String("")}, 1},
	} {
		if got := count(tt.req); got != tt.want {
			t.Errorf("%s: TotalCount %d, want %d", name, got, tt.want)
		}
	}
	resp, err := client.DescribeRegions(&ecsclient.DescribeRegionsRequest{AcceptLanguage: dara.String("zh-CN")})
	if err != nil {
		t.Fatal(err)
	}
	if got := dara.StringValue(resp.Body.Regions.Region[0].LocalName); got != "华东1（杭州）" {
		t.Errorf("LocalName in zh-CN = %q", got)
	}
}
