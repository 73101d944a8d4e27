// Command exportdownload is the whole export-and-download flow a tool does, with the
// official SDKs only: ExportImage through the ECS SDK v7 (github.com/alibabacloud-go/
// ecs-20140526/v7), DescribeTaskAttribute until the task is Finished, then the exported
// object through the OSS SDK v2 (github.com/aliyun/alibabacloud-oss-go-sdk-v2): list,
// head, download.
//
// Without flags it starts an embedded reference (package eictest) and moves its virtual
// clock between polls, and checks the download reads back to the source disk's SHA-256.
// Against a running server (eic serve, real clock):
//
//	go run ./examples/exportdownload -ecs 127.0.0.1:8080 -oss http://127.0.0.1:8081
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecsclient "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/reference/eictest"
)

// flow is one run's settings.
type flow struct {
	ecsEndpoint, ossURL string
	keyID, secret       string
	region, image       string
	bucket, prefix      string
	format              string
	wait                func() error // between polls: advance a virtual clock, or sleep
	wantSHA256          string       // of the source disk, when known
}

func main() {
	f := flow{}
	flag.StringVar(&f.ecsEndpoint, "ecs", "", "ECS endpoint `host:port` of a running eic serve (default: start one embedded)")
	flag.StringVar(&f.ossURL, "oss", "", "OSS endpoint `URL` of that server (http://127.0.0.1:8081)")
	flag.StringVar(&f.keyID, "key", eictest.Demo.AccessKeyID, "AccessKeyId")
	flag.StringVar(&f.secret, "secret", eictest.Demo.AccessKeySecret, "AccessKeySecret")
	flag.StringVar(&f.region, "region", "ap-southeast-1", "region")
	flag.StringVar(&f.image, "image", "m-eic-sg-custom", "image to export")
	flag.StringVar(&f.bucket, "bucket", "eic-export-sg", "bucket to export into")
	flag.StringVar(&f.prefix, "prefix", "Example", "OSSPrefix")
	flag.StringVar(&f.format, "format", "qcow2", "ImageFormat")
	out := flag.String("o", "", "write the downloaded image to `file`")
	flag.Parse()

	if f.ecsEndpoint == "" {
		srv, err := eictest.NewServer()
		if err != nil {
			fail(err)
		}
		defer srv.Close()
		f.ecsEndpoint, f.ossURL = srv.ECSEndpoint, srv.OSSURL
		f.wait = func() error { return srv.Advance(10 * time.Second) }
		disks, err := srv.Disks(f.image)
		if err != nil {
			fail(err)
		}
		f.wantSHA256 = disks[0].SHA256
	} else {
		if f.ossURL == "" {
			fail(errors.New("-oss is required with -ecs"))
		}
		f.wait = func() error { time.Sleep(time.Second); return nil }
	}
	data, err := f.run(context.Background(), os.Stdout)
	if err != nil {
		fail(err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, data, 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "exportdownload:", err)
	os.Exit(1)
}

// run exports, waits, downloads and checks; it returns the downloaded bytes.
func (f flow) run(ctx context.Context, w io.Writer) ([]byte, error) {
	ecs, err := ecsclient.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(f.keyID), AccessKeySecret: dara.String(f.secret),
		Endpoint: dara.String(f.ecsEndpoint), Protocol: dara.String("http"), RegionId: dara.String(f.region),
	})
	if err != nil {
		return nil, err
	}
	exp, err := ecs.ExportImage(&ecsclient.ExportImageRequest{RegionId: dara.String(f.region), ImageId: dara.String(f.image),
		OSSBucket: dara.String(f.bucket), OSSPrefix: dara.String(f.prefix), ImageFormat: dara.String(f.format)})
	if err != nil {
		return nil, fmt.Errorf("ExportImage: %w", err)
	}
	taskID := dara.StringValue(exp.Body.TaskId)
	fmt.Fprintf(w, "ExportImage: task %s\n", taskID)

	var key string
	for i := 0; key == ""; i++ {
		a, err := ecs.DescribeTaskAttribute(&ecsclient.DescribeTaskAttributeRequest{RegionId: dara.String(f.region), TaskId: dara.String(taskID)})
		if err != nil {
			return nil, fmt.Errorf("DescribeTaskAttribute: %w", err)
		}
		switch status := dara.StringValue(a.Body.TaskStatus); status {
		case "Finished":
			key = dara.StringValue(a.Body.OperationProgressSet.OperationProgress[0].RelatedItemSet.RelatedItem[0].Value)
		case "Failed", "Deleted":
			return nil, fmt.Errorf("task %s ended %s", taskID, status)
		default:
			if i == 600 {
				return nil, fmt.Errorf("task %s still %s after 600 polls", taskID, status)
			}
			if err := f.wait(); err != nil {
				return nil, err
			}
		}
	}
	fmt.Fprintf(w, "task Finished: object %s\n", key)

	c := oss.NewClient(oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(f.keyID, f.secret)).
		WithRegion(f.region).WithEndpoint(f.ossURL).WithUsePathStyle(true))
	head, err := c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(f.bucket), Key: oss.Ptr(key)})
	if err != nil {
		return nil, fmt.Errorf("HeadObject: %w", err)
	}
	get, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(f.bucket), Key: oss.Ptr(key)})
	if err != nil {
		return nil, fmt.Errorf("GetObject: %w", err)
	}
	defer get.Body.Close()
	data, err := io.ReadAll(get.Body)
	if err != nil {
		return nil, fmt.Errorf("GetObject body: %w", err)
	}
	if int64(len(data)) != head.ContentLength {
		return nil, fmt.Errorf("downloaded %d bytes, HeadObject says %d", len(data), head.ContentLength)
	}
	sum := sha256.Sum256(data)
	fmt.Fprintf(w, "downloaded %d bytes (ETag %s, file sha256 %s)\n", len(data), oss.ToString(head.ETag), hex.EncodeToString(sum[:]))

	img, err := diskimage.Open(readerAt(data), int64(len(data)))
	if err != nil {
		return data, fmt.Errorf("the download is not a disk image: %w", err)
	}
	disk, err := diskimage.Checksum(img)
	if err != nil {
		return data, err
	}
	fmt.Fprintf(w, "%s image of a %d-byte disk, disk sha256 %s\n", img.Format(), img.Size(), disk)
	if f.wantSHA256 != "" {
		if disk != f.wantSHA256 {
			return data, fmt.Errorf("disk sha256 %s, the source disk's is %s", disk, f.wantSHA256)
		}
		fmt.Fprintln(w, "the download matches the source disk")
	}
	return data, nil
}

type readerAt []byte

func (b readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
