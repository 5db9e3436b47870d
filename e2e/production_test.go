package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/testenv"
)

// Production mode (issue 21) through the real binaries: a wrong POLICY_ENVIRONMENT and each
// unsafe production setting stop the worker and the ingress before they dial Temporal, with
// one line naming the setting.
func TestProductionRefusalsStopStartUp(t *testing.T) {
	bin := testenv.Binaries(t)
	base := []string{"POLICY_ENVIRONMENT=production", "POLICY_API_KEY=t9k_live_key", "POLICY_WEBHOOK_SECRET=whsec_live",
		"OPS_API_TOKEN=" + strings.Repeat("o", 32), "PAYLOAD_ENCRYPTION_KEYS=" + testenv.PayloadKeys(),
		"TEMPORAL_API_KEY=temporal-cloud-key", "TEMPORAL_ADDRESS=127.0.0.1:1", "LOG_FORMAT=json"}
	cases := []struct {
		change  []string
		setting string
	}{
		{[]string{"POLICY_ENVIRONMENT=prod"}, "POLICY_ENVIRONMENT"},
		{[]string{"POLICY_API_URL=http://api.1099policy.com"}, "POLICY_API_URL"},
		{[]string{"WORKMARKET_API_URL=https://www.workmarket.com"}, "WORKMARKET_WEBHOOK_SECRET"},
		{[]string{"TEMPORAL_API_KEY="}, "TEMPORAL_API_KEY"},
		{[]string{"OPS_API_TOKEN=ops_stack_token"}, "OPS_API_TOKEN"},
		{[]string{"PAYLOAD_ENCRYPTION_KEYS="}, "PAYLOAD_ENCRYPTION_KEYS"},
		{[]string{"CODEC_LOCAL_UI_WITHOUT_TOKEN=true"}, "CODEC_LOCAL_UI_WITHOUT_TOKEN"},
		{[]string{"NOTIFY_WEBHOOK_URLS=http://hooks.example.com/x", "NOTIFY_WEBHOOK_SECRET=notify-secret"}, "NOTIFY_WEBHOOK_URLS"},
	}
	for _, binary := range []string{"starter", "worker"} {
		for _, tc := range cases {
			cmd := exec.Command(filepath.Join(bin, binary))
			cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, base...), tc.change...)
			var stderr bytes.Buffer
			cmd.Stderr, cmd.Stdout = &stderr, &stderr
			err := cmd.Run()
			require.Error(t, err, "%s with %v must not start", binary, tc.change)
			out := strings.TrimSpace(stderr.String())
			assert.NotContains(t, out, "\n", "%s %v: one line: %s", binary, tc.change, out)
			assert.Contains(t, out, tc.setting, "%s %v", binary, tc.change)
		}
	}
}
