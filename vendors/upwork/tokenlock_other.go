//go:build !unix

package upwork

// withLock without flock(2): the rename keeps every read whole; concurrent writers are not
// serialised (run replicas sharing a token file on Unix).
func withLock(_ string, _ bool, fn func() error) error { return fn() }
