// Package upwork is the Upwork adapter. Upwork publishes no webhooks: the poller is the
// primary trigger; a partner feed may relay events signed X-Upwork-Signature: sha256=<hex>.
package upwork

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Vendor is the platform's name in workflow IDs and routes.
const Vendor = "upwork"

// Header names.
const (
	HeaderSignature = "X-Upwork-Signature"
	HeaderTenant    = "X-Upwork-API-TenantId"
)

// Config configures the adapter.
type Config struct {
	APIURL        string
	AccessToken   string
	TenantID      string
	WebhookSecret string
	HTTP          *http.Client
}

// Adapter implements vendors.Adapter for Upwork.
type Adapter struct {
	cfg Config
	api *vendors.HTTPClient
}

// New returns the adapter.
func New(cfg Config) *Adapter {
	api := &vendors.HTTPClient{Base: cfg.APIURL, HTTP: cfg.HTTP,
		Token: func(context.Context) (string, error) { return cfg.AccessToken, nil }}
	if cfg.TenantID != "" {
		api.Headers = map[string]string{HeaderTenant: cfg.TenantID}
	}
	return &Adapter{cfg: cfg, api: api}
}

// Vendor implements vendors.Adapter.
func (a *Adapter) Vendor() string { return Vendor }

// Sign returns the signature header value for body.
func Sign(secret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(vendors.SignHMAC(sha256.New, secret, body))
}

// VerifyWebhook checks sha256=<hex HMAC-SHA256(secret, body)>.
func (a *Adapter) VerifyWebhook(h http.Header, body []byte) error {
	v := h.Get(HeaderSignature)
	if v == "" {
		return &vendors.SignatureError{Reason: "missing " + HeaderSignature}
	}
	sig, ok := strings.CutPrefix(v, "sha256=")
	if !ok {
		return &vendors.SignatureError{Reason: HeaderSignature + " must start with sha256="}
	}
	return vendors.VerifyHMAC(sha256.New, a.cfg.WebhookSecret, sig, body)
}

var kinds = map[string]vendors.EventKind{
	"offer.accepted":            vendors.KindStart,
	"contract.active":           vendors.KindStart,
	"contract.updated":          vendors.KindUpdate,
	"contract.ended":            vendors.KindEnd,
	"contract.attachment_added": vendors.KindCOI,
}

// ParseWebhook turns a relayed event into one normalised event.
func (a *Adapter) ParseWebhook(_ http.Header, body []byte) ([]vendors.Event, error) {
	var w struct {
		Event        string `json:"event"`
		EventID      string `json:"event_id"`
		ContractID   string `json:"contract_id"`
		FreelancerID string `json:"freelancer_id"`
		OccurredAt   string `json:"occurred_at"`
		AttachmentID string `json:"attachment_id"`
	}
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.Event == "" {
		return nil, vendors.Missing("event")
	}
	ev := vendors.Event{Vendor: Vendor, Name: w.Event, EngagementID: w.ContractID, ContractorID: w.FreelancerID, EventID: w.EventID}
	occurred, err := vendors.ParseEventTime("occurred_at", w.OccurredAt)
	if err != nil {
		return nil, err
	}
	ev.OccurredAt = occurred
	if ev.EventID == "" {
		ev.EventID = vendors.HashEventID(Vendor, string(body))
	}
	ev, err = vendors.Classify(ev, kinds, "contract_id", "attachment_id", w.AttachmentID)
	if err != nil {
		return nil, err
	}
	return []vendors.Event{ev}, nil
}

// GraphQLError is an errors[] entry of a 200 answer.
type GraphQLError struct {
	Messages []string
}

func (e *GraphQLError) Error() string { return "upwork graphql: " + strings.Join(e.Messages, "; ") }

// query posts a GraphQL query; errors[] in a 200 answer is an error.
func (a *Adapter) query(ctx context.Context, q string, vars map[string]any, out any) error {
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := a.api.PostJSON(ctx, "/graphql", map[string]any{"query": q, "variables": vars}, &resp); err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		ge := &GraphQLError{}
		for _, e := range resp.Errors {
			ge.Messages = append(ge.Messages, e.Message)
		}
		if notFound(ge) {
			return &vendors.NotFoundError{What: ge.Error()}
		}
		return &vendors.APIError{Status: 200, What: "graphql", Body: ge.Error()}
	}
	return json.Unmarshal(resp.Data, out)
}

