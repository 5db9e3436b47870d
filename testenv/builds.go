package testenv

import (
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
	tarball := filepath.Join(tb.TempDir(), "source.tar")
	archive := exec.Command("git", "archive", "--format=tar", "--output="+tarball, commit)
	archive.Dir = ModuleRoot()
	if out, err := archive.CombinedOutput(); err != nil {
		tb.Fatalf("git archive %s: %v: %s (a shallow clone lacks it: git fetch --unshallow)", commit, err, out)
	}
	if out, err := exec.Command("tar", "-xf", tarball, "-C", dir).CombinedOutput(); err != nil {
		tb.Fatalf("untar %s: %v: %s", commit, err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		tb.Fatalf("commit %s holds no go.mod", commit)
	}
	return dir
}
