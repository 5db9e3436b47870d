package upwork

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TokenFile keeps the newest refresh token Upwork handed out (UPWORK_REFRESH_TOKEN_FILE), so
// it survives a restart and replicas sharing the file (a shared volume) use the same one.
// Writes are atomic and durable (a private temp file, fsync, rename, directory fsync) under an
// exclusive lock; reads take a shared lock. The file remembers which configured
// UPWORK_REFRESH_TOKEN its chain of rotations started from: when the operator configures a
// different one, that one is newer and wins over the file.
type TokenFile struct {
	Path       string
	Configured string // UPWORK_REFRESH_TOKEN
}

// tokenFileContent is the file's JSON.
type tokenFileContent struct {
	RefreshToken string    `json:"refresh_token"`
	Seed         string    `json:"seed"` // hash of the configured token the chain started from
	Updated      time.Time `json:"updated"`
}

func seedOf(configured string) string {
	sum := sha256.Sum256([]byte(configured))
	return hex.EncodeToString(sum[:8])
}

// Load returns the refresh token to use: the file's when it continues the configured token's
// chain, else the configured one (no file yet, or a newer configured token).
func (f *TokenFile) Load() (string, error) {
	var content tokenFileContent
	err := withLock(f.Path, false, func() error {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			return err
		}
		if text := strings.TrimSpace(string(data)); !strings.HasPrefix(text, "{") {
			content = tokenFileContent{RefreshToken: text, Seed: seedOf(f.Configured)} // the older plain-text file
			return nil
		}
		return json.Unmarshal(data, &content)
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f.Configured, nil
	case err != nil:
		return f.Configured, fmt.Errorf("read %s: %w", f.Path, err)
	case content.RefreshToken == "" || content.Seed != seedOf(f.Configured):
		return f.Configured, nil
	}
	return content.RefreshToken, nil
}

// Save writes a rotated refresh token.
func (f *TokenFile) Save(token string) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	data, err := json.Marshal(tokenFileContent{RefreshToken: token, Seed: seedOf(f.Configured), Updated: time.Now().UTC()})
	if err != nil {
		return err
	}
	err = withLock(f.Path, true, func() error {
		tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".*") // 0600, a name no other writer uses
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
		if _, err := tmp.Write(data); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), f.Path); err != nil {
			return err
		}
		d, err := os.Open(dir)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync() // the rename itself survives a crash
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	return nil
}
