package all

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUpworkRefreshTokenSurvivesARestart: a rotated refresh token is written to the file and
// read back instead of the configured (now stale) one.
func TestUpworkRefreshTokenSurvivesARestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "upwork-refresh-token")
	assert.Equal(t, "configured", newestRefreshToken(file, "configured"), "no file yet")
	keepRefreshToken(file)("rotated-1")
	assert.Equal(t, "rotated-1", newestRefreshToken(file, "configured"))
	keepRefreshToken(file)("rotated-2")
	assert.Equal(t, "rotated-2", newestRefreshToken(file, "configured"), "the newest wins")
	assert.Nil(t, keepRefreshToken(""), "no file configured: nothing kept")
	assert.Equal(t, "configured", newestRefreshToken("", "configured"))
}
