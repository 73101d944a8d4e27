package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/journal"
	"github.com/exportimage/eic/spec"
)

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "[flags]", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "`host:port` to serve the ECS API on (http://HOST:PORT/)")
	ossListen := fs.String("oss-listen", "127.0.0.1:8081", "`host:port` to serve the buckets over the OSS API on; \"off\" to disable")
	fixtures := fs.String("fixtures", "", "YAML fixtures `file` replacing the built-in set (docs/reference.md)")
	store := fs.String("store", "mem", "mem, or a `directory` keeping objects, tasks, quotas and the virtual clock across restarts (one server per directory)")
	clock := fs.String("clock", "real", "task clock: real, or virtual (tasks move only when /_reference/clock/advance is called)")
	token := fs.String("control-token", "", "bearer `token` of the control API (default: random, printed)")
	speed := fs.Int64("export-speed", 0, "export pace in `bytes` of disk data per second (default 64 MiB/s)")
	credFile := fs.String("credentials", "", "`file` of extra access keys, one ID:SECRET per line; each key gets its own account")
	quiet := fs.Bool("quiet", false, "do not log one line per request")
	strictParams := fs.Bool("strict-params", false, "refuse (InvalidParameter) a parameter no official SDK model of the action defines, instead of ignoring and logging it")
	var keys repeated
	fs.Var(&keys, "access-key", "extra access key `ID:SECRET` (repeatable); each key gets its own account")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eic serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *credFile != "" {
		more, err := readKeyFile(*credFile)
		if err != nil {
			fmt.Fprintf(stderr, "eic serve: %v\n", err)
			return 2
		}
		keys = append(keys, more...)
	}

	opts := []reference.Option{reference.WithSeed(time.Now().UnixNano())}
	if *fixtures != "" {
		data, err := os.ReadFile(*fixtures)
		if err != nil {
			fmt.Fprintf(stderr, "eic serve: %v\n", err)
			return 2
		}
		opts = append(opts, reference.WithFixtures(data))
	}
	switch *store {
	case "mem", "":
	default:
		opts = append(opts, reference.WithStateDir(*store))
	}
	switch *clock {
	case "real":
	case "virtual":
		opts = append(opts, reference.WithVirtualClock(time.Now().UTC().Truncate(time.Second)))
	default:
		fmt.Fprintf(stderr, "eic serve: --clock must be real or virtual, not %q\n", *clock)
		return 2
	}
	if *token != "" {
		opts = append(opts, reference.WithControlToken(*token))
	}
	if *speed < 0 {
		fmt.Fprintln(stderr, "eic serve: --export-speed must be positive")
		return 2
	} else if *speed > 0 {
		opts = append(opts, reference.WithExportSpeed(*speed))
	}
	if len(keys) > 0 {
		opts = append(opts, reference.WithAccessKeys(keys...))
	}
	if !*quiet {
		opts = append(opts, reference.WithLog(stderr))
	}
	if *strictParams {
		opts = append(opts, reference.WithStrictParams())
	}
	srv, err := reference.New(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "eic serve: %v\n", err)
		return 2
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		srv.Close()
		fmt.Fprintf(stderr, "eic serve: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ossEndpoint := ""
	if *ossListen != "off" && *ossListen != "" {
		ol, err := net.Listen("tcp", *ossListen)
		if err != nil {
			l.Close()
			srv.Close()
			fmt.Fprintf(stderr, "eic serve: --oss-listen: %v\n", err)
			return 2
		}
		ossEndpoint = "http://" + ol.Addr().String()
		go func() {
			if err := srv.ServeOSS(ctx, ol); err != nil {
				fmt.Fprintf(stderr, "eic serve: OSS endpoint: %v\n", err)
			}
		}()
	}
	printBanner(stdout, srv, "http://"+l.Addr().String(), ossEndpoint, *clock)
	if *store != "mem" && *store != "" {
		fmt.Fprintf(stdout, "  store:          %s (objects as files; tasks, quotas and clock in %s)\n", *store, journal.FileName)
	}

	interrupted, err := srv.Serve(ctx, l)
	if serr := srv.StateErr(); serr != nil {
		fmt.Fprintf(stderr, "eic serve: state not saved: %v\n", serr)
	}
	if len(interrupted) > 0 {
		fmt.Fprintf(stdout, "stopped with %d export task(s) still in flight: %s\n", len(interrupted), strings.Join(interrupted, ", "))
	} else {
		fmt.Fprintln(stdout, "stopped; no task was in flight")
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "eic serve: %v\n", err)
		return 1
	}
	return 0
}

func printBanner(w io.Writer, srv *reference.Server, endpoint, ossEndpoint, clock string) {
	fmt.Fprintf(w, "eic reference server for ECS ExportImage (%s)\n", spec.Version)
	fmt.Fprintf(w, "  endpoint:       %s/\n", endpoint)
	fmt.Fprintf(w, "  control API:    %s/_reference/   (Authorization: Bearer %s)\n", endpoint, srv.ControlToken())
	fmt.Fprintf(w, "                  the control token is an administrator credential: it resets state and\n")
	fmt.Fprintf(w, "                  reads every account's secret (GET /_reference/accounts); keep it to yourself\n")
	if ossEndpoint != "" {
		fmt.Fprintf(w, "  OSS endpoint:   %s/   (path style; or virtual-hosted BUCKET.<host>)\n", ossEndpoint)
	}
	fmt.Fprintf(w, "  clock:          %s\n", clockNote(clock))
	fmt.Fprintf(w, "  access keys (secrets are never printed or logged; the built-in ones are in docs/reference.md):\n")
	for _, a := range srv.Accounts() {
		for _, k := range a.Keys {
			state := ""
			if k.Disabled {
				state = "  (disabled)"
			}
			fmt.Fprintf(w, "    %-12s %s%s\n", a.Name, k.ID, state)
		}
	}
	fmt.Fprintf(w, "  SDK:            Config{Endpoint: %q, Protocol: \"http\", AccessKeyId: …, AccessKeySecret: …}\n", strings.TrimPrefix(endpoint, "http://"))
	if ossEndpoint != "" {
		fmt.Fprintf(w, "  OSS SDK v2:     LoadDefaultConfig().WithEndpoint(%q).WithUsePathStyle(true).WithRegion(…)\n", ossEndpoint)
	}
}

// readKeyFile reads ID:SECRET lines; blank lines and lines starting with # are skipped.
func readKeyFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(line, ":") {
			return nil, fmt.Errorf("%s:%d: want ID:SECRET", path, n)
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// clockNote explains the clock on the banner: with the real clock, eic run's clock-driven
// scenarios wait in real time (minutes: 192 s against 6 s with --clock virtual, measured).
func clockNote(clock string) string {
	if clock == "real" {
		return "real (eic run's clock-driven scenarios then take minutes; --clock virtual runs them in seconds)"
	}
	return clock
}
