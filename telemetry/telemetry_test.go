package telemetry

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coverage-orchestrator/coverage/redact"
)

// The SDK's own message for a failed workflow task (internal_task_pollers.go) comes out at
// error level with its workflow id; other warnings stay warnings.
func TestWorkflowTaskFailuresAreErrors(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := NewTemporalLogger(zap.New(core))
	l.Warn("Failed to process workflow task.", "WorkflowID", "engagement:remote:ct_1", "Error", "BadSearchAttributes")
	l.Warn("Workflow task postprocess error: payload too large", "WorkflowID", "engagement:remote:ct_2")
	l.Warn("activity heartbeat late")
	entries := logs.All()
	assert.Len(t, entries, 3)
	assert.Equal(t, zapcore.ErrorLevel, entries[0].Level)
	assert.Equal(t, "engagement:remote:ct_1", entries[0].ContextMap()["WorkflowID"])
	assert.Equal(t, zapcore.ErrorLevel, entries[1].Level)
	assert.Equal(t, zapcore.WarnLevel, entries[2].Level)
}

func TestLoggerRedactsEveryLine(t *testing.T) {
	redact.Register("logger-secret-77")
	for _, format := range []string{"json", "console"} {
		var buf bytes.Buffer
		z, err := newLogger(format, &buf)
		require.NoError(t, err)
		NewTemporalLogger(z).Warn("Activity error.", "Error", fmt.Errorf(`Get "https://x.example/a?token=logger-secret-77": EOF`),
			"Reason", "refused ada%40example.com and ada@example.com")
		out := buf.String()
		require.Contains(t, out, "Activity error.")
		for _, leak := range []string{"logger-secret-77", "ada", "token="} {
			assert.NotContains(t, out, leak, format)
		}
	}
}
