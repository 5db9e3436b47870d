package bench

import "testing"

// BenchmarkAdapters runs the micro benchmarks: go test -run '^$' -bench . -benchmem ./bench
func BenchmarkAdapters(b *testing.B) {
	for _, m := range Micros() {
		b.Run(m.Name, m.Fn)
	}
}
