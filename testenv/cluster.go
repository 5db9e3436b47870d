package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is the production topology on one machine: PostgreSQL from Debian's packages and
// the real Temporal server on it (scripts/cluster.sh), in a private directory, with the
// namespace and search attributes registered. make cluster-tools installs what it needs.
type Cluster struct {
	Dir      string
	HostPort string // the frontend
	tb       testing.TB
	server   *exec.Cmd
	log      *os.File
}

// ClusterTools reports what is missing for a cluster ("" when nothing is).
func ClusterTools() string {
	root := ModuleRoot()
	for _, p := range []string{filepath.Join(root, "bin", "cluster", "server"), filepath.Join(root, "bin", "cluster", "sql"),
		filepath.Join(root, "bin", "sandbox"), filepath.Join(root, "bin", "temporal")} {
		if _, err := os.Stat(p); err != nil {
			return p
		}
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
		return "PostgreSQL (Debian's postgresql package)"
	}
	return ""
}

// freeBase finds a port base below 32768 (membership ports are a PostgreSQL smallint) whose
// offsets 0-3, 20 and 30 are free.
func freeBase(tb testing.TB) int {
	for try := 0; try < 200; try++ {
		base := 20000 + rand.IntN(12000)
		ok := true
		for _, off := range []int{0, 1, 2, 3, 20, 30} {
			c, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+off))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return base
		}
	}
	tb.Fatal("no free port range for the Temporal server")
	return 0
}

// StartCluster sets up PostgreSQL and the Temporal server in a fresh directory and starts
// them; everything is stopped and removed at the end of the test.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs PostgreSQL and the Temporal server (skipped with -short)")
	}
	if missing := ClusterTools(); missing != "" {
		tb.Fatalf("cluster test needs %s: run `make cluster-tools` (make test does)", missing)
	}
	dir, err := os.MkdirTemp("", "coverage-cluster-")
	if err != nil {
		tb.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755) // PostgreSQL runs as its own user
	c := &Cluster{Dir: dir, tb: tb}
	tb.Cleanup(func() {
		c.StopServer()
		_ = c.script("pg-stop")
		_ = os.RemoveAll(dir)
	})
	pg, frontend, member := freeBase(tb), freeBase(tb), freeBase(tb)
	if err := c.script("setup", strconv.Itoa(pg), strconv.Itoa(frontend), strconv.Itoa(member)); err != nil {
		tb.Fatal(err)
	}
	c.HostPort = "127.0.0.1:" + strconv.Itoa(frontend)
	c.StartServer()
	if err := c.script("register"); err != nil {
		tb.Fatal(err)
	}
	return c
}

func (c *Cluster) script(args ...string) error {
	cmd := exec.Command(filepath.Join(ModuleRoot(), "scripts", "cluster.sh"), append([]string{args[0], c.Dir}, args[1:]...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cluster.sh %s: %v\n%s", args[0], err, out)
	}
	return nil
}

// StartServer starts (or restarts) the Temporal server and waits until it answers.
func (c *Cluster) StartServer() {
	c.tb.Helper()
	f, err := os.OpenFile(filepath.Join(c.Dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.tb.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(ModuleRoot(), "scripts", "cluster.sh"), "server", c.Dir)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		c.tb.Fatal(err)
	}
	c.server, c.log = cmd, f
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		out, err := exec.Command(filepath.Join(ModuleRoot(), "bin", "temporal"), "operator", "cluster", "health", "--address", c.HostPort).CombinedOutput()
		if err == nil && len(out) > 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	data, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
	c.tb.Fatalf("the Temporal server did not start within 2 minutes:\n%s", tail(string(data), 40))
}

// StopServer stops the Temporal server (SIGTERM, then SIGKILL after 20 s).
func (c *Cluster) StopServer() {
	if c.server == nil || c.server.Process == nil {
		return
	}
	_ = c.server.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.server.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = c.server.Process.Kill()
		<-done
	}
	c.server = nil
	if c.log != nil {
		c.log.Close()
	}
}

// RestartPostgres stops PostgreSQL and starts it again on the same data.
func (c *Cluster) RestartPostgres() {
	c.tb.Helper()
	if err := c.script("pg-stop"); err != nil {
		c.tb.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := c.script("pg-start"); err != nil {
		c.tb.Fatal(err)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
