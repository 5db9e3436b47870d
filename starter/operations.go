package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/console"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/workflows"
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
func visibilityQuery(q console.ListQuery) (string, error) {
	query := []string{"WorkflowType = 'EngagementWorkflow'"}
	if st := q.Status; st != "" {
		if !slices.Contains(workflows.CoverageStatuses, workflows.CoverageStatus(st)) {
			return "", fail(http.StatusBadRequest, "status %q is not one of %s", st, joinStatuses(workflows.CoverageStatuses))
		}
		query = append(query, "CoverageStatus = '"+st+"'")
	}
	if v := q.Vendor; v != "" {
		if !slices.Contains(config.Vendors, v) {
			return "", fail(http.StatusBadRequest, "vendor %q is not one of %s", v, strings.Join(config.Vendors, ", "))
		}
		query = append(query, "Vendor = '"+v+"'")
	}
	if c := q.Certificate; c != "" {
		if !slices.Contains(workflows.CertificateStatuses, workflows.CertificateStatus(c)) {
			return "", fail(http.StatusBadRequest, "certificate status %q is not known", c)
		}
		query = append(query, "CertificateStatus = '"+c+"'")
	}
	if q.Running {
		query = append(query, "ExecutionStatus = 'Running'")
	}
	if !q.StartsBefore.IsZero() {
		query = append(query, "CoverageStart < '"+q.StartsBefore.UTC().Format(time.RFC3339)+"'")
	}
	if !q.ActiveSince.IsZero() {
		query = append(query, "(ExecutionStatus = 'Running' OR CloseTime >= '"+q.ActiveSince.UTC().Format(time.RFC3339)+"')")
	}
	return strings.Join(query, " AND "), nil
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
	resp, err := o.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: query, PageSize: int32(size), NextPageToken: token})
	if err != nil {
		return console.ListPage{}, unavailable("Temporal", err)
	}
	out := console.ListPage{Engagements: []console.ListItem{}, NextPageToken: base64.RawURLEncoding.EncodeToString(resp.NextPageToken)}
	dc := converter.GetDefaultDataConverter() // search attributes are plain, never encrypted
	for _, ex := range resp.Executions {
		item := console.ListItem{WorkflowID: ex.GetExecution().GetWorkflowId(), Started: ex.GetStartTime().AsTime(),
			Running: ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
		item.Vendor, item.EngagementID, _ = workflows.ParseEngagementWorkflowID(item.WorkflowID)
		fieldsOf := ex.GetSearchAttributes().GetIndexedFields()
		_ = dc.FromPayload(fieldsOf["CoverageStatus"], &item.CoverageStatus)
		_ = dc.FromPayload(fieldsOf["CertificateStatus"], &item.CertificateStatus)
		_ = dc.FromPayload(fieldsOf["CoverageStart"], &item.CoverageStart)
		out.Engagements = append(out.Engagements, item)
	}
	return out, nil
}

func (o *operations) Count(ctx context.Context, q console.ListQuery) (int64, error) {
	query, err := visibilityQuery(q)
	if err != nil {
		return 0, err
	}
	resp, err := o.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return 0, unavailable("Temporal", err)
	}
	return resp.GetCount(), nil
}

func (o *operations) Status(ctx context.Context, vendor, id string) (workflows.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return workflows.Status{}, err
	}
	st, found, err := workflows.QueryEngagement(ctx, o.temporal, vendor, id)
	return st, queryOutcome(vendor, id, found, err)
}

func (o *operations) Detail(ctx context.Context, vendor, id string) (workflows.Detail, error) {
	if err := checkVendor(vendor); err != nil {
		return workflows.Detail{}, err
	}
	d, found, err := workflows.QueryEngagementDetail(ctx, o.temporal, vendor, id)
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
	var refused *workflows.ActionRefusedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return fail(http.StatusConflict, "%s", refused.Reason)
	case errors.Is(err, workflows.ErrUnknownEngagement):
		return fail(http.StatusNotFound, "no engagement %s/%s", vendor, id)
	}
	return unavailable("Temporal", err)
}

func (o *operations) Act(ctx context.Context, vendor, id string, op workflows.OperatorAction) (workflows.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return workflows.Status{}, err
	}
	st, err := workflows.ApplyOperatorAction(ctx, o.temporal, workflows.EngagementWorkflowID(vendor, id), op)
	return st, updateOutcome(vendor, id, err)
}

func (o *operations) SupplyDetails(ctx context.Context, vendor, id, requestID string, d workflows.ContractorDetails) (workflows.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return workflows.Status{}, err
	}
	if field := invalidDetail(d); field != "" {
		return workflows.Status{}, fail(http.StatusBadRequest, "field %q is not valid", field)
	}
	st, err := workflows.SupplyContractorDetails(ctx, o.temporal, workflows.EngagementWorkflowID(vendor, id), requestID, d)
	return st, updateOutcome(vendor, id, err)
}

// HandInCertificate uploads the certificate to 1099Policy (under a key derived from the
// engagement and the file, so a resent request makes no second certificate) and hands it to
// the engagement's workflow, which follows its review like a platform document's: a 15 MB
// file cannot travel in a Temporal payload.
func (o *operations) HandInCertificate(ctx context.Context, vendor, id, requestID string, c console.Certificate) (workflows.Status, error) {
	if err := checkVendor(vendor); err != nil {
		return workflows.Status{}, err
	}
	if o.policy == nil {
		return workflows.Status{}, fail(http.StatusServiceUnavailable, "certificate intake is not configured")
	}
	if len(c.PDF) > console.MaxCertificate {
		return workflows.Status{}, fail(http.StatusRequestEntityTooLarge, "the certificate is larger than 15 MB")
	}
	if !bytes.HasPrefix(c.PDF, []byte("%PDF")) {
		return workflows.Status{}, fail(http.StatusBadRequest, `field "certificate" must be a PDF`)
	}
	wid := workflows.EngagementWorkflowID(vendor, id)
	st, found, err := workflows.QueryEngagement(ctx, o.temporal, vendor, id)
	switch {
	case err != nil || !found:
		return st, queryOutcome(vendor, id, found, err)
	case st.CoverageStatus == workflows.StatusEnded || st.CoverageStatus == workflows.StatusCanceled:
		return st, fail(http.StatusConflict, "the engagement has ended")
	case st.Policy.ContractorID == "":
		return st, fail(http.StatusConflict, "the contractor is not set up in 1099Policy yet; try again once the engagement is past PENDING")
	}
	sum := sha256.Sum256(c.PDF)
	key := wid + "/intake/" + hex.EncodeToString(sum[:8])
	cert, err := o.policy.UploadCertificate(ctx, key, pc.CertificateUpload{Contractor: st.Policy.ContractorID, FileName: c.FileName,
		File: bytes.NewReader(c.PDF), CustomMetadata: pc.Metadata{"engagement_key": wid, "idempotency_key": key}})
	if err != nil {
		if pe, ok := pc.AsError(err); ok && !pe.Retryable {
			return st, fail(http.StatusBadRequest, "1099Policy refused the certificate: %s", pe.Code)
		}
		return st, unavailable("1099Policy", err)
	}
	st, err = workflows.HandOverCertificate(ctx, o.temporal, wid, requestID, workflows.CertificateUploaded{CertificateID: cert.ID, Note: c.Note})
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
