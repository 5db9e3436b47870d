package main

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/config"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/all"
	"github.com/coverage-orchestrator/coverage/workflows"
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

func (s *Server) platformWebhook(c echo.Context) error {
	adapter, err := s.Adapters.Get(c.Param("vendor"))
	if err != nil {
		return fail(http.StatusNotFound, "platform %q is not enabled", c.Param("vendor"))
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if err := adapter.VerifyWebhook(c.Request().Header, body); err != nil {
		return signatureInvalid(c, err)
	}
	events, err := adapter.ParseWebhook(c.Request().Header, body)
	if err != nil {
		var pe *vendors.ParseError
		if errors.As(err, &pe) {
			return fail(http.StatusBadRequest, "malformed %s webhook: %v", adapter.Vendor(), pe)
		}
		return fail(http.StatusBadRequest, "malformed %s webhook: %v", adapter.Vendor(), err)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	res := answer{Status: "ignored"}
	var reasons []string
	closed := 0
	for _, ev := range events {
		if ev.EngagementID != "" {
			if err := all.CheckEngagementID(adapter.Vendor(), ev.EngagementID); err != nil {
				return fail(http.StatusBadRequest, "malformed %s webhook: %v", adapter.Vendor(), err)
			}
		}
		if ev.Kind == vendors.KindIgnore {
			reasons = append(reasons, ev.Reason)
			continue
		}
		if ev.Kind == vendors.KindContractorUpdate && ev.EngagementID == "" {
			ids, err := workflows.DeliverContractorUpdate(ctx, s.Temporal, ev)
			if err != nil {
				return temporalError(c, err)
			}
			if len(ids) == 0 {
				reasons = append(reasons, "no open engagement of contractor "+ev.ContractorID)
			}
			res.WorkflowIDs = append(res.WorkflowIDs, ids...)
			continue
		}
		outcome, err := workflows.DeliverPlatformEvent(ctx, s.Temporal, s.TaskQueue, ev)
		if err != nil {
			return temporalError(c, err)
		}
		res.WorkflowIDs = append(res.WorkflowIDs, workflows.EngagementWorkflowID(ev.Vendor, ev.EngagementID))
		if outcome == workflows.Closed {
			closed++
		}
	}
	switch {
	case len(res.WorkflowIDs) == 0:
		res.Reason = strings.Join(reasons, "; ")
	case closed == len(res.WorkflowIDs):
		res.Status, res.Reason = workflows.Closed, "the engagement has ended; nothing changed"
	default:
		res.Status = workflows.Accepted
	}
	c.Set("outcome", res.Status)
	c.Set("workflow_ids", res.WorkflowIDs)
	if ack, ok := adapter.(vendors.Acknowledger); ok { // the platform reads a fixed answer (JobDiva: true)
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, ack.WebhookAck())
	}
	return c.JSON(http.StatusOK, res)
}

// enrollAnswer is the enrollment route's answer.
type enrollAnswer struct {
	Status     string `json:"status"`
	WorkflowID string `json:"workflow_id"`
}

// enroll starts coverage for one engagement by its platform id (JobDiva: with its candidate
// and job ids in the body, since its start lookup needs them).
func (s *Server) enroll(c echo.Context) error {
	vendor, id := c.Param("vendor"), c.Param("id")
	adapter, err := s.Adapters.Get(vendor)
	if err != nil {
		return fail(http.StatusNotFound, "platform %q is not enabled", vendor)
	}
	var body map[string]json.RawMessage
	if err := readOptionalJSON(c, &body, `{"candidate_id": "456", "job_id": "123"}`); err != nil {
		return err
	}
	var refs map[string]string
	if rf, ok := adapter.(vendors.RefFetcher); ok { // records read by more than their id (JobDiva)
		refs = map[string]string{}
		for _, name := range rf.RequiredRefs() {
			if refs[name] = idText(body[name]); refs[name] == "" {
				return fail(http.StatusBadRequest, "field %q: missing (%s reads an engagement by %s)", name, vendor, strings.Join(rf.RequiredRefs(), " and "))
			}
		}
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	enroll := workflows.Enroll
	if c.QueryParam("reopen") == "true" { // the operator enrolls again an engagement closed by mistake
		enroll = workflows.Reopen
	}
	outcome, err := enroll(ctx, s.Temporal, s.TaskQueue, vendor, id, refs)
	if err != nil {
		return temporalError(c, err)
	}
	wid := workflows.EngagementWorkflowID(vendor, id)
	c.Set("outcome", outcome)
	c.Set("workflow_ids", []string{wid})
	return c.JSON(http.StatusOK, enrollAnswer{Status: outcome, WorkflowID: wid})
}

// readOptionalJSON decodes a body when there is one; a malformed one is 400 with an example.
func readOptionalJSON(c echo.Context, v any, example string) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	data, err := readBody(c)
	if err != nil {
		return err
	}
	if len(data) > 0 && json.Unmarshal(data, v) != nil {
		return fail(http.StatusBadRequest, "body must be JSON like %s", example)
	}
	return nil
}

// idText reads an id given as a JSON string or number.
func idText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// backfill starts the backfill workflow of a platform (Upwork: body {"contract_ids": [...]}).
func (s *Server) backfill(c echo.Context) error {
	vendor := c.Param("vendor")
	adapter, err := s.Adapters.Get(vendor)
	if err != nil {
		return fail(http.StatusNotFound, "platform %q is not enabled", vendor)
	}
	var body struct {
		ContractIDs []string `json:"contract_ids"`
	}
	if err := readOptionalJSON(c, &body, `{"contract_ids": ["41815410"]}`); err != nil {
		return err
	}
	if _, lists := adapter.(vendors.Lister); !lists && len(body.ContractIDs) == 0 {
		return fail(http.StatusBadRequest, `field "contract_ids": missing (%s offers no listing of its engagements)`, vendor)
	}
	if len(body.ContractIDs) > MaxBackfillIDs {
		return fail(http.StatusBadRequest, `field "contract_ids": %d ids; at most %d per request`, len(body.ContractIDs), MaxBackfillIDs)
	}
	for _, id := range body.ContractIDs {
		if err := all.CheckEngagementID(vendor, id); err != nil {
			return fail(http.StatusBadRequest, `field "contract_ids": %v`, err)
		}
	}
	requestID := c.Request().Header.Get("Idempotency-Key")
	if requestID == "" {
		requestID = time.Now().UTC().Format("20060102T150405.000000000Z")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	wid, err := workflows.StartBackfill(ctx, s.Temporal, s.TaskQueue, workflows.BackfillInput{Vendor: vendor, IDs: body.ContractIDs}, requestID)
	if err != nil {
		return temporalError(c, err)
	}
	c.Set("workflow_ids", []string{wid})
	return c.JSON(http.StatusAccepted, enrollAnswer{Status: workflows.Accepted, WorkflowID: wid})
}

func (s *Server) policyWebhook(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	ev, err := s.policyEventOf(c, body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	outcome, wid, err := workflows.DeliverPolicyEvent(ctx, s.Temporal, s.TaskQueue, ev)
	if err != nil {
		return temporalError(c, err)
	}
	res := answer{Status: outcome}
	if wid != "" {
		res.WorkflowIDs = []string{wid}
	}
	switch {
	case outcome == workflows.Ignored:
		res.Reason = "no engagement acts on " + ev.Type + "; nothing changed"
	case outcome == workflows.Closed:
		res.Reason = "the engagement has ended; nothing changed"
	case outcome == workflows.Duplicate:
		res.Reason = "this event was received before; nothing changed"
	case outcome == workflows.KeptForReplay:
		res.Reason = "no engagement matches it yet: kept by its routing workflow, retried every 10 minutes or on signal replay"
	case ev.Refetch:
		res.Reason = "the event is read from 1099Policy by its id before anything acts on it"
	case wid == workflows.PolicyEventWorkflowID(ev.EventID):
		res.Reason = "kept by its routing workflow until delivered to every engagement it concerns"
	}
	c.Set("outcome", res.Status)
	c.Set("workflow_ids", res.WorkflowIDs)
	return c.JSON(http.StatusOK, res)
}

// policyEventOf reads a 1099Policy webhook. With signature verification the body is checked
// and parsed; in refetch mode only the event id is taken from it (the event itself is read
// from 1099Policy by the routing workflow), so the signature is not needed.
func (s *Server) policyEventOf(c echo.Context, body []byte) (workflows.PolicyEvent, error) {
	if s.PolicyRefetch {
		id, err := pc.EventIDOf(body)
		if err != nil {
			return workflows.PolicyEvent{}, fail(http.StatusBadRequest, "%v", err)
		}
		return workflows.PolicyEvent{EventID: id, Refetch: true, Source: activities.SourceWebhook}, nil
	}
	if err := s.PolicyVerify.Verify(c.Request().Header.Get(pc.HeaderSignature), body); err != nil {
		return workflows.PolicyEvent{}, signatureInvalid(c, err)
	}
	parsed, err := pc.ParseEvent(body)
	if err != nil {
		return workflows.PolicyEvent{}, fail(http.StatusBadRequest, "%v", err)
	}
	return activities.PolicyEventFrom(parsed, activities.SourceWebhook), nil
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

func (s *Server) knownVendor(v string) bool {
	return slices.Contains(config.Vendors, v)
}

func joinStatuses(list []workflows.CoverageStatus) string {
	out := make([]string, len(list))
	for i, st := range list {
		out[i] = string(st)
	}
	return strings.Join(out, ", ")
}

func (s *Server) getEngagement(c echo.Context) error {
	vendor, id := c.Param("vendor"), c.Param("id")
	if !s.knownVendor(vendor) {
		return fail(http.StatusNotFound, "unknown platform %q", vendor)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	st, found, err := workflows.QueryEngagement(ctx, s.Temporal, vendor, id)
	if err != nil {
		return temporalError(c, err)
	}
	if !found {
		return fail(http.StatusNotFound, "no engagement %s/%s", vendor, id)
	}
	return c.JSON(http.StatusOK, st)
}

// listItem is one engagement of the list route.
type listItem struct {
	WorkflowID        string `json:"workflow_id"`
	Vendor            string `json:"vendor"`
	EngagementID      string `json:"engagement_id"`
	CoverageStatus    string `json:"coverage_status"`
	CertificateStatus string `json:"certificate_status"`
}

func (s *Server) listEngagements(c echo.Context) error {
	query := []string{"WorkflowType = 'EngagementWorkflow'"}
	if st := c.QueryParam("status"); st != "" {
		if !slices.Contains(workflows.CoverageStatuses, workflows.CoverageStatus(st)) {
			return fail(http.StatusBadRequest, "status %q is not one of %s", st, joinStatuses(workflows.CoverageStatuses))
		}
		query = append(query, "CoverageStatus = '"+st+"'")
	}
	if v := c.QueryParam("vendor"); v != "" {
		if !s.knownVendor(v) {
			return fail(http.StatusBadRequest, "vendor %q is not one of %s", v, strings.Join(config.Vendors, ", "))
		}
		query = append(query, "Vendor = '"+v+"'")
	}
	size := 50
	if v := c.QueryParam("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fail(http.StatusBadRequest, "page_size must be a number from 1 to 1000")
		}
		size = n
	}
	token, err := base64.RawURLEncoding.DecodeString(c.QueryParam("page_token"))
	if err != nil {
		return fail(http.StatusBadRequest, "page_token is not a token this service gave out")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: strings.Join(query, " AND "), PageSize: int32(size), NextPageToken: token})
	if err != nil {
		return temporalError(c, err)
	}
	out := struct {
		Engagements   []listItem `json:"engagements"`
		NextPageToken string     `json:"next_page_token"`
	}{Engagements: []listItem{}, NextPageToken: base64.RawURLEncoding.EncodeToString(resp.NextPageToken)}
	dc := converter.GetDefaultDataConverter()
	for _, ex := range resp.Executions {
		item := listItem{WorkflowID: ex.GetExecution().GetWorkflowId()}
		item.Vendor, item.EngagementID, _ = workflows.ParseEngagementWorkflowID(item.WorkflowID)
		fieldsOf := ex.GetSearchAttributes().GetIndexedFields()
		_ = dc.FromPayload(fieldsOf["CoverageStatus"], &item.CoverageStatus)
		_ = dc.FromPayload(fieldsOf["CertificateStatus"], &item.CertificateStatus)
		out.Engagements = append(out.Engagements, item)
	}
	return c.JSON(http.StatusOK, out)
}

var operatorPaths = map[string]string{
	"retry": workflows.ActionRetry, "resend-session": workflows.ActionResendSession,
	"approve-certificate": workflows.ActionApproveCertificate, "reject-certificate": workflows.ActionRejectCertificate,
	"end": workflows.ActionEnd,
}

// operatorAction runs an action as an Update: 200 with the status after it took effect, 409
// with the reason when it does not apply, 404 for an unknown engagement or action.
func (s *Server) operatorAction(c echo.Context) error {
	vendor, id := c.Param("vendor"), c.Param("id")
	action, ok := operatorPaths[c.Param("action")]
	if !ok {
		return fail(http.StatusNotFound, "unknown action %q: one of retry, resend-session, approve-certificate, reject-certificate, end", c.Param("action"))
	}
	if !s.knownVendor(vendor) {
		return fail(http.StatusNotFound, "unknown platform %q", vendor)
	}
	var body struct {
		Note string `json:"note"`
	}
	if c.Request().ContentLength != 0 {
		if err := c.Bind(&body); err != nil {
			return fail(http.StatusBadRequest, "body must be JSON like {\"note\": \"…\"}")
		}
	}
	op := workflows.OperatorAction{Action: action, RequestID: c.Request().Header.Get("Idempotency-Key"), Note: body.Note}
	ctx, cancel := context.WithTimeout(c.Request().Context(), operatorTimeout)
	defer cancel()
	wid := workflows.EngagementWorkflowID(vendor, id)
	c.Set("workflow_ids", []string{wid})
	st, err := workflows.ApplyOperatorAction(ctx, s.Temporal, wid, op)
	c.Set("outcome", action)
	return answerUpdate(c, vendor, id, st, err)
}

// operatorTimeout bounds an operator action: it waits for the change to take effect (an end
// cancels or moves the assignment first).
const operatorTimeout = 30 * time.Second

func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		c.Set("error", err.Error())
		return fail(http.StatusServiceUnavailable, "Temporal is not reachable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
