package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ProductionEnv is a production configuration that passes every check; each case of
// ProductionRefusals changes one setting.
var productionEnv = map[string]string{
	"POLICY_ENVIRONMENT": "production", "POLICY_API_KEY": "t9k_live_key", "POLICY_WEBHOOK_SECRET": "whsec_live",
	"POLICY_API_URL": "https://api.1099policy.com", "OPS_API_TOKEN": strings.Repeat("o", MinOpsTokenLength),
	"PAYLOAD_ENCRYPTION_KEYS": "k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", "TEMPORAL_API_KEY": "temporal-cloud-key",
	"REMOTE_API_URL": "https://gateway.remote.com", "REMOTE_API_TOKEN": "remote-token", "REMOTE_WEBHOOK_SECRET": "remote-secret",
	"UPWORK_API_URL": "https://api.upwork.com", "UPWORK_WEBHOOK_SECRET": "upwork-secret",
	"NOTIFY_WEBHOOK_URLS": "https://hooks.example.com/coverage", "NOTIFY_WEBHOOK_SECRET": "notify-secret",
	"NOTIFY_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
}

// ProductionRefusals: each change to productionEnv and the setting its one line must name.
var productionRefusals = []struct {
	name    string
	change  map[string]string
	setting string
}{
	{"environment typo", map[string]string{"POLICY_ENVIRONMENT": "prod"}, `POLICY_ENVIRONMENT is "prod"`},
	{"environment capitalised", map[string]string{"POLICY_ENVIRONMENT": "Production"}, `POLICY_ENVIRONMENT is "Production"`},
	{"http 1099Policy", map[string]string{"POLICY_API_URL": "http://api.1099policy.com"}, "POLICY_API_URL"},
	{"http platform", map[string]string{"REMOTE_API_URL": "http://gateway.remote.com"}, "REMOTE_API_URL"},
	{"http token endpoint", map[string]string{"UPWORK_TOKEN_URL": "http://www.upwork.com/api/v3/oauth2/token"}, "UPWORK_TOKEN_URL"},
	{"http notification", map[string]string{"NOTIFY_WEBHOOK_URLS": "https://a.example.com/x,http://b.example.com/y"}, "NOTIFY_WEBHOOK_URLS"},
	{"http slack", map[string]string{"NOTIFY_SLACK_WEBHOOK_URL": "http://hooks.slack.com/services/T0/B0/x"}, "NOTIFY_SLACK_WEBHOOK_URL"},
	{"enabled platform without webhook secret", map[string]string{"UPWORK_WEBHOOK_SECRET": ""}, "UPWORK_WEBHOOK_SECRET"},
	{"webhook secret only commas", map[string]string{"REMOTE_WEBHOOK_SECRET": " , "}, "REMOTE_WEBHOOK_SECRET"},
	{"temporal without tls or key", map[string]string{"TEMPORAL_API_KEY": ""}, "TEMPORAL_ALLOW_INSECURE=true"},
	{"short ops token", map[string]string{"OPS_API_TOKEN": strings.Repeat("o", MinOpsTokenLength-1)}, "OPS_API_TOKEN"},
	{"no payload key", map[string]string{"PAYLOAD_ENCRYPTION_KEYS": ""}, "PAYLOAD_ENCRYPTION_KEYS"},
	{"laptop codec switch", map[string]string{"CODEC_LOCAL_UI_WITHOUT_TOKEN": "true"}, "CODEC_LOCAL_UI_WITHOUT_TOKEN"},
	{"laptop UI origin", map[string]string{"CODEC_CORS_ORIGINS": "http://localhost:8233"}, "CODEC_CORS_ORIGINS"},
}

func setEnv(t *testing.T, env map[string]string) {
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestProductionAcceptsASafeConfiguration(t *testing.T) {
	setEnv(t, productionEnv)
	c, err := Load()
	require.NoError(t, err)
	assert.True(t, c.Production())

	t.Setenv("TEMPORAL_API_KEY", "")
	t.Setenv("TEMPORAL_ALLOW_INSECURE", "true")
	_, err = Load()
	assert.NoError(t, err, "a private network said so explicitly")
}

func TestProductionRefusesUnsafeSettings(t *testing.T) {
	for _, tc := range productionRefusals {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, productionEnv)
			setEnv(t, tc.change)
			_, err := Load()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.setting)
			assert.NotContains(t, err.Error(), "\n", "one line")
			assert.NotContains(t, err.Error(), "hooks.slack.com/services", "a refused URL is not quoted (Slack's is a secret)")
		})
	}
}

func TestSandboxKeepsLocalSettings(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")
	t.Setenv("POLICY_ENVIRONMENT", "sandbox")
	t.Setenv("POLICY_API_URL", "http://127.0.0.1:9999")
	t.Setenv("OPS_API_TOKEN", "short")
	_, err := Load()
	assert.NoError(t, err)
}

func TestUnauthenticatedLimitMustBePositive(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")
	t.Setenv("INGRESS_UNAUTHENTICATED_BURST", "0")
	_, err := Load()
	assert.ErrorContains(t, err, "INGRESS_UNAUTHENTICATED_BURST")
}
