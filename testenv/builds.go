package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BuildWorker builds the worker of the module in srcDir (ModuleRoot(), or an earlier commit
// from CheckoutCommit) with build tags, stamped with buildID like make build does, and returns
// the binary's path. The module cache serves the dependencies: no network beyond the Go proxy.
func BuildWorker(tb testing.TB, srcDir, buildID string, tags ...string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "worker")
	args := []string{"build", "-o", out, "-ldflags", "-X github.com/coverage-orchestrator/coverage/config.buildID=" + buildID}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, "./worker")...)
	cmd.Dir = srcDir
	if data, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build the worker of %s: %v\n%s", srcDir, err, data)
	}
	return out
}

// CheckoutCommit writes the tree of a commit of this repository into a temporary folder
// (git archive: the working tree is not touched) and returns it.
func CheckoutCommit(tb testing.TB, commit string) string {
	tb.Helper()
	dir := tb.TempDir()
	archive := exec.Command("git", "archive", "--format=tar", commit)
	archive.Dir = ModuleRoot()
	untar := exec.Command("tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	untar.Stdin = pipe
	var stderr strings.Builder
	archive.Stderr = &stderr
	if err := untar.Start(); err != nil {
		tb.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		tb.Fatalf("git archive %s: %v: %s (a shallow clone lacks it: git fetch --unshallow)", commit, err, stderr.String())
	}
	if err := untar.Wait(); err != nil {
		tb.Fatalf("untar %s: %v", commit, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		tb.Fatal(fmt.Errorf("commit %s holds no go.mod", commit))
	}
	return dir
}
