package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/labstack/echo/v4"

	"github.com/coverage-orchestrator/coverage/console"
)

// answerUpdate answers an operator Update: 200 with the status after it took effect, or the
// operations' refusal.
func answerUpdate(c echo.Context, st engagement.Status, err error) error {
	if err != nil {
		return operationError(c, err)
	}
	return c.JSON(http.StatusOK, st)
}

// contractorDetails supplies the contractor details a platform lacks; a parked engagement
// resumes with them.
func (s *Server) contractorDetails(c echo.Context) error {
	vendor, id := c.Param("vendor"), c.Param("id")
	if err := checkVendor(vendor); err != nil {
		return err
	}
	data, err := readBody(c)
	if err != nil {
		return err
	}
	var d engagement.ContractorDetails
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(&d)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF { // one object, nothing after it (was silently dropped)
		err = errors.New("data after the object")
	}
	if err != nil {
		return fail(http.StatusBadRequest, `body must be JSON like {"phone": "…", "address": {"line1", "locality", "region", "postalcode", "country"}, "email": "…"}: %v`, err)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), operatorTimeout)
	defer cancel()
	c.Set("workflow_ids", []string{engagement.WorkflowID(vendor, id)})
	st, err := s.ops.SupplyDetails(ctx, vendor, id, c.Request().Header.Get("Idempotency-Key"), d)
	return answerUpdate(c, st, err)
}

// invalidDetail names the first field that cannot be right ("" when all can).
func invalidDetail(d engagement.ContractorDetails) string {
	switch {
	case d.Email != "" && (!strings.Contains(d.Email, "@") || strings.ContainsAny(d.Email, " \t\r\n")):
		return "email"
	case d.Phone != "" && strings.Trim(d.Phone, "+0123456789 ()-.") != "":
		return "phone"
	}
	if a := d.Address; a != nil {
		switch {
		case a.Region != "" && len(a.Region) != 2:
			return "address.region"
		case a.Country != "" && len(a.Country) != 2:
			return "address.country"
		}
	}
	return ""
}

// certificateIntake takes a certificate (multipart field certificate, a PDF of at most 15 MB;
// an optional field note) for an engagement on any platform and hands it in (operations).
func (s *Server) certificateIntake(c echo.Context) error {
	vendor, id := c.Param("vendor"), c.Param("id")
	if err := checkVendor(vendor); err != nil {
		return err
	}
	cert, err := console.ReadCertificate(c.Response(), c.Request())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), operatorTimeout)
	defer cancel()
	c.Set("workflow_ids", []string{engagement.WorkflowID(vendor, id)})
	st, err := s.ops.HandInCertificate(ctx, vendor, id, c.Request().Header.Get("Idempotency-Key"), cert)
	return answerUpdate(c, st, err)
}
