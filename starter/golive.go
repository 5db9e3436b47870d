package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors/all"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/labstack/echo/v4"
)

// Going live: enrollment of one engagement by its platform id, and backfill of a platform.

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
	enroll := engagement.Enroll
	if c.QueryParam("reopen") == "true" { // the operator enrolls again an engagement closed by mistake
		enroll = engagement.Reopen
	}
	outcome, err := enroll(ctx, s.Temporal, s.TaskQueue, vendor, id, refs)
	if err != nil {
		return temporalError(c, err)
	}
	wid := engagement.WorkflowID(vendor, id)
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
	wid, err := engagement.StartBackfill(ctx, s.Temporal, s.TaskQueue, engagement.BackfillInput{Vendor: vendor, IDs: body.ContractIDs}, requestID)
	if err != nil {
		return temporalError(c, err)
	}
	c.Set("workflow_ids", []string{wid})
	return c.JSON(http.StatusAccepted, enrollAnswer{Status: engagement.Accepted, WorkflowID: wid})
}
