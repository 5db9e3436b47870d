package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/coverage-orchestrator/coverage/activities"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/console"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// operations are the operator API's reads and Updates, shared with the console: one code path
// for both. Failures are *echo.HTTPError with the operator API's status code.
type operations struct {
	temporal client.Client
	policy   *pc.Client // nil: certificate intake answers 503
}

var _ console.Operations = (*operations)(nil)

// unavailable is a Temporal (or 1099Policy) failure: 503, so the caller retries.
func unavailable(what string, err error) error {
	return echo.NewHTTPError(http.StatusServiceUnavailable, what+" is unavailable; retry later").SetInternal(err)
}

func checkVendor(vendor string) error {
	if !slices.Contains(config.Vendors, vendor) {
		return fail(http.StatusNotFound, "unknown platform %q", vendor)
	}
	return nil
}

// visibilityQuery turns a ListQuery into a visibility query; a bad value is 400.
func visibilityQuery(q console.ListQuery) (engagement.Query, error) {
	query := engagement.Engagements()
	if st := q.Status; st != "" {
		if !slices.Contains(engagement.CoverageStatuses, engagement.CoverageStatus(st)) {
			return query, fail(http.StatusBadRequest, "status %q is not one of %s", st, joinStatuses(engagement.CoverageStatuses))
		}
		query = query.Where(engagement.KeyCoverageStatus, st)
	}
	if v := q.Vendor; v != "" {
		if !slices.Contains(config.Vendors, v) {
			return query, fail(http.StatusBadRequest, "vendor %q is not one of %s", v, strings.Join(config.Vendors, ", "))
		}
		query = query.Where(engagement.KeyVendor, v)
	}
	if c := q.Certificate; c != "" {
		if !slices.Contains(engagement.CertificateStatuses, engagement.CertificateStatus(c)) {
			return query, fail(http.StatusBadRequest, "certificate status %q is not known", c)
		}
		query = query.Where(engagement.KeyCertificateStatus, c)
	}
	if q.Running {
		query = query.Running()
	}
	if !q.StartsBefore.IsZero() {
		query = query.Before(engagement.KeyCoverageStart, q.StartsBefore)
	}
	if !q.ActiveSince.IsZero() {
		query = query.ActiveSince(q.ActiveSince)
	}
	return query, nil
}

func (o *operations) List(ctx context.Context, q console.ListQuery) (console.ListPage, error) {
	query, err := visibilityQuery(q)
	if err != nil {
		return console.ListPage{}, err
	}
	size := q.PageSize
	switch {
	case size == 0:
		size = 50
	case size < 1 || size > 1000:
		return console.ListPage{}, fail(http.StatusBadRequest, "page_size must be a number from 1 to 1000")
	}
	token, err := base64.RawURLEncoding.DecodeString(q.PageToken)
	if err != nil {
		return console.ListPage{}, fail(http.StatusBadRequest, "page_token is not a token this service gave out")
	}
	page, err := engagement.List(ctx, o.temporal, query, size, token)
	if err != nil {
		return console.ListPage{}, unavailable("Temporal", err)
	}
	out := console.ListPage{Engagements: page.Engagements, NextPageToken: base64.RawURLEncoding.EncodeToString(page.NextPageToken)}
	return out, nil
}

func (o *operations) Count(ctx context.Context, q console.ListQuery) (int64, error) {
	query, err := visibilityQuery(q)
	if err != nil {
		return 0, err
	}
	n, err := engagement.Count(ctx, o.temporal, query)
	if err != nil {
		return 0, unavailable("Temporal", err)
	}
	return n, nil
}

func (o *operations) Status(ctx context.Context, vendor, id string) (engagement.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return engagement.Status{}, err
	}
	st, found, err := engagement.QueryEngagement(ctx, o.temporal, vendor, id)
	return st, queryOutcome(vendor, id, found, err)
}

func (o *operations) Detail(ctx context.Context, vendor, id string) (engagement.Detail, error) {
	if err := checkVendor(vendor); err != nil {
		return engagement.Detail{}, err
	}
	d, found, err := engagement.QueryEngagementDetail(ctx, o.temporal, vendor, id)
	return d, queryOutcome(vendor, id, found, err)
}

