package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadNamesTheMissingSetting(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "")
	t.Setenv("POLICY_WEBHOOK_SECRET", "x")
	_, err := Load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "POLICY_API_KEY")
	assert.NotContains(t, err.Error(), "\n", "one line")
}

func TestLoadDefaultsAndPlatforms(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")
	t.Setenv("REMOTE_API_URL", "http://r")
	t.Setenv("REMOTE_POLL_INTERVAL", "0")
	t.Setenv("UPWORK_POLL_INTERVAL", "90s")
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, "localhost:7233", c.Temporal.Address)
	assert.Equal(t, "coverage", c.Temporal.TaskQueue)
	assert.Equal(t, ":8080", c.ListenAddr)
	assert.Equal(t, "relay.example.com", c.ProxyEmailDomain)
	assert.True(t, c.Platforms["remote"].Enabled())
	assert.False(t, c.Platforms["jobdiva"].Enabled(), "a platform without its URL is disabled")
	assert.Zero(t, c.Platforms["remote"].PollInterval)
	assert.Equal(t, "1m30s", c.Platforms["upwork"].PollInterval.String())
	assert.Equal(t, "5m0s", c.Platforms["workmarket"].PollInterval.String())
	assert.Error(t, c.RequireOpsToken())
}

func TestMapping(t *testing.T) {
	m, err := ParseMapping([]byte(`
entities:
  remote/acct_77: en_12AbC3
categories:
  remote/marketing_design: jc_MARKETING
coverage:
  remote/acct_77: [general, workers-comp]
default_category_code: jc_default
`))
	require.NoError(t, err)
	e, err := m.Entity("remote", "acct_77")
	require.NoError(t, err)
	assert.Equal(t, "en_12AbC3", e)
	_, err = m.Entity("remote", "acct_1")
	assert.EqualError(t, err, `no entity mapping for "remote/acct_1" and no default`)
	cat, _ := m.CategoryCode("upwork", "anything")
	assert.Equal(t, "jc_default", cat)
	assert.Equal(t, []string{"general", "workers-comp"}, m.CoverageTypes("remote", "acct_77"))
	assert.Equal(t, []string{"general"}, m.CoverageTypes("remote", "other"))

	_, err = ParseMapping([]byte("entitys:\n  a/b: c\n"))
	assert.Error(t, err, "a misspelt key is refused")

	path := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(path, []byte("default_entity: en_x\n"), 0o644))
	lm, err := LoadMapping(path)
	require.NoError(t, err)
	assert.Equal(t, "en_x", lm.DefaultEntity)
	assert.Equal(t, "http://ops/remote/ct_1?x", SessionURL("http://ops/{vendor}/{engagement_id}?x", "remote", "ct_1"))
}

func TestPolicyEventsSettings(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, VerifySignature, c.Policy.WebhookVerify, "signature is the default")
	assert.Equal(t, "5m0s", c.Policy.EventsPollInterval.String(), "SPEC §5 default")
	assert.Equal(t, 100, c.Policy.EventsPageSize)

	t.Setenv("POLICY_WEBHOOK_VERIFY", "refetch")
	t.Setenv("POLICY_EVENTS_POLL_INTERVAL", "0")
	c, err = Load()
	require.NoError(t, err)
	assert.Equal(t, VerifyRefetch, c.Policy.WebhookVerify)
	assert.Zero(t, c.Policy.EventsPollInterval)

	for name, value := range map[string]string{"POLICY_WEBHOOK_VERIFY": "hmac", "POLICY_EVENTS_PAGE_SIZE": "500"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			_, err := Load()
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestPayloadEncryptionSettings(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")
	c, err := Load()
	require.NoError(t, err)
	assert.Empty(t, c.PayloadKeys)
	require.Len(t, c.Warnings(), 1, "sandbox without a key: one warning")
	assert.Contains(t, c.Warnings()[0], "PAYLOAD_ENCRYPTION_KEYS")

	t.Run("production without a key stops start-up", func(t *testing.T) {
		t.Setenv("POLICY_ENVIRONMENT", "production")
		_, err := Load()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "PAYLOAD_ENCRYPTION_KEYS")
		assert.NotContains(t, err.Error(), "\n")
	})

	const key = "k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="
	t.Setenv("PAYLOAD_ENCRYPTION_KEYS", key)
	c, err = Load()
	require.NoError(t, err)
	require.Len(t, c.PayloadKeys, 1)
	assert.Empty(t, c.Warnings())
	opts, err := c.ClientOptions()
	require.NoError(t, err)
	p, err := opts.DataConverter.ToPayload("jordan@private.example")
	require.NoError(t, err)
	assert.NotContains(t, string(p.Data), "jordan", "every client encrypts")

	t.Run("the UI without a token only on a loopback sandbox", func(t *testing.T) {
		t.Setenv("CODEC_LOCAL_UI_WITHOUT_TOKEN", "true")
		t.Setenv("LISTEN_ADDR", ":8080")
		_, err := Load()
		assert.ErrorContains(t, err, "loopback")
		t.Setenv("LISTEN_ADDR", "127.0.0.1:8080")
		_, err = Load()
		assert.NoError(t, err)
		t.Setenv("POLICY_ENVIRONMENT", "production")
		_, err = Load()
		assert.ErrorContains(t, err, "refused with POLICY_ENVIRONMENT=production")
	})
}

func TestWorkMarketPatternAndHorizon(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, "2160h0m0s", c.CoverageHorizon.String(), "90 days by default")
	assert.Empty(t, c.WorkMarketCOIPattern, "the adapter's default applies")
	t.Setenv("COVERAGE_HORIZON", "30d")
	c, err = Load()
	require.NoError(t, err)
	assert.Equal(t, 30*24*time.Hour, c.CoverageHorizon)
	for name, value := range map[string]string{"COVERAGE_HORIZON": "13d", "WORKMARKET_COI_PATTERN": "(unclosed"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			_, err := Load()
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
		})
	}
}
