package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"strings"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/labstack/echo/v4"

	"github.com/coverage-orchestrator/coverage/activities"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// MaxCertificate is the largest certificate 1099Policy takes.
const MaxCertificate = 15 << 20

// answerUpdate maps an Update's outcome to the operator API's answer.
func answerUpdate(c echo.Context, vendor, id string, st engagement.Status, err error) error {
	var refused *engagement.ActionRefusedError
	switch {
	case errors.As(err, &refused):
		return fail(http.StatusConflict, "%s", refused.Reason)
	case errors.Is(err, engagement.ErrUnknownEngagement):
		return fail(http.StatusNotFound, "no engagement %s/%s", vendor, id)
	case err != nil:
		return temporalError(c, err)
	}
	return c.JSON(http.StatusOK, st)
}

// contractorDetails supplies the contractor details a platform lacks; a parked engagement
// resumes with them.
func (s *Server) contractorDetails(c echo.Context) error {
	vendor, id := c.Param("vendor"), c.Param("id")
	if !s.knownVendor(vendor) {
		return fail(http.StatusNotFound, "unknown platform %q", vendor)
	}
	data, err := readBody(c)
	if err != nil {
		return err
	}
	var d engagement.ContractorDetails
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return fail(http.StatusBadRequest, `body must be JSON like {"phone": "…", "address": {"line1", "locality", "region", "postalcode", "country"}, "email": "…"}: %v`, err)
	}
	if field := invalidDetail(d); field != "" {
		return fail(http.StatusBadRequest, "field %q is not valid", field)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), operatorTimeout)
	defer cancel()
	wid := engagement.WorkflowID(vendor, id)
	c.Set("workflow_ids", []string{wid})
	st, err := engagement.SupplyContractorDetails(ctx, s.Temporal, wid, c.Request().Header.Get("Idempotency-Key"), d)
	return answerUpdate(c, vendor, id, st, err)
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

// certificateIntake takes a certificate (multipart field certificate, a PDF of at most 15 MB)
// for an engagement on any platform. The ingress uploads it to 1099Policy (under a key derived
// from the engagement and the file, so a resent request makes no second certificate) and hands
// the certificate to the engagement's workflow, which follows its review like a platform
// document's: a 15 MB file cannot travel in a Temporal payload.
func (s *Server) certificateIntake(c echo.Context) error {
	vendor, id := c.Param("vendor"), c.Param("id")
	if !s.knownVendor(vendor) {
		return fail(http.StatusNotFound, "unknown platform %q", vendor)
	}
	if s.Policy == nil {
		return fail(http.StatusServiceUnavailable, "certificate intake is not configured")
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, MaxCertificate+1<<20)
	fh, err := c.FormFile("certificate")
	if err != nil {
		return fail(http.StatusBadRequest, `multipart field "certificate" (a PDF of at most 15 MB) is missing: %v`, err)
	}
	if fh.Size > MaxCertificate {
		return fail(http.StatusRequestEntityTooLarge, "the certificate is larger than 15 MB")
	}
	f, err := fh.Open()
	if err != nil {
		return fail(http.StatusBadRequest, "the certificate could not be read")
	}
	pdf, err := io.ReadAll(io.LimitReader(f, MaxCertificate+1))
	f.Close()
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		return fail(http.StatusBadRequest, `field "certificate" must be a PDF`)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), operatorTimeout)
	defer cancel()
	wid := engagement.WorkflowID(vendor, id)
	c.Set("workflow_ids", []string{wid})
	st, found, err := engagement.QueryEngagement(ctx, s.Temporal, vendor, id)
	switch {
	case err != nil:
		return temporalError(c, err)
	case !found:
		return fail(http.StatusNotFound, "no engagement %s/%s", vendor, id)
	case st.CoverageStatus == engagement.StatusEnded || st.CoverageStatus == engagement.StatusCanceled:
		return fail(http.StatusConflict, "the engagement has ended")
	case st.Policy.ContractorID == "":
		return fail(http.StatusConflict, "the contractor is not set up in 1099Policy yet; try again once the engagement is past PENDING")
	}
	sum := sha256.Sum256(pdf)
	key := wid + "/intake/" + hex.EncodeToString(sum[:8])
	meta := pc.Metadata{activities.EngagementKeyField: wid, activities.IdempotencyKeyField: key}
	maps.Copy(meta, st.Metadata.Certificate)
	cert, err := s.Policy.UploadCertificate(ctx, key, pc.CertificateUpload{Contractor: st.Policy.ContractorID, FileName: fh.Filename,
		File: bytes.NewReader(pdf), CustomMetadata: meta})
	if err != nil {
		if pe, ok := pc.AsError(err); ok && !pe.Retryable {
			return fail(http.StatusBadRequest, "1099Policy refused the certificate: %s", pe.Code)
		}
		c.Set("error", err.Error())
		return fail(http.StatusServiceUnavailable, "1099Policy is unavailable; retry later")
	}
	st, err = engagement.HandOverCertificate(ctx, s.Temporal, wid, c.Request().Header.Get("Idempotency-Key"),
		engagement.CertificateUploaded{CertificateID: cert.ID})
	return answerUpdate(c, vendor, id, st, err)
}