func queryOutcome(vendor, id string, found bool, err error) error {
	switch {
	case err != nil:
		return unavailable("Temporal", err)
	case !found:
		return fail(http.StatusNotFound, "no engagement %s/%s", vendor, id)
	}
	return nil
}

// updateOutcome maps an Update's outcome to the operator API's answer.
func updateOutcome(vendor, id string, err error) error {
	var refused *engagement.ActionRefusedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return fail(http.StatusConflict, "%s", refused.Reason)
	case errors.Is(err, engagement.ErrUnknownEngagement):
		return fail(http.StatusNotFound, "no engagement %s/%s", vendor, id)
	}
	return unavailable("Temporal", err)
}

func (o *operations) Act(ctx context.Context, vendor, id string, op engagement.OperatorAction) (engagement.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return engagement.Status{}, err
	}
	st, err := engagement.ApplyOperatorAction(ctx, o.temporal, engagement.WorkflowID(vendor, id), op)
	return st, updateOutcome(vendor, id, err)
}

func (o *operations) SupplyDetails(ctx context.Context, vendor, id, requestID string, d engagement.ContractorDetails) (engagement.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return engagement.Status{}, err
	}
	if field := invalidDetail(d); field != "" {
		return engagement.Status{}, fail(http.StatusBadRequest, "field %q is not valid", field)
	}
	st, err := engagement.SupplyContractorDetails(ctx, o.temporal, engagement.WorkflowID(vendor, id), requestID, d)
	return st, updateOutcome(vendor, id, err)
}

// HandInCertificate uploads the certificate to 1099Policy (under a key derived from the
// engagement and the file, so a resent request makes no second certificate) and hands it to
// the engagement's workflow, which follows its review like a platform document's: a 15 MB
// file cannot travel in a Temporal payload.
func (o *operations) HandInCertificate(ctx context.Context, vendor, id, requestID string, c console.Certificate) (engagement.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return engagement.Status{}, err
	}
	if o.policy == nil {
		return engagement.Status{}, fail(http.StatusServiceUnavailable, "certificate intake is not configured")
	}
	if len(c.PDF) > console.MaxCertificate {
		return engagement.Status{}, fail(http.StatusRequestEntityTooLarge, "the certificate is larger than 15 MB")
	}
	if !bytes.HasPrefix(c.PDF, []byte("%PDF")) {
		return engagement.Status{}, fail(http.StatusBadRequest, `field "certificate" must be a PDF`)
	}
	wid := engagement.WorkflowID(vendor, id)
	st, found, err := engagement.QueryEngagement(ctx, o.temporal, vendor, id)
	switch {
	case err != nil || !found:
		return st, queryOutcome(vendor, id, found, err)
	case st.CoverageStatus == engagement.StatusEnded || st.CoverageStatus == engagement.StatusCanceled:
		return st, fail(http.StatusConflict, "the engagement has ended")
	case st.Policy.ContractorID == "":
		return st, fail(http.StatusConflict, "the contractor is not set up in 1099Policy yet; try again once the engagement is past PENDING")
	}
	sum := sha256.Sum256(c.PDF)
	key := wid + "/intake/" + hex.EncodeToString(sum[:8])
	// The same custom_metadata as every other object of the engagement, beside its own keys.
	meta := pc.Metadata{activities.EngagementKeyField: wid, activities.IdempotencyKeyField: key}
	maps.Copy(meta, st.Metadata.Certificate)
	cert, err := o.policy.UploadCertificate(ctx, key, pc.CertificateUpload{Contractor: st.Policy.ContractorID, FileName: c.FileName,
		File: bytes.NewReader(c.PDF), CustomMetadata: meta})
	if err != nil {
		if pe, ok := pc.AsError(err); ok && !pe.Retryable {
			return st, fail(http.StatusBadRequest, "1099Policy refused the certificate: %s", pe.Code)
		}
		return st, unavailable("1099Policy", err)
	}
	st, err = engagement.HandOverCertificate(ctx, o.temporal, wid, requestID, engagement.CertificateUploaded{CertificateID: cert.ID, Note: c.Note})
	return st, updateOutcome(vendor, id, err)
}

// operationError records a failure's cause for the request log and returns it as the answer.
func operationError(c echo.Context, err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Internal != nil {
		c.Set("error", he.Internal.Error())
	}
	return err
}
