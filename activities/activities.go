// Package activities holds every call the engagement workflow makes to an outside system.
// Each activity makes one logical call, takes one input struct and returns one output struct;
// idempotency keys come from the workflow, derived from its ID and the step, never random.
package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/notify"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Activities has the clients every activity uses; register one instance with the worker.
type Activities struct {
	Policy           *pc.Client
	Vendors          vendors.Registry
	Mapping          config.Mapping
	ProxyEmailDomain string
	SessionSuccess   string // URL template with {vendor} and {engagement_id}
	SessionCancel    string
	Temporal         client.Client // for signal-with-start of the per-contractor coordinator
	// Deliver hands a platform event to its engagement (workflows.DeliverPlatformEvent); the
	// poller uses it so a polled change travels exactly like a webhook.
	Deliver func(ctx context.Context, ev vendors.Event) (string, error)
	// DeliverPolicyEvent routes a 1099Policy event exactly as its webhook would
	// (workflows.DeliverPolicyEvent); the events poller uses it.
	DeliverPolicyEvent func(ctx context.Context, ev PolicyEvent) (string, error)
	Now                func() time.Time
	// Notifier sends the company's notifications (nil or empty: none configured).
	Notifier *notify.Sender
	// ApplicationPendingAfter is how long a session may stay open before
	// engagement.application_pending is sent; handed to the workflow with each fetch.
	ApplicationPendingAfter time.Duration
	// Horizon is COVERAGE_HORIZON: how long open-ended coverage runs before it is extended.
	Horizon time.Duration
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// EngagementKeyField is the custom_metadata key, set on every object this service creates in
// 1099Policy, that holds the engagement's workflow ID.
const EngagementKeyField = "engagement_key"

// objectMetadata is the guide's custom_metadata plus the engagement key and the idempotency
// key, so an object can be found again by the engagement and step that created it.
func objectMetadata(m map[string]string, workflowID, key string) pc.Metadata {
	out := pc.Metadata{EngagementKeyField: workflowID}
	if key != "" {
		out[IdempotencyKeyField] = key
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// FetchEngagementInput names the engagement to read from its platform.
type FetchEngagementInput struct {
	Vendor       string
	EngagementID string
	Refs         map[string]string `json:",omitempty"` // keys beside the id (JobDiva's candidate and job)
}

// Fingerprint remembers what the platform last said, without personal data, so an update
// that changed nothing sends nothing.
type Fingerprint struct {
	Contractor string `json:"contractor"` // hash of the contractor fields
	Job        string `json:"job"`        // hash of the job fields
}

// FetchEngagementOutput is the normalised engagement and its fingerprint.
type FetchEngagementOutput struct {
	// ApplicationPendingAfter is the worker's setting, recorded in the history with the fetch
	// so the workflow's timer stays deterministic when the setting changes.
	ApplicationPendingAfter time.Duration `json:"application_pending_after,omitempty"`
	// Horizon is COVERAGE_HORIZON, recorded with the fetch for the same reason.
	Horizon time.Duration `json:"horizon,omitempty"`
	// NoNotifications says the worker has no notification destination: the workflow then
	// queues none (each would be an activity that sends nothing).
	NoNotifications bool `json:"no_notifications,omitempty"`
	Engagement      vendors.Engagement
	Fingerprint     Fingerprint
}

// FetchEngagement reads and normalises the engagement from its platform.
func (a *Activities) FetchEngagement(ctx context.Context, in FetchEngagementInput) (FetchEngagementOutput, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return FetchEngagementOutput{}, classify(err)
	}
	var e vendors.Engagement
	if rf, ok := ad.(vendors.RefFetcher); ok {
		e, err = rf.FetchEngagementRefs(ctx, in.EngagementID, in.Refs)
	} else {
		e, err = ad.FetchEngagement(ctx, in.EngagementID)
	}
	if err != nil {
		return FetchEngagementOutput{}, classify(err)
	}
	e.Contractor.Email = vendors.ContractorEmail(e.Contractor.Email, in.Vendor, e.Contractor.SourceID, a.ProxyEmailDomain)
	e.CoverageTypes = a.Mapping.CoverageTypes(in.Vendor, e.Job.ClientID)
	return FetchEngagementOutput{Engagement: e, Fingerprint: Fingerprint{Contractor: hashOf(e.Contractor), Job: hashOf(e.Job)},
		ApplicationPendingAfter: a.ApplicationPendingAfter, Horizon: a.Horizon, NoNotifications: !a.Notifier.Enabled()}, nil
}

func hashOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// FindContractorInput looks a contractor up by email.
type FindContractorInput struct{ Email string }

// FindContractorOutput is the contractor found, if any.
type FindContractorOutput struct {
	ContractorID string
	Found        bool
}

// FindContractor looks a contractor up by lower-cased email.
func (a *Activities) FindContractor(ctx context.Context, in FindContractorInput) (FindContractorOutput, error) {
	list, err := a.Policy.FindContractorsByEmail(ctx, in.Email)
	if err != nil {
		return FindContractorOutput{}, classify(err)
	}
	if len(list) == 0 {
		return FindContractorOutput{}, nil
	}
	return FindContractorOutput{ContractorID: list[0].ID, Found: true}, nil
}

// ContractorInput creates or updates a contractor.
type ContractorInput struct {
	WorkflowID   string
	Key          string // <vendor-prefix>-<source contractor id>, as the guides show
	ContractorID string // for updates
	Contractor   vendors.Contractor
	Metadata     map[string]string
}

// ContractorOutput is the 1099Policy contractor id.
type ContractorOutput struct{ ContractorID string }

func contractorBody(in ContractorInput) pc.Contractor {
	c := in.Contractor
	body := pc.Contractor{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)}
	if c.Line1 != "" || c.City != "" || c.Region != "" || c.PostalCode != "" || c.Country != "" {
		body.Address = &pc.Address{Line1: c.Line1, Locality: c.City, Region: c.Region, PostalCode: c.PostalCode, Country: c.Country}
	}
	return body
}

// CreateContractor creates the contractor; duplicate_email comes back as ErrDuplicateEmail so
// the workflow falls back to the lookup.
func (a *Activities) CreateContractor(ctx context.Context, in ContractorInput) (ContractorOutput, error) {
	c, err := a.Policy.CreateContractor(ctx, in.Key, contractorBody(in))
	if err != nil {
		return ContractorOutput{}, classifyContractor(err)
	}
	return ContractorOutput{ContractorID: c.ID}, nil
}

// UpdateContractor updates the contractor's details (PUT is partial; the engagement key of the
// first engagement stays as it was).
func (a *Activities) UpdateContractor(ctx context.Context, in ContractorInput) (ContractorOutput, error) {
	body := contractorBody(in)
	delete(body.CustomMetadata, EngagementKeyField)
	delete(body.CustomMetadata, IdempotencyKeyField)
	c, err := a.Policy.UpdateContractor(ctx, in.ContractorID, body)
	if err != nil {
		return ContractorOutput{}, classifyContractor(err)
	}
	return ContractorOutput{ContractorID: c.ID}, nil
}

// JobInput creates or updates the engagement's job.
type JobInput struct {
	WorkflowID string
	Key        string
	JobID      string // for updates
	Vendor     string
	Job        vendors.Job
	Metadata   map[string]string
}

// JobOutput is the 1099Policy job id.
type JobOutput struct{ JobID string }

func (a *Activities) jobBody(in JobInput) (pc.Job, error) {
	entity, err := a.Mapping.Entity(in.Vendor, in.Job.ClientID)
	if err != nil {
		return pc.Job{}, err
	}
	category, err := a.Mapping.CategoryCode(in.Vendor, in.Job.Category)
	if err != nil {
		return pc.Job{}, err
	}
	return pc.Job{Name: in.Job.Name, Description: in.Job.Description, Entity: entity, CategoryCode: category,
		Wage: in.Job.Wage, WageType: in.Job.WageType, Address: jobAddress(in.Job),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)}, nil
}