func notFound(e *GraphQLError) bool {
	for _, m := range e.Messages {
		if strings.Contains(strings.ToLower(m), "not found") {
			return true
		}
	}
	return false
}

// Freelancer is freelancer(id).
type Freelancer struct {
	ID          string  `json:"id"`
	DisplayName string  `json:"displayName"`
	Email       *string `json:"email"`
	Location    struct {
		Country  string `json:"country"`
		Region   string `json:"region"`
		Locality string `json:"locality"`
	} `json:"location"`
}

// Attachment is one file of a contract.
type Attachment struct {
	ID          string `json:"id"`
	FileName    string `json:"fileName"`
	URL         string `json:"url"`
	ContentType string `json:"contentType"`
}

// Contract is contract(id).
type Contract struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ClientID    string `json:"clientId"`
	HourlyRate  *struct {
		Amount vendors.Amount `json:"amount"`
	} `json:"hourlyRate"`
	FixedBudget *struct {
		Amount vendors.Amount `json:"amount"`
	} `json:"fixedBudget"`
	Category *struct {
		Name string `json:"name"`
	} `json:"category"`
	StartDate    string       `json:"startDate"`
	EndDate      string       `json:"endDate"`
	Status       string       `json:"status"`
	FreelancerID string       `json:"freelancerId"`
	Attachments  []Attachment `json:"attachments"`
}

const (
	freelancerQuery = `query FreelancerById($id: ID!) { freelancer(id: $id) { id displayName email location { country region locality } } }`
	contractQuery   = `query ContractById($id: ID!) { contract(id: $id) { id title description clientId hourlyRate { amount } fixedBudget { amount } category { name } startDate endDate status freelancerId attachments { id fileName url contentType } } }`
	listQuery       = `query ContractList($modifiedSince: String!, $offset: Int!, $limit: Int!) { contractList(modifiedSince: $modifiedSince, offset: $offset, limit: $limit) { contracts { id status modifyDate } total } }`
)

func (a *Adapter) contract(ctx context.Context, id string) (Contract, error) {
	var d struct {
		Contract *Contract `json:"contract"`
	}
	if err := a.query(ctx, contractQuery, map[string]any{"id": id}, &d); err != nil {
		return Contract{}, err
	}
	if d.Contract == nil {
		return Contract{}, &vendors.NotFoundError{What: "contract " + id}
	}
	return *d.Contract, nil
}

// FetchEngagement reads the contract and its freelancer and maps them.
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	c, err := a.contract(ctx, id)
	if err != nil {
		return vendors.Engagement{}, err
	}
	var d struct {
		Freelancer *Freelancer `json:"freelancer"`
	}
	if err := a.query(ctx, freelancerQuery, map[string]any{"id": c.FreelancerID}, &d); err != nil {
		return vendors.Engagement{}, err
	}
	if d.Freelancer == nil {
		return vendors.Engagement{}, &vendors.NotFoundError{What: "freelancer " + c.FreelancerID}
	}
	return Map(c, *d.Freelancer)
}

