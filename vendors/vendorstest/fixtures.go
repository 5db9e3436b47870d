package vendorstest

import (
	"os"
	"path/filepath"
	"testing"
)

// Fixtures returns every testdata/*.json file of the calling package's directory (webhook
// bodies, API answers): the seeds of its fuzz tests.
func Fixtures(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no fixtures in testdata: %v", err)
	}
	bodies := make([][]byte, 0, len(files))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		bodies = append(bodies, data)
	}
	return bodies
}
