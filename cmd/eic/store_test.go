package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/internal/control"
)

// buildEIC builds the eic binary once per test into a temporary directory.
func buildEIC(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the eic binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "eic")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// served is one eic serve process.
type served struct {
	t        *testing.T
	cmd      *exec.Cmd
	endpoint string
	ctl      *control.Client
	stdout   chan string // the rest of stdout, once the process has exited
}

const storeToken = "eic-store-test"

// serveStore starts eic serve --store dir on a virtual clock and waits for its banner.
func serveStore(t *testing.T, bin, dir string) *served {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--oss-listen", "127.0.0.1:0", "--store", dir, "--clock", "virtual",
		"--control-token", storeToken, "--export-speed", "1048576", "--quiet")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{t: t, cmd: cmd, stdout: make(chan string, 1)}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	endpoint := make(chan string, 1)
	go func() {
		var rest strings.Builder
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if e, ok := strings.CutPrefix(strings.TrimSpace(line), "endpoint:"); ok {
				endpoint <- strings.TrimSuffix(strings.TrimSpace(e), "/")
			}
			rest.WriteString(line + "\n")
		}
		close(endpoint)
		s.stdout <- rest.String()
	}()
	select {
	case e, ok := <-endpoint:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("eic serve exited before serving: %s", stderr.String())
		}
		s.endpoint = e
	case <-time.After(30 * time.Second):
		t.Fatalf("eic serve printed no endpoint in 30 s: %s", stderr.String())
	}
	s.ctl = &control.Client{Base: s.endpoint, Token: storeToken, HTTP: &http.Client{Timeout: 30 * time.Second}}
	return s
}

// call sends a signed action as the demo account and returns the decoded answer without its
// RequestId.
func (s *served) call(action, query string) map[string]any {
	s.t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		s.t.Fatal(err)
	}
	signer := &acs.Signer{KeyID: "LTAI5tEicDemoKey0000001", Secret: "EicDemoSecret00000000000000001"}
	req, err := signer.NewRequest(context.Background(), acs.Call{Endpoint: s.endpoint, Action: action, Params: params})
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	body, err := acs.DecodeBody(resp.Header.Get("Content-Type"), data)
	if err != nil || resp.StatusCode != 200 {
		s.t.Fatalf("%s %s: %d %v %s", action, query, resp.StatusCode, err, data)
	}
	delete(body.Fields, "RequestId")
	return body.Fields
}

func (s *served) advance(d time.Duration) {
	s.t.Helper()
	if _, err := s.ctl.Advance(context.Background(), d); err != nil {
		s.t.Fatal(err)
	}
}

// answers is what a client sees: both regions' task lists and each task's attributes.
func (s *served) answers(ids ...string) []map[string]any {
	s.t.Helper()
	out := []map[string]any{
		s.call("DescribeTasks", "RegionId=cn-hangzhou"),
		s.call("DescribeTasks", "RegionId=ap-southeast-1&PageSize=100"),
	}
	for _, id := range ids {
		region := "cn-hangzhou"
		if strings.HasPrefix(id, "sg:") {
			region, id = "ap-southeast-1", strings.TrimPrefix(id, "sg:")
		}
		out = append(out, s.call("DescribeTaskAttribute", "RegionId="+region+"&TaskId="+id))
	}
	return out
}

func verifyObject(t *testing.T, bin, file, sha string) {
	t.Helper()
	out, err := exec.Command(bin, "image", "verify", "--sha256", sha, file).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK ") {
		t.Errorf("eic image verify %s: %v %s", file, err, out)
	}
}

// TestServe_StoreSurvivesRestartAndKill runs eic serve --store as a real process: a finished
// and a half-done export survive kill -9 (same DescribeTasks, the finished object readable
// under its own name, nothing of the half-done one visible), the half-done export resumes and
// finishes, a second server on the same directory is refused, and a clean stop keeps it all.
func TestServe_StoreSurvivesRestartAndKill(t *testing.T) {
	bin := buildEIC(t)
	dir := t.TempDir()
	ctx := context.Background()
	s := serveStore(t, bin, dir)
	done := s.call("ExportImage", "RegionId=cn-hangzhou&ImageId=m-eic-custom&OSSBucket=eic-export&OSSPrefix=EcsExport")["TaskId"].(string)
	s.advance(time.Minute)
	half := s.call("ExportImage", "RegionId=ap-southeast-1&ImageId=m-eic-sg-custom&OSSBucket=eic-export-sg&OSSPrefix=EcsExport&ImageFormat=vhd")["TaskId"].(string)
	s.advance(12 * time.Second) // 10 s Waiting, then 2 of the 4 MiB
	ids := []string{done, "sg:" + half}
	before := s.answers(ids...)
	if got := before[3]["TaskProcess"]; got != "50%" {
		t.Fatalf("half-done export at %v, want 50%%", got)
	}
	clock, err := s.ctl.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	finished := filepath.Join(dir, "eic-export", "EcsExport_m-eic-custom_system.raw.tar.gz")
	partial := filepath.Join(dir, "eic-export-sg", "EcsExport_m-eic-sg-custom_system.vhd")
	if _, err := os.Stat(finished); err != nil {
		t.Errorf("the finished export's object is not at its readable name: %v", err)
	}
	if _, err := os.Stat(partial); err == nil {
		t.Errorf("the interrupted export left %s visible", partial)
	}

	s = serveStore(t, bin, dir)
	if now, err := s.ctl.Now(ctx); err != nil || !now.Equal(clock) {
		t.Errorf("clock after kill -9 = %v (%v), want %v", now, err, clock)
	}
	if after := s.answers(ids...); !reflect.DeepEqual(after, before) {
		t.Errorf("answers after kill -9:\n%v\nwant\n%v", after, before)
	}
	objs, err := s.ctl.Objects(ctx, "eic-export-sg")
	if err != nil || len(objs) != 0 {
		t.Errorf("objects of the interrupted export after the restart: %v %v, want none before it finishes", objs, err)
	}

	second := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--oss-listen", "127.0.0.1:0", "--store", dir, "--quiet")
	var stderr bytes.Buffer
	second.Stderr = &stderr
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- second.Wait() }()
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(stderr.String(), "in use") {
			t.Errorf("second server on one --store: %v, stderr %q; want a refusal naming the lock", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = second.Process.Kill()
		t.Error("a second server on the same --store was not refused")
	}

	s.advance(10 * time.Second)
	if got := s.call("DescribeTaskAttribute", "RegionId=ap-southeast-1&TaskId="+half)["TaskStatus"]; got != "Finished" {
		t.Errorf("resumed export is %v, want Finished", got)
	}
	for _, obj := range []struct{ image, file string }{{"m-eic-custom", finished}, {"m-eic-sg-custom", partial}} {
		disks, err := s.ctl.Disks(ctx, obj.image)
		if err != nil || len(disks) == 0 {
			t.Fatalf("disks of %s: %v", obj.image, err)
		}
		verifyObject(t, bin, obj.file, disks[0].SHA256)
	}

	before = s.answers(ids...)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("clean stop: %v", err)
	}
	s = serveStore(t, bin, dir)
	if after := s.answers(ids...); !reflect.DeepEqual(after, before) {
		t.Errorf("answers after a clean stop:\n%v\nwant\n%v", after, before)
	}
}
