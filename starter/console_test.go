package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/config"
)

func TestConsoleConfig(t *testing.T) {
	_, err := consoleConfig(config.Config{OpsAPIToken: "t", ConsoleUsers: []string{"dana:not-a-hash"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CONSOLE_USERS")
	assert.NotContains(t, err.Error(), "not-a-hash", "the error names the user, never the value")

	local, err := consoleConfig(config.Config{OpsAPIToken: "t", ListenAddr: "127.0.0.1:8080"})
	require.NoError(t, err)
	assert.False(t, local.Secure, "plain http on loopback")
	public, err := consoleConfig(config.Config{OpsAPIToken: "t", ListenAddr: ":8080"})
	require.NoError(t, err)
	assert.True(t, public.Secure)
	assert.Equal(t, local.SessionKey, public.SessionKey, "replicas with one token derive one key")
	other, err := consoleConfig(config.Config{OpsAPIToken: "u", ListenAddr: ":8080"})
	require.NoError(t, err)
	assert.NotEqual(t, local.SessionKey, other.SessionKey)
	given, err := consoleConfig(config.Config{OpsAPIToken: "t", ConsoleSessionKey: "k"})
	require.NoError(t, err)
	assert.Equal(t, []byte("k"), given.SessionKey)
}
