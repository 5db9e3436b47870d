package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/console"
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
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	st, err := s.ops.Status(ctx, c.Param("vendor"), c.Param("id"))
	if err != nil {
		return operationError(c, err)
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) listEngagements(c echo.Context) error {
	q := console.ListQuery{Status: c.QueryParam("status"), Vendor: c.QueryParam("vendor"), PageToken: c.QueryParam("page_token")}
	if v := c.QueryParam("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fail(http.StatusBadRequest, "page_size must be a number from 1 to 1000")
		}
		q.PageSize = n
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), temporalTimeout)
	defer cancel()
	page, err := s.ops.List(ctx, q)
	if err != nil {
		return operationError(c, err)
	}
	return c.JSON(http.StatusOK, page)
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
	if err := checkVendor(vendor); err != nil {
		return err
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
	st, err := s.ops.Act(ctx, vendor, id, op)
	c.Set("outcome", action)
	return answerUpdate(c, st, err)
}

// operatorTimeout bounds an operator action: it waits for the change to take effect (an end
// cancels or moves the assignment first).
const operatorTimeout = 30 * time.Second
