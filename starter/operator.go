package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/labstack/echo/v4"
)

// The operator API: read engagements, and act on them through the engagement's Updates.

func joinStatuses(list []engagement.CoverageStatus) string {
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
	st, found, err := engagement.QueryEngagement(ctx, s.Temporal, vendor, id)
	if err != nil {
		return temporalError(c, err)
	}
	if !found {
		return fail(http.StatusNotFound, "no engagement %s/%s", vendor, id)
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) listEngagements(c echo.Context) error {
	query := engagement.Engagements()
	if st := c.QueryParam("status"); st != "" {
		if !slices.Contains(engagement.CoverageStatuses, engagement.CoverageStatus(st)) {
			return fail(http.StatusBadRequest, "status %q is not one of %s", st, joinStatuses(engagement.CoverageStatuses))
		}
		query = query.Where(engagement.KeyCoverageStatus, st)
	}
	if v := c.QueryParam("vendor"); v != "" {
		if !s.knownVendor(v) {
			return fail(http.StatusBadRequest, "vendor %q is not one of %s", v, strings.Join(config.Vendors, ", "))
		}
		query = query.Where(engagement.KeyVendor, v)
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
	page, err := engagement.List(ctx, s.Temporal, query, size, token)
	if err != nil {
		return temporalError(c, err)
	}
	return c.JSON(http.StatusOK, struct {
		Engagements   []engagement.Summary `json:"engagements"`
		NextPageToken string               `json:"next_page_token"`
	}{Engagements: page.Engagements, NextPageToken: base64.RawURLEncoding.EncodeToString(page.NextPageToken)})
}

var operatorPaths = map[string]string{
	"retry": engagement.ActionRetry, "resend-session": engagement.ActionResendSession,
	"approve-certificate": engagement.ActionApproveCertificate, "reject-certificate": engagement.ActionRejectCertificate,
	"end": engagement.ActionEnd,
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
	op := engagement.OperatorAction{Action: action, RequestID: c.Request().Header.Get("Idempotency-Key"), Note: body.Note}
	ctx, cancel := context.WithTimeout(c.Request().Context(), operatorTimeout)
	defer cancel()
	wid := engagement.WorkflowID(vendor, id)
	c.Set("workflow_ids", []string{wid})
	st, err := engagement.ApplyOperatorAction(ctx, s.Temporal, wid, op)
	c.Set("outcome", action)
	return answerUpdate(c, vendor, id, st, err)
}

// operatorTimeout bounds an operator action: it waits for the change to take effect (an end
// cancels or moves the assignment first).
const operatorTimeout = 30 * time.Second