// jobAddress is the work location: the work state (else the contractor's region, which the
// adapter already chose) and its country; none for a job without a region (remote work).
func jobAddress(j vendors.Job) *pc.Address {
	if j.Region == "" {
		return nil
	}
	return &pc.Address{Region: j.Region, Country: j.Country}
}

// CreateJob maps the entity and category (MissingMapping when neither a mapping nor a default
// exists) and creates the job. On a retry it first looks for a job this engagement already
// created, so a replayed failure never leads to a second job.
func (a *Activities) CreateJob(ctx context.Context, in JobInput) (JobOutput, error) {
	body, err := a.jobBody(in)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	id, sendKey, err := a.createdEarlier(ctx, in.WorkflowID, in.Key, jobLister(a.Policy))
	if err != nil || id != "" {
		return JobOutput{JobID: id}, err
	}
	j, err := a.Policy.CreateJob(ctx, sendKey, body)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	return JobOutput{JobID: j.ID}, nil
}

// UpdateJob applies changed name, description, wage or mapping to the job.
func (a *Activities) UpdateJob(ctx context.Context, in JobInput) (JobOutput, error) {
	body, err := a.jobBody(in)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	j, err := a.Policy.UpdateJob(ctx, in.JobID, body)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	return JobOutput{JobID: j.ID}, nil
}

