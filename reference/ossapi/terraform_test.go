package ossapi_test

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/exportimage/eic/reference/eictest"
)

// TestTerraformFlow replays what terraform-provider-alicloud's alicloud_image_export does,
// with the SDKs that provider uses (alibaba-cloud-sdk-go services/ecs, V1 signature, and
// aliyun-oss-go-sdk): create = ExportImage, then DescribeTaskAttribute until Finished;
// read = DescribeImages with every status; destroy = OSS DeleteObject of
// <prefix>_<image>_system.raw.tar.gz, after which the object is gone.
func TestTerraformFlow(t *testing.T) {
	srv, err := eictest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client, err := ecs.NewClientWithAccessKey("cn-hangzhou", srv.Demo.AccessKeyID, srv.Demo.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	// point is what the provider's endpoint override does: the request goes to the
	// reference over plain HTTP.
	point := func(r *requests.RpcRequest) {
		r.Domain = srv.ECSEndpoint
		r.Scheme = requests.HTTP
	}

	exp := ecs.CreateExportImageRequest()
	point(exp.RpcRequest)
	exp.RegionId, exp.ImageId, exp.OSSBucket, exp.OSSPrefix = "cn-hangzhou", "m-eic-custom", "eic-export", "tfexport"
	resp, err := client.ExportImage(exp)
	if err != nil {
		t.Fatalf("ExportImage: %v", err)
	}
	if resp.TaskId == "" {
		t.Fatalf("ExportImage answered no TaskId: %s", resp.GetHttpContentString())
	}

	for i := 0; ; i++ {
		req := ecs.CreateDescribeTaskAttributeRequest()
		point(req.RpcRequest)
		req.RegionId, req.TaskId = "cn-hangzhou", resp.TaskId
		attr, err := client.DescribeTaskAttribute(req)
		if err != nil {
			t.Fatalf("DescribeTaskAttribute: %v", err)
		}
		if attr.TaskStatus == "Finished" {
			break
		}
		if attr.TaskStatus == "Failed" || i == 100 {
			t.Fatalf("task %s is %s", resp.TaskId, attr.TaskStatus)
		}
		if err := srv.Advance(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	}

	imgs := ecs.CreateDescribeImagesRequest()
	point(imgs.RpcRequest)
	imgs.RegionId, imgs.ImageId, imgs.Status = "cn-hangzhou", "m-eic-custom", "Creating,Waiting,Available,UnAvailable,CreateFailed"
	ir, err := client.DescribeImages(imgs)
	if err != nil {
		t.Fatalf("DescribeImages: %v", err)
	}
	if len(ir.Images.Image) != 1 || ir.Images.Image[0].ImageId != "m-eic-custom" {
		t.Fatalf("DescribeImages found %d images: %s", len(ir.Images.Image), ir.GetHttpContentString())
	}

	oc, err := ossv1.New(srv.OSSURL, srv.Demo.AccessKeyID, srv.Demo.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := oc.Bucket("eic-export")
	if err != nil {
		t.Fatal(err)
	}
	key := "tfexport_m-eic-custom_system.raw.tar.gz"
	if ok, err := bucket.IsObjectExist(key); err != nil || !ok {
		t.Fatalf("before destroy IsObjectExist(%s) = %v, %v", key, ok, err)
	}
	if err := bucket.DeleteObject(key); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if ok, err := bucket.IsObjectExist(key); err != nil || ok {
		t.Fatalf("after destroy IsObjectExist(%s) = %v, %v", key, ok, err)
	}
}