// Map turns a contract and its freelancer into the normalised engagement.
func Map(c Contract, f Freelancer) (vendors.Engagement, error) {
	e := vendors.Engagement{Vendor: Vendor, EngagementID: c.ID, Status: c.Status}
	var err error
	switch {
	case c.HourlyRate != nil && c.HourlyRate.Amount.Set():
		e.Job.WageType = "hourly"
		e.Job.Wage, err = c.HourlyRate.Amount.Cents()
	case c.FixedBudget != nil && c.FixedBudget.Amount.Set():
		e.Job.WageType = "flatfee"
		e.Job.Wage, err = c.FixedBudget.Amount.Cents()
	default:
		return e, &vendors.APIError{What: "contract " + c.ID, Body: "neither hourlyRate nor fixedBudget"}
	}
	if err != nil {
		return e, &vendors.APIError{What: "contract " + c.ID + " rate", Body: err.Error()}
	}
	if e.Start, err = vendors.WindowStart(c.StartDate); err != nil {
		return e, &vendors.APIError{What: "contract " + c.ID + " startDate", Body: err.Error()}
	}
	if e.End, err = vendors.WindowEnd(c.EndDate); err != nil {
		return e, &vendors.APIError{What: "contract " + c.ID + " endDate", Body: err.Error()}
	}
	first, last := vendors.SplitName(f.DisplayName)
	email := ""
	if f.Email != nil {
		email = *f.Email
	}
	e.Contractor = vendors.Contractor{SourceID: f.ID, FirstName: first, LastName: last, Email: strings.ToLower(email),
		Country: f.Location.Country, Region: f.Location.Region, City: f.Location.Locality}
	category := ""
	if c.Category != nil {
		category = c.Category.Name
	}
	e.Job.Name, e.Job.Description, e.Job.ClientID, e.Job.Category, e.Job.Region = c.Title, c.Description, c.ClientID, category, f.Location.Region
	ids := map[string]string{"engagement_id": c.ID}
	e.Metadata = vendors.Metadata{Contractor: map[string]string{"upwork_freelancer_id": f.ID},
		Job: ids, Quote: ids, Session: ids, Assignment: ids, Certificate: ids}
	e.Terminal = vendors.TerminalFromStatus(c.Status, terminalEnds, terminalCancels)
	return e, nil
}

var (
	terminalEnds    = []string{"ended", "closed", "completed"}
	terminalCancels = []string{"cancelled", "canceled"}
)

// FetchDocument reads a contract attachment.
func (a *Adapter) FetchDocument(ctx context.Context, contractID, attachmentID string) (vendors.Document, error) {
	c, err := a.contract(ctx, contractID)
	if err != nil {
		return vendors.Document{}, err
	}
	for _, at := range c.Attachments {
		if at.ID == attachmentID {
			data, ct, err := a.api.GetFile(ctx, at.URL)
			if err != nil {
				return vendors.Document{}, err
			}
			return vendors.Document{FileName: at.FileName, ContentType: vendors.FirstNonEmpty(at.ContentType, ct), Data: data}, nil
		}
	}
	return vendors.Document{}, &vendors.NotFoundError{What: "attachment " + attachmentID + " of contract " + contractID}
}

// FetchInvoice: Upwork invoices are not part of this integration.
func (a *Adapter) FetchInvoice(context.Context, string, string) (vendors.Invoice, error) {
	return vendors.Invoice{}, &vendors.NotFoundError{What: "upwork invoices are not fetched by this integration"}
}

// ListChanges pages through contracts modified since the watermark.
func (a *Adapter) ListChanges(ctx context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	var out []vendors.Event
	mark := since
	for offset := 0; ; {
		var d struct {
			ContractList struct {
				Contracts []struct {
					ID         string `json:"id"`
					Status     string `json:"status"`
					ModifyDate string `json:"modifyDate"`
				} `json:"contracts"`
				Total int `json:"total"`
			} `json:"contractList"`
		}
		vars := map[string]any{"modifiedSince": since.UTC().Format(time.RFC3339), "offset": offset, "limit": 100}
		if err := a.query(ctx, listQuery, vars, &d); err != nil {
			return nil, since, err
		}
		for _, c := range d.ContractList.Contracts {
			at, _ := time.Parse(time.RFC3339, c.ModifyDate)
			if at.After(mark) {
				mark = at
			}
			out = append(out, vendors.Event{Vendor: Vendor, Kind: vendors.KindFromStatus(c.Status, terminalEnds, terminalCancels),
				Name: "poll:" + c.Status, EngagementID: c.ID, OccurredAt: at,
				EventID: vendors.HashEventID(Vendor, "poll", c.ID, c.Status, c.ModifyDate)})
		}
		offset += len(d.ContractList.Contracts)
		if len(d.ContractList.Contracts) == 0 || offset >= d.ContractList.Total {
			return out, mark, nil
		}
	}
}
