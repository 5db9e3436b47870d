// Package testenv runs the real parts for tests and benchmarks: a Temporal dev server from
// ./bin/temporal (testsuite.StartDevServer with ExistingPath, never a download), the
// 1099Policy and platform sandboxes on real HTTP, and the worker and ingress binaries as
// processes that can be killed and restarted.
package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/payloadcodec"
)

// ModuleRoot is the repository root (the folder holding go.mod).
func ModuleRoot() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// CLIPath is the Temporal CLI that `make tools` installs. Tests that need it skip under
// -short and fail otherwise when it is missing, naming the fix.
func CLIPath(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs a Temporal dev server (skipped with -short)")
	}
	p, err := FindCLI()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// FreeAddr returns a free 127.0.0.1 address.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// DevServer is a Temporal dev server that can be stopped and started again on the same
// address and database file.
type DevServer struct {
	// ExtraArgs go to `temporal server start-dev` (the benchmarks pass SQLite pragmas).
	ExtraArgs []string
	cli       string
	HostPort  string
	DBFile    string
	mu        sync.Mutex
	srv       *testsuite.DevServer
}

// StartDevServer starts a dev server with the service's search attributes registered; it is
// stopped at the end of the test.
func StartDevServer(tb testing.TB) *DevServer {
	tb.Helper()
	d, err := NewDevServer(CLIPath(tb), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(d.Stop)
	return d
}

// NewDevServer starts a dev server keeping its database and log in dir (for TestMain, where
// there is no testing.TB; the caller stops it).
func NewDevServer(cliPath, dir string) (*DevServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	d := &DevServer{cli: cliPath, HostPort: addr, DBFile: filepath.Join(dir, "temporal.db"), ExtraArgs: DevServerArgs}
	return d, d.Start()
}

// DevServerArgs are added to every dev server started from now on (benchmarks set SQLite
// pragmas here).
var DevServerArgs []string

// Start (re)starts the server on its address and database file.
func (d *DevServer) Start() error {
	args := slices.Clone(d.ExtraArgs)
	for _, sa := range engagement.SearchAttributes() {
		args = append(args, "--search-attribute", sa.Name+"="+sa.Kind)
	}
	logFile, _ := os.OpenFile(filepath.Join(filepath.Dir(d.DBFile), "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	// On two loaded cores a start can miss the SDK's one-minute connect window: one more try.
	var srv *testsuite.DevServer
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		srv, err = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath:  d.cli,
			ClientOptions: &client.Options{HostPort: d.HostPort, Namespace: "default", Logger: quietLogger{}},
			DBFilename:    d.DBFile, LogLevel: "error", ExtraArgs: args, Stdout: logFile, Stderr: logFile,
		})
		cancel()
		if err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("start Temporal dev server: %w", err)
	}
	d.mu.Lock()
	d.srv = srv
	d.mu.Unlock()
	return nil
}

// FindCLI is CLIPath without a test: the path, or an error naming the fix.
func FindCLI() (string, error) {
	p := os.Getenv("TEMPORAL_CLI_PATH")
	if p == "" {
		p = filepath.Join(ModuleRoot(), "bin", "temporal")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("Temporal CLI not found at %s: run `make tools` (make test does)", p)
	}
	return p, nil
}

// Stop stops the server (its database file stays).
func (d *DevServer) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.srv != nil {
		_ = d.srv.Stop()
		d.srv = nil
	}
}

// Client dials the server; the caller closes it.
func (d *DevServer) Client() (client.Client, error) { return d.NamespaceClient("default") }

// NamespaceClient is Client for another namespace of the server.
func (d *DevServer) NamespaceClient(namespace string) (client.Client, error) {
	keys, err := payloadcodec.ParseKeys(PayloadKeys())
	if err != nil {
		return nil, err
	}
	return client.Dial(client.Options{HostPort: d.HostPort, Namespace: namespace, Logger: quietLogger{},
		DataConverter: payloadcodec.DataConverter(keys), FailureConverter: payloadcodec.FailureConverter(keys)})
}

// PayloadKeys is the payload encryption key of every test stack and test client, kept in
// workflows/testdata/golden/payload-key.txt: a test key only, never used anywhere else (the
// golden histories are recorded under it and replay with it).
func PayloadKeys() string {
	data, _ := os.ReadFile(filepath.Join(ModuleRoot(), "workflows", "testdata", "golden", "payload-key.txt"))
	return strings.TrimSpace(string(data))
}

// quietLogger keeps the SDK's client logs out of test output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

var buildOnce sync.Once
var buildDir, buildErr = "", error(nil)

// Binaries builds the worker and starter binaries once per test process.
func Binaries(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coverage-bin-")
		if err != nil {
			buildErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", dir+"/", "./worker", "./starter")
		cmd.Dir = ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
		buildDir = dir
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildDir
}

// Process is a running binary with its log.
type Process struct {
	Name string
	cmd  *exec.Cmd
	Log  string
}

// StartProcess starts a built binary with env; it is stopped at the end of the test.
func StartProcess(tb testing.TB, name string, env []string) *Process {
	tb.Helper()
	return StartBinary(tb, filepath.Join(Binaries(tb), name), name, env)
}

// StartBinary starts the binary at path (a build of another commit or with other tags) as a
// process named name.
func StartBinary(tb testing.TB, path, name string, env []string) *Process {
	tb.Helper()
	logPath := filepath.Join(tb.TempDir(), name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	p := &Process{Name: name, cmd: cmd, Log: logPath}
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			data, _ := os.ReadFile(logPath)
			lines := strings.Split(string(data), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			tb.Logf("last lines of %s log:\n%s", name, strings.Join(lines, "\n"))
		}
	})
	return p
}

// Kill sends SIGKILL: no graceful shutdown.
func (p *Process) Kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		_, _ = p.cmd.Process.Wait()
	}
}

// Stop sends SIGTERM and waits.
func (p *Process) Stop() {
	if p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _, _ = p.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// RSS is the process's resident memory in bytes (Linux), 0 when unknown.
func (p *Process) RSS() int64 {
	if p.cmd.Process == nil {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb * 1024
		}
	}
	return 0
}

// CPUTime is the CPU time the process's threads have run so far (Linux schedstat, in
// nanoseconds), 0 when unknown.
func (p *Process) CPUTime() time.Duration {
	if p.cmd.Process == nil {
		return 0
	}
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.cmd.Process.Pid))
	var total int64
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var ns int64
		if _, err := fmt.Sscan(string(data), &ns); err == nil {
			total += ns
		}
	}
	return time.Duration(total)
}
