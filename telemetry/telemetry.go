// Package telemetry sets up logging (zap, bridged into the Temporal SDK) and Prometheus
// metrics (the SDK's metrics through the tally contrib handler) for the worker and ingress.
package telemetry

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/coverage-orchestrator/coverage/redact"
)

// NewLogger returns a zap logger: JSON in production, console locally. Every line passes
// through redact.Writer (emails, URL queries and registered secrets removed), whoever wrote it:
// our code, the Temporal SDK (which logs every failed activity attempt with its error) or echo.
func NewLogger(format string) (*zap.Logger, error) {
	return newLogger(format, os.Stderr)
}

func newLogger(format string, out io.Writer) (*zap.Logger, error) {
	sink := zapcore.AddSync(redact.Writer(out))
	if format == "console" {
		cfg := zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(cfg.EncoderConfig), sink, zap.InfoLevel),
			zap.AddCaller(), zap.ErrorOutput(sink)), nil
	}
	cfg := zap.NewProductionConfig()
	cfg.EncoderConfig.TimeKey = "ts"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(cfg.EncoderConfig), sink, zap.InfoLevel),
		zap.AddCaller(), zap.AddStacktrace(zap.ErrorLevel), zap.ErrorOutput(sink)), nil
}

// TemporalLogger adapts zap to the SDK's log.Logger (workflow and activity logs then carry
// the workflow id, run id and activity fields the SDK adds).
type TemporalLogger struct{ z *zap.Logger }

// NewTemporalLogger wraps z.
func NewTemporalLogger(z *zap.Logger) *TemporalLogger {
	return &TemporalLogger{z: z.WithOptions(zap.AddCallerSkip(1))}
}

func fields(keyvals []any) []zap.Field {
	out := make([]zap.Field, 0, len(keyvals)/2)
	for i := 0; i+1 < len(keyvals); i += 2 {
		out = append(out, zap.Any(fmt.Sprint(keyvals[i]), keyvals[i+1]))
	}
	if len(keyvals)%2 == 1 {
		out = append(out, zap.Any("extra", keyvals[len(keyvals)-1]))
	}
	return out
}

// Debug implements log.Logger.
func (l *TemporalLogger) Debug(msg string, kv ...any) { l.z.Debug(msg, fields(kv)...) }

// Info implements log.Logger.
func (l *TemporalLogger) Info(msg string, kv ...any) { l.z.Info(msg, fields(kv)...) }

// Warn implements log.Logger. The SDK reports a failed workflow task (a panic, a
// non-determinism error, a command the server refused) as a warning and retries it forever:
// an engagement that never moves must not be a quiet line, so those are errors here (with the
// workflow id the SDK adds). The SDK counts them in temporal_workflow_task_execution_failed.
func (l *TemporalLogger) Warn(msg string, kv ...any) {
	if IsWorkflowTaskFailure(msg) {
		l.z.Error(msg, fields(kv)...)
		return
	}
	l.z.Warn(msg, fields(kv)...)
}

// workflowTaskFailures are the SDK's messages for a workflow task that failed.
var workflowTaskFailures = []string{"Failed to process workflow task", "Workflow task postprocess error", "Workflow task preprocess error"}

// IsWorkflowTaskFailure reports an SDK message about a failed workflow task.
func IsWorkflowTaskFailure(msg string) bool {
	for _, prefix := range workflowTaskFailures {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// Error implements log.Logger.
func (l *TemporalLogger) Error(msg string, kv ...any) { l.z.Error(msg, fields(kv)...) }

// With implements log.WithLogger.
func (l *TemporalLogger) With(kv ...any) log.Logger {
	return &TemporalLogger{z: l.z.With(fields(kv)...)}
}

// Metrics is a Prometheus registry with the SDK's metrics handler on it.
type Metrics struct {
	Registry *prometheus.Registry
	Handler  client.MetricsHandler
	closer   func() error
}

// NewMetrics creates the registry and the SDK metrics handler (prefix "temporal_").
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: reg})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		Prefix: "temporal", CachedReporter: reporter, Separator: tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return &Metrics{Registry: reg, Handler: sdktally.NewMetricsHandler(scope), closer: closer.Close}, nil
}

// HTTPHandler serves the registry.
func (m *Metrics) HTTPHandler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Close flushes the metrics scope.
func (m *Metrics) Close() error { return m.closer() }

// Runtime is what both binaries set up first: the logger, the metrics registry and the
// Temporal client options wired to both.
type Runtime struct {
	Logger        *zap.Logger
	Metrics       *Metrics
	ClientOptions client.Options
}

// Start builds the Runtime from the log format and the Temporal client options.
func Start(logFormat string, opts client.Options) (*Runtime, error) {
	logger, err := NewLogger(logFormat)
	if err != nil {
		return nil, err
	}
	metrics, err := NewMetrics()
	if err != nil {
		return nil, err
	}
	opts.Logger, opts.MetricsHandler = NewTemporalLogger(logger), metrics.Handler
	zap.ReplaceGlobals(logger) // for code without a logger of its own (outside activities)
	return &Runtime{Logger: logger, Metrics: metrics, ClientOptions: opts}, nil
}

// Close flushes logs and metrics.
func (r *Runtime) Close() {
	_ = r.Logger.Sync()
	_ = r.Metrics.Close()
}
