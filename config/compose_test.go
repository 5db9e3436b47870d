package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// docker-compose.yml, the production topology (issue 21): only the ingress is published on
// every interface; every secret the service always needs is required (${VAR:?…}); no secret
// has a default value; the ingress's metrics are off its public listener.
func TestComposePublishesOnlyTheIngressAndRequiresSecrets(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docker-compose.yml"))
	require.NoError(t, err)
	var doc struct {
		ServiceEnv map[string]string `yaml:"x-service-env"`
		Services   map[string]struct {
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(data, &doc))
	require.NotEmpty(t, doc.Services)

	public := 0
	for name, svc := range doc.Services {
		for _, p := range svc.Ports {
			switch {
			case strings.HasPrefix(p, "127.0.0.1:"):
			case name == "ingress" && p == "0.0.0.0:8080:8080":
				public++
			default:
				t.Errorf("service %s publishes %q beyond 127.0.0.1", name, p)
			}
		}
	}
	assert.Equal(t, 1, public, "the ingress is published on every interface")

	secretName := regexp.MustCompile(`(KEY|KEYS|SECRET|TOKEN|PASSWORD|PWD)$`)
	required := []string{"POLICY_API_KEY", "POLICY_WEBHOOK_SECRET", "OPS_API_TOKEN", "PAYLOAD_ENCRYPTION_KEYS", "POSTGRES_PASSWORD", "POSTGRES_PWD"}
	envs := []map[string]string{doc.ServiceEnv}
	for _, svc := range doc.Services {
		envs = append(envs, svc.Environment)
	}
	seen := map[string]bool{}
	for _, env := range envs {
		for k, v := range env {
			if !secretName.MatchString(k) {
				continue
			}
			seen[k] = true
			if strings.Contains(v, ":?") {
				continue
			}
			assert.NotContains(t, required, k, "%s must be required with ${%s:?…}", k, k)
			assert.True(t, strings.HasSuffix(v, ":-}"), "%s has a default value %q: a secret never does", k, v)
		}
	}
	for _, k := range required {
		assert.True(t, seen[k], "%s is set somewhere", k)
	}
	assert.NotEmpty(t, doc.Services["ingress"].Environment["INGRESS_METRICS_ADDR"], "ingress metrics on their own listener")
}