// CoverageInput creates or updates a quote or an assignment.
type CoverageInput struct {
	WorkflowID   string
	Key          string
	ID           string // quote or assignment id, for updates
	ContractorID string
	JobID        string
	CoverageType []string
	Start        int64
	End          int64
	Metadata     map[string]string
}

// CoverageOutput is the quote or assignment id.
type CoverageOutput struct{ ID string }

// effectiveStart moves a start in the past to now: 1099Policy refuses past effective dates.
func (a *Activities) effectiveStart(start int64) int64 {
	if now := a.now().Unix(); start < now {
		return now
	}
	return start
}

// CreateQuote prices coverage; a returning contractor comes back as ErrMatchingPolicy.
func (a *Activities) CreateQuote(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	id, sendKey, err := a.createdEarlier(ctx, in.WorkflowID, in.Key, quoteLister(a.Policy))
	if err != nil || id != "" {
		return CoverageOutput{ID: id}, err
	}
	q, err := a.Policy.CreateQuote(ctx, sendKey, pc.Quote{Contractor: in.ContractorID, Job: in.JobID,
		CoverageType: in.CoverageType, EffectiveDate: pc.Time(a.effectiveStart(in.Start)), EndDate: pc.Time(in.End),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: q.ID}, nil
}

// UpdateQuote moves an unbound quote's window.
func (a *Activities) UpdateQuote(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	q, err := a.Policy.UpdateQuote(ctx, in.ID, pc.Quote{EffectiveDate: pc.Time(a.effectiveStart(in.Start)), EndDate: pc.Time(in.End)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: q.ID}, nil
}

// CreateAssignment covers the job under the contractor's policy; an ineligible answer (error
// or eligible.result=false) comes back as ErrNoMatchingPolicy.
func (a *Activities) CreateAssignment(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	id, sendKey, err := a.createdEarlier(ctx, in.WorkflowID, in.Key, assignmentLister(a.Policy))
	if err != nil || id != "" {
		return CoverageOutput{ID: id}, err
	}
	as, err := a.Policy.CreateAssignment(ctx, sendKey, pc.Assignment{Contractor: in.ContractorID, Job: in.JobID,
		CoverageType: in.CoverageType, EffectiveDate: pc.Time(a.effectiveStart(in.Start)), EndDate: pc.Time(in.End),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	if as.Eligible != nil && !as.Eligible.Result {
		return CoverageOutput{}, classify(&pc.Error{StatusCode: 400, Code: pc.CodeNoMatchingPolicy,
			Message: vendors.FirstNonEmpty(as.Eligible.Message, pc.MessageNoMatchingPolicy), Method: "POST", Path: "/assignments"})
	}
	return CoverageOutput{ID: as.ID}, nil
}

// UpdateAssignment moves the assignment's window (the start only while it is in the future).
func (a *Activities) UpdateAssignment(ctx context.Context, in CoverageInput) (CoverageOutput, error) {
	body := pc.Assignment{EndDate: pc.Time(in.End)}
	if in.Start > a.now().Unix() {
		body.EffectiveDate = pc.Time(in.Start)
	}
	as, err := a.Policy.UpdateAssignment(ctx, in.ID, body)
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: as.ID}, nil
}

// ExtendInput moves the job's assignment end to End.
type ExtendInput struct {
	Key   string
	JobID string
	End   int64
}

// ExtendAssignment extends coverage past the horizon (POST /assignments/extend).
func (a *Activities) ExtendAssignment(ctx context.Context, in ExtendInput) (CoverageOutput, error) {
	as, err := a.Policy.ExtendAssignment(ctx, in.Key, pc.AssignmentExtend{JobID: in.JobID, EndDate: pc.Time(in.End)})
	if err != nil {
		return CoverageOutput{}, classify(err)
	}
	return CoverageOutput{ID: as.ID}, nil
}

// CancelAssignmentInput cancels the job's assignment before its start.
type CancelAssignmentInput struct {
	Key    string
	JobID  string
	Reason string
}

// CancelAssignment cancels; after the start date it answers ErrAssignmentStart.
func (a *Activities) CancelAssignment(ctx context.Context, in CancelAssignmentInput) error {
	_, err := a.Policy.CancelAssignment(ctx, in.Key, pc.AssignmentCancel{JobID: in.JobID, Reason: in.Reason})
	return classify(err)
}

// SessionInput creates an application session for a quote.
type SessionInput struct {
	WorkflowID   string
	Key          string
	Vendor       string
	EngagementID string
	QuoteID      string
	Metadata     map[string]string
}

// SessionOutput is the session a contractor completes.
type SessionOutput struct {
	SessionID string
	URL       string
}

// CreateSession creates the insurance application session.
func (a *Activities) CreateSession(ctx context.Context, in SessionInput) (SessionOutput, error) {
	s, err := a.Policy.CreateSession(ctx, in.Key, pc.SessionParams{Quote: in.QuoteID,
		SuccessURL:     config.SessionURL(a.SessionSuccess, in.Vendor, in.EngagementID),
		CancelURL:      config.SessionURL(a.SessionCancel, in.Vendor, in.EngagementID),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return SessionOutput{}, classify(err)
	}
	return SessionOutput{SessionID: s.ID, URL: s.URL}, nil
}

// ExpireSessionInput ends a session.
type ExpireSessionInput struct {
	Key       string
	SessionID string
}

// ExpireSession ends a session so its url stops working.
func (a *Activities) ExpireSession(ctx context.Context, in ExpireSessionInput) error {
	_, err := a.Policy.ExpireSession(ctx, in.Key, in.SessionID)
	return classify(err)
}

// CertificateInput uploads a COI document from the platform.
type CertificateInput struct {
	WorkflowID   string
	Key          string
	Vendor       string
	EngagementID string
	DocumentID   string
	ContractorID string
	Metadata     map[string]string
}

// CertificateOutput is the certificate under review.
type CertificateOutput struct {
	CertificateID string
	Status        string
}

// UploadCertificate streams the platform's document into 1099Policy. It makes two calls (the
// platform fetch and the upload) because the file may be up to 15 MB, too large to pass
// through workflow history.
func (a *Activities) UploadCertificate(ctx context.Context, in CertificateInput) (CertificateOutput, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	doc, err := ad.FetchDocument(ctx, in.EngagementID, in.DocumentID)
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	c, err := a.Policy.UploadCertificate(ctx, in.Key, pc.CertificateUpload{Contractor: in.ContractorID,
		FileName: doc.FileName, File: bytes.NewReader(doc.Data), CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	return CertificateOutput{CertificateID: c.ID, Status: c.Status}, nil
}

// GetCertificateInput polls a certificate.
type GetCertificateInput struct{ CertificateID string }

// GetCertificate reads a certificate's review status.
func (a *Activities) GetCertificate(ctx context.Context, in GetCertificateInput) (CertificateOutput, error) {
	c, err := a.Policy.GetCertificate(ctx, in.CertificateID)
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	return CertificateOutput{CertificateID: c.ID, Status: c.Status}, nil
}

// FetchInvoiceInput names a platform invoice or timesheet.
type FetchInvoiceInput struct {
	Vendor       string
	EngagementID string
	InvoiceID    string
}

// FetchInvoice reads an invoice or timesheet from the platform.
func (a *Activities) FetchInvoice(ctx context.Context, in FetchInvoiceInput) (vendors.Invoice, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return vendors.Invoice{}, classify(err)
	}
	inv, err := ad.FetchInvoice(ctx, in.EngagementID, in.InvoiceID)
	return inv, classify(err)
}

// InvoiceInput records an invoice in 1099Policy.
type InvoiceInput struct {
	WorkflowID   string
	Key          string
	ContractorID string
	JobID        string
	Invoice      vendors.Invoice
}

// InvoiceOutput is the 1099Policy invoice id.
type InvoiceOutput struct{ InvoiceID string }

// CreateInvoice records the invoice (the key makes it once per platform invoice id).
func (a *Activities) CreateInvoice(ctx context.Context, in InvoiceInput) (InvoiceOutput, error) {
	inv, err := a.Policy.CreateInvoice(ctx, in.Key, pc.Invoice{Contractor: in.ContractorID, Job: in.JobID,
		GrossPay: in.Invoice.GrossPay, PaycycleStartdate: pc.Time(in.Invoice.PeriodStart), PaycycleEnddate: pc.Time(in.Invoice.PeriodEnd),
		CustomMetadata: pc.Metadata{EngagementKeyField: in.WorkflowID, "source_invoice_id": in.Invoice.ID}})
	if err != nil {
		return InvoiceOutput{}, classify(err)
	}
	return InvoiceOutput{InvoiceID: inv.ID}, nil
}

// GetPolicyInput reads a policy.
type GetPolicyInput struct{ PolicyID string }

// PolicyOutput is what the workflow needs of a policy.
type PolicyOutput struct {
	PolicyID       string
	Status         string
	ExpirationDate int64
}

// GetPolicy re-reads a policy's authoritative state.
func (a *Activities) GetPolicy(ctx context.Context, in GetPolicyInput) (PolicyOutput, error) {
	p, err := a.Policy.GetPolicy(ctx, in.PolicyID)
	if err != nil {
		return PolicyOutput{}, classify(err)
	}
	return PolicyOutput{PolicyID: p.ID, Status: p.Status, ExpirationDate: int64(p.ExpirationDate)}, nil
}

// IdempotencyKeyField is the custom_metadata key holding the idempotency key an object was
// created with, so a retry can recognise exactly that object.
const IdempotencyKeyField = "idempotency_key"

// createdEarlier runs on retries only. It pages through the list (newest first, to the end)
// for an object this engagement's step created (engagement key and idempotency key in
// custom_metadata), so a retry never creates a second one. When there is none, the create is
// sent under a fresh idempotency key for this attempt: 1099Policy stores a 5xx answer under
// its key and replays it, so repeating the old key could never succeed. The step's own key
// stays in the object's metadata either way.
func (a *Activities) createdEarlier(ctx context.Context, workflowID, key string, list func(context.Context, pc.ListParams) ([]keyed, error)) (id, sendKey string, err error) {
	attempt := activity.GetInfo(ctx).Attempt
	if attempt <= 1 {
		return "", key, nil
	}
	p := pc.ListParams{Limit: 100}
	for {
		page, err := list(ctx, p)
		if err != nil {
			return "", "", classify(err)
		}
		if len(page) == 0 {
			return "", fmt.Sprintf("%s/attempt-%d", key, attempt), nil
		}
		for _, o := range page {
			if o.meta[EngagementKeyField] == workflowID && o.meta[IdempotencyKeyField] == key {
				return o.id, "", nil
			}
		}
		p.StartingAfter = page[len(page)-1].id
	}
}

type keyed struct {
	id   string
	meta pc.Metadata
}

func lister[T any](list func(context.Context, pc.ListParams) ([]T, error), fields func(T) keyed) func(context.Context, pc.ListParams) ([]keyed, error) {
	return func(ctx context.Context, p pc.ListParams) ([]keyed, error) {
		items, err := list(ctx, p)
		out := make([]keyed, len(items))
		for i, it := range items {
			out[i] = fields(it)
		}
		return out, err
	}
}

func jobLister(c *pc.Client) func(context.Context, pc.ListParams) ([]keyed, error) {
	return lister(c.ListJobs, func(j pc.Job) keyed { return keyed{j.ID, j.CustomMetadata} })
}

func quoteLister(c *pc.Client) func(context.Context, pc.ListParams) ([]keyed, error) {
	return lister(c.ListQuotes, func(q pc.Quote) keyed { return keyed{q.ID, q.CustomMetadata} })
}

func assignmentLister(c *pc.Client) func(context.Context, pc.ListParams) ([]keyed, error) {
	return lister(c.ListAssignments, func(a pc.Assignment) keyed { return keyed{a.ID, a.CustomMetadata} })
}

// RouteInput is a 1099Policy event to route.
type RouteInput struct {
	EventID       string
	Type          string
	ObjectID      string
	QuoteID       string
	ContractorID  string
	EngagementKey string
}

// RouteOutput lists the engagement workflows the event concerns.
type RouteOutput struct{ WorkflowIDs []string }

// ResolvePolicyEvent finds the engagements an event concerns: the engagement key in the
// payload, else the one stored on its quote; and for policy events every running engagement
// of the policy's contractor (an assignment rides on the contractor's policy).
func (a *Activities) ResolvePolicyEvent(ctx context.Context, in RouteInput) (RouteOutput, error) {
	ids := map[string]bool{}
	if in.EngagementKey != "" {
		ids[in.EngagementKey] = true
	}
	contractor := in.ContractorID
	if in.EngagementKey == "" && in.QuoteID != "" {
		q, err := a.Policy.GetQuote(ctx, in.QuoteID)
		if err != nil && !pc.IsNotFound(err) {
			return RouteOutput{}, classify(err)
		}
		if key := q.CustomMetadata[EngagementKeyField]; key != "" {
			ids[key] = true
		}
		contractor = vendors.FirstNonEmpty(contractor, q.Contractor)
	}
	if contractor == "" && strings.HasPrefix(in.Type, "policy.") {
		p, err := a.Policy.GetPolicy(ctx, in.ObjectID)
		if err != nil && !pc.IsNotFound(err) {
			return RouteOutput{}, classify(err)
		}
		contractor = p.Contractor
	}
	if contractor != "" && (strings.HasPrefix(in.Type, "policy.") || len(ids) == 0) {
		running, err := a.runningEngagementsOf(ctx, contractor)
		if err != nil {
			return RouteOutput{}, err
		}
		for _, id := range running {
			ids[id] = true
		}
	}
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return RouteOutput{WorkflowIDs: out}, nil
}

func (a *Activities) runningEngagementsOf(ctx context.Context, contractorID string) ([]string, error) {
	return EngagementIDs(ctx, a.Temporal, fmt.Sprintf("PolicyContractorID = '%s' AND ExecutionStatus = 'Running'", Quoteless(contractorID)))
}

// ListChangesInput asks a platform for what changed since a watermark.
type ListChangesInput struct {
	Vendor string
	Since  time.Time
}

// ListChangesOutput is the changes as events, and the new watermark.
type ListChangesOutput struct {
	Events    []vendors.Event
	Watermark time.Time
}

// ListPlatformChanges lists what changed on a platform since the watermark.
func (a *Activities) ListPlatformChanges(ctx context.Context, in ListChangesInput) (ListChangesOutput, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return ListChangesOutput{}, classify(err)
	}
	if rf, ok := ad.(vendors.Refresher); ok {
		ids, err := a.RunningEngagements(ctx, in.Vendor)
		if err != nil {
			return ListChangesOutput{}, err
		}
		evs, err := rf.Refresh(ctx, ids)
		if err != nil {
			return ListChangesOutput{}, classify(err)
		}
		return ListChangesOutput{Events: evs, Watermark: a.now()}, nil
	}
	evs, mark, err := ad.ListChanges(ctx, in.Since)
	if err != nil {
		return ListChangesOutput{}, classify(err)
	}
	return ListChangesOutput{Events: evs, Watermark: mark}, nil
}

// RunningEngagements lists the engagement ids of a platform's running engagements, from
// visibility (Upwork's poller re-reads them, having no listing of its own).
func (a *Activities) RunningEngagements(ctx context.Context, vendor string) ([]string, error) {
	ids, err := EngagementIDs(ctx, a.Temporal, fmt.Sprintf("WorkflowType = 'EngagementWorkflow' AND ExecutionStatus = 'Running' AND Vendor = '%s'", Quoteless(vendor)))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, strings.TrimPrefix(id, engagementPrefix+vendor+":"))
	}
	sort.Strings(out)
	return out, err
}

// DeliverEventsInput is a batch of platform events to hand to their engagements.
type DeliverEventsInput struct{ Events []vendors.Event }

// DeliverEventsOutput counts what happened to them.
type DeliverEventsOutput struct {
	Accepted, Closed, Ignored int
}

// DeliverPlatformEvents signal-with-starts each event's engagement, exactly as the webhook
// ingress does (Deliver is injected by the worker). It heartbeats its progress, so a retry
// resumes where the last attempt stopped.
func (a *Activities) DeliverPlatformEvents(ctx context.Context, in DeliverEventsInput) (DeliverEventsOutput, error) {
	var out DeliverEventsOutput
	start := 0
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &start)
	}
	for i := start; i < len(in.Events); i++ {
		ev := in.Events[i]
		if ev.Kind == vendors.KindIgnore {
			out.Ignored++
			continue
		}
		outcome, err := a.Deliver(ctx, ev)
		if err != nil {
			return out, err
		}
		if outcome == "closed" {
			out.Closed++
		} else {
			out.Accepted++
		}
		activity.RecordHeartbeat(ctx, i+1)
	}
	return out, nil
}
