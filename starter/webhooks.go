package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/all"
	"github.com/labstack/echo/v4"
)

// Webhook routes: a platform's or 1099Policy's event becomes a Temporal signal, answered 2xx
// only once Temporal durably holds it.

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
			ids, err := engagement.DeliverContractorUpdate(ctx, s.Temporal, ev)
			if err != nil {
				return temporalError(c, err)
			}
			if len(ids) == 0 {
				reasons = append(reasons, "no open engagement of contractor "+ev.ContractorID)
			}
			res.WorkflowIDs = append(res.WorkflowIDs, ids...)
			continue
		}
		outcome, err := engagement.DeliverPlatformEvent(ctx, s.Temporal, s.TaskQueue, ev)
		if err != nil {
			return temporalError(c, err)
		}
		res.WorkflowIDs = append(res.WorkflowIDs, engagement.WorkflowID(ev.Vendor, ev.EngagementID))
		if outcome == engagement.Closed {
			closed++
		}
	}
	switch {
	case len(res.WorkflowIDs) == 0:
		res.Reason = strings.Join(reasons, "; ")
	case closed == len(res.WorkflowIDs):
		res.Status, res.Reason = engagement.Closed, "the engagement has ended; nothing changed"
	default:
		res.Status = engagement.Accepted
	}
	c.Set("outcome", res.Status)
	c.Set("workflow_ids", res.WorkflowIDs)
	if ack, ok := adapter.(vendors.Acknowledger); ok { // the platform reads a fixed answer (JobDiva: true)
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, ack.WebhookAck())
	}
	return c.JSON(http.StatusOK, res)
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
	outcome, wid, err := engagement.DeliverPolicyEvent(ctx, s.Temporal, s.TaskQueue, ev)
	if err != nil {
		return temporalError(c, err)
	}
	res := answer{Status: outcome}
	if wid != "" {
		res.WorkflowIDs = []string{wid}
	}
	switch {
	case outcome == engagement.Ignored:
		res.Reason = "no engagement acts on " + ev.Type + "; nothing changed"
	case outcome == engagement.Closed:
		res.Reason = "the engagement has ended; nothing changed"
	case outcome == engagement.Duplicate:
		res.Reason = "this event was received before; nothing changed"
	case outcome == engagement.KeptForReplay:
		res.Reason = "no engagement matches it yet: kept by its routing workflow, retried every 10 minutes or on signal replay"
	case ev.Refetch:
		res.Reason = "the event is read from 1099Policy by its id before anything acts on it"
	case wid == engagement.PolicyEventWorkflowID(ev.EventID):
		res.Reason = "kept by its routing workflow until delivered to every engagement it concerns"
	}
	c.Set("outcome", res.Status)
	c.Set("workflow_ids", res.WorkflowIDs)
	return c.JSON(http.StatusOK, res)
}

// policyEventOf reads a 1099Policy webhook. With signature verification the body is checked
// and parsed; in refetch mode only the event id is taken from it (the event itself is read
// from 1099Policy by the routing workflow), so the signature is not needed.
func (s *Server) policyEventOf(c echo.Context, body []byte) (engagement.PolicyEvent, error) {
	if s.PolicyRefetch {
		id, err := pc.EventIDOf(body)
		if err != nil {
			return engagement.PolicyEvent{}, fail(http.StatusBadRequest, "%v", err)
		}
		return engagement.PolicyEvent{EventID: id, Refetch: true, Source: engagement.SourceWebhook}, nil
	}
	if err := s.PolicyVerify.Verify(c.Request().Header.Get(pc.HeaderSignature), body); err != nil {
		return engagement.PolicyEvent{}, signatureInvalid(c, err)
	}
	parsed, err := pc.ParseEvent(body)
	if err != nil {
		return engagement.PolicyEvent{}, fail(http.StatusBadRequest, "%v", err)
	}
	return engagement.PolicyEventFrom(parsed, engagement.SourceWebhook), nil
}
