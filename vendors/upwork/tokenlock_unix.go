//go:build unix

package upwork

import (
	"os"
	"syscall"
)

// withLock runs fn holding a lock on path+".lock" (exclusive for writers, shared for readers),
// so replicas sharing the token file never read a half-done write nor write at once.
func withLock(path string, exclusive bool, fn func() error) error {
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(lock.Fd()), how); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	return fn()
}
