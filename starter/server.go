package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/console"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// MaxBody is the largest webhook body accepted (413 beyond it).
const MaxBody = 1 << 20

// temporalTimeout bounds each Temporal call of a request: past it the answer is 503 and the
// sender retries.
const temporalTimeout = 5 * time.Second

// Server is the ingress: webhook routes, the operator API and health endpoints.
type Server struct {
	Temporal     client.Client
	TaskQueue    string
	Adapters     vendors.Registry
	PolicyVerify pc.Verifier
	// PolicyRefetch (POLICY_WEBHOOK_VERIFY=refetch) takes only the event id from a 1099Policy
	// webhook; the worker reads the event itself from 1099Policy.
	PolicyRefetch bool
	// Policy uploads certificates an operator hands in (nil: intake answers 503).
	Policy   *pc.Client
	Codec    CodecServer
	OpsToken string
	// Limits throttles failed and unauthenticated requests per source address (nil: none).
	Limits      *SourceLimiter
	Logger      *zap.Logger
	Registry    *prometheus.Registry
	MetricsHTTP http.Handler
	// MetricsOwnListener serves /metrics only on INGRESS_METRICS_ADDR, not beside the webhooks.
	MetricsOwnListener bool
	requests           *prometheus.CounterVec
	ackLatency         *prometheus.HistogramVec
	// openEngagements is refreshed from visibility by RefreshGauges.
	openEngagements *prometheus.GaugeVec
	echo            *echo.Echo
	// Console is the operations console's configuration (nil: off, CONSOLE_ENABLED unset).
	Console *console.Config
	// ops are the reads and Updates the operator API and the console share.
	ops *operations
}

// Handler builds the routes; call once.
func (s *Server) Handler() http.Handler {
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ingress_requests_total",
		Help: "Requests by route, platform and outcome."}, []string{"route", "platform", "outcome"})
	s.ackLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ingress_ack_seconds",
		Help: "Time from a webhook's arrival to its answer.", Buckets: prometheus.DefBuckets}, []string{"route", "platform"})
	s.openEngagements = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "coverage_open_engagements",
		Help: "Running engagements by coverage status and platform, counted in Temporal visibility (every replica agrees)."},
		[]string{"coverage_status", "vendor"})
	s.Registry.MustRegister(s.requests, s.ackLatency, s.openEngagements)

	s.ops = &operations{temporal: s.Temporal, policy: s.Policy}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.observe, s.recoverPanics(), s.limitUnauthenticated, s.capBodies)
	e.POST(policyWebhookRoute, s.policyWebhook)
	e.POST("/webhooks/:vendor", s.platformWebhook)
	ops := e.Group("/v1", s.requireOpsToken, s.checkPathID)
	ops.GET("/engagements", s.listEngagements)
	ops.GET("/engagements/:vendor/:id", s.getEngagement)
	ops.POST("/engagements/:vendor/:id/actions/:action", s.operatorAction)
	ops.POST("/engagements/:vendor/:id", s.enroll)
	ops.PUT("/engagements/:vendor/:id/contractor", s.contractorDetails)
	ops.POST(strings.TrimPrefix(certificatesRoute, "/v1"), s.certificateIntake)
	ops.POST("/backfill/:vendor", s.backfill)
	if s.Codec.Codec != nil {
		s.Codec.handler = converter.NewPayloadCodecHTTPHandler(s.Codec.Codec)
	}
	e.Match([]string{http.MethodPost, http.MethodOptions}, codecRoutePath, s.codecRoute)
	if s.Console != nil {
		ui := console.New(*s.Console, s.ops)
		e.Any(console.Prefix+"*", echo.WrapHandler(ui))
		e.GET(strings.TrimSuffix(console.Prefix, "/"), echo.WrapHandler(ui))
	}
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.ready)
	if !s.MetricsOwnListener {
		e.GET("/metrics", echo.WrapHandler(s.MetricsHTTP))
	}
	return e
}

// answer is every JSON answer of the ingress.
type answer struct {
	Status      string   `json:"status,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Error       string   `json:"error,omitempty"`
	WorkflowIDs []string `json:"workflow_ids,omitempty"`
}

// fail is an error answer with a status code.
func fail(code int, format string, args ...any) error {
	return echo.NewHTTPError(code, fmt.Sprintf(format, args...))
}

func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code, msg = he.Code, fmt.Sprint(he.Message)
	}
	c.Set("outcome", strconv.Itoa(code))
	if code >= 500 {
		c.Set("error", err.Error())
	}
	_ = c.JSON(code, answer{Error: msg})
}

// observe logs each request (no bodies, no personal data) and counts it.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route, platform := c.Path(), metricPlatform(c.Param("vendor"))
		if route == policyWebhookRoute {
			platform = policyPlatform
		}
		outcome, _ := c.Get("outcome").(string)
		if outcome == "" {
			outcome = strconv.Itoa(c.Response().Status)
		}
		elapsed := time.Since(start)
		s.requests.WithLabelValues(route, platform, outcome).Inc()
		if strings.HasPrefix(route, "/webhooks/") {
			s.ackLatency.WithLabelValues(route, platform).Observe(elapsed.Seconds())
		}
		fields := []zap.Field{zap.String("method", c.Request().Method), zap.String("route", route), zap.String("platform", platform),
			zap.Int("status", c.Response().Status), zap.String("outcome", outcome), zap.Duration("latency", elapsed)}
		if ids, ok := c.Get("workflow_ids").([]string); ok {
			fields = append(fields, zap.Strings("workflow_ids", ids))
		}
		if e, ok := c.Get("error").(string); ok {
			fields = append(fields, zap.String("error", e))
		}
		s.Logger.Info("request", fields...)
		return nil
	}
}

// readBody reads at most MaxBody bytes; a larger body is 413.
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBody+1))
	if err != nil {
		return nil, fail(http.StatusBadRequest, "body could not be read: %v", err)
	}
	if len(body) > MaxBody {
		return nil, fail(http.StatusRequestEntityTooLarge, "body is larger than 1 MiB")
	}
	return body, nil
}

// temporalError turns a Temporal failure into 503, so the sender retries.
func temporalError(c echo.Context, err error) error {
	c.Set("error", err.Error())
	return fail(http.StatusServiceUnavailable, "Temporal is unavailable; retry later")
}

func (s *Server) requireOpsToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.hasOpsToken(c) {
			return fail(http.StatusUnauthorized, "operator routes need Authorization: Bearer <OPS_API_TOKEN>")
		}
		return next(c)
	}
}

func (s *Server) hasOpsToken(c echo.Context) bool {
	tok, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	return ok && s.OpsToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.OpsToken)) == 1
}

func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		c.Set("error", err.Error())
		return fail(http.StatusServiceUnavailable, "Temporal is not reachable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
