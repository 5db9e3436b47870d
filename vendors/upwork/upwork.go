// Package upwork is the Upwork adapter, on Upwork's live GraphQL API
// (shared/reference/vendors.md): contractDetails(id) and contractList(ids) with an OAuth2
// token and the X-Upwork-API-TenantId header on every call. Upwork publishes no webhooks:
// engagements arrive through the relay route (the customer's own systems, HMAC-signed),
// operator enrollment, backfill, and a poller that re-reads the running contracts.
package upwork

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Vendor is the platform's name in workflow IDs and routes.
const Vendor = "upwork"

// Headers.
const (
	HeaderSignature = "X-Upwork-Signature"
	HeaderTenant    = "X-Upwork-API-TenantId"
)

// DefaultTokenURL is UPWORK_TOKEN_URL's default: the token host differs from the API's.
const DefaultTokenURL = "https://www.upwork.com/api/v3/oauth2/token"

// BatchSize is how many contracts one contractList call re-reads.
const BatchSize = 10

// The schema's enums the adapter decides on (ContractStatus, ContractKind); the contract
// test checks every value exists in Upwork's schema and every status is handled.
var (
	StatusInForce = []string{"ACTIVE", "PAUSED"}
	// StatusClosed cancels a contract closed before its start date and ends it after.
	StatusClosed = "CLOSED"
	// KindPayroll contracts are W-2 payroll: out of scope.
	KindPayroll = "PAYROLL"
)

// Config configures the adapter.
type Config struct {
	APIURL        string // https://api.upwork.com
	TokenURL      string // UPWORK_TOKEN_URL
	ClientID      string
	ClientSecret  string
	RefreshToken  string
	AccessToken   string // a fixed token instead of the grant (tests, short-lived scripts)
	TenantID      string
	WebhookSecret string
	HTTP          *http.Client
	Now           func() time.Time // decides whether a closed contract was cancelled or ended
	// Store keeps the newest refresh token (Upwork rotates it): a TokenFile, or nil.
	Store vendors.RefreshStore
}

// Adapter implements vendors.Adapter for Upwork.
type Adapter struct {
	cfg Config
	api *vendors.HTTPClient
}

// New returns the adapter.
func New(cfg Config) *Adapter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	api := &vendors.HTTPClient{Base: cfg.APIURL, HTTP: cfg.HTTP, Headers: map[string]string{HeaderTenant: cfg.TenantID},
		Token: func(context.Context) (string, error) { return cfg.AccessToken, nil }}
	if cfg.RefreshToken != "" {
		grant := &vendors.RefreshToken{TokenURL: vendors.FirstNonEmpty(cfg.TokenURL, DefaultTokenURL), ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, HTTP: cfg.HTTP, Refresh: cfg.RefreshToken, Store: cfg.Store}
		api.Token, api.Reauth = grant.Token, grant.Invalidate
	}
	return &Adapter{cfg: cfg, api: api}
}

// Vendor implements vendors.Adapter.
func (a *Adapter) Vendor() string { return Vendor }

// Sign is the relay's signature header value: sha256=<hex HMAC-SHA256(secret, body)>.
func Sign(secret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(vendors.SignHMAC(sha256.New, secret, body))
}

// VerifyWebhook checks the relay's signature.
func (a *Adapter) VerifyWebhook(h http.Header, body []byte) error {
	sig, ok := strings.CutPrefix(h.Get(HeaderSignature), "sha256=")
	if !ok || sig == "" {
		return &vendors.SignatureError{Reason: "missing " + HeaderSignature + ": sha256=<hex>"}
	}
	return vendors.VerifyHMAC(sha256.New, a.cfg.WebhookSecret, sig, body)
}

// Relay events (our documented format; every one syncs the contract, whose status decides).
const (
	EventStarted = "contract.started"
	EventUpdated = "contract.updated"
	EventEnded   = "contract.ended"
)

var kinds = map[string]vendors.EventKind{EventStarted: vendors.KindStart, EventUpdated: vendors.KindUpdate, EventEnded: vendors.KindEnd}

// Relay is the relay route's body.
type Relay struct {
	Event      string `json:"event"`
	EventID    string `json:"event_id"`
	ContractID string `json:"contract_id"`
	OccurredAt string `json:"occurred_at"`
}

// ParseWebhook turns a relayed event into one event: every one syncs the contract, whose
// status decides (an ended contract ends the engagement, a cancellation when before its
// start); contract.ended never starts one. occurred_at must be a time but orders nothing.
func (a *Adapter) ParseWebhook(_ http.Header, body []byte) ([]vendors.Event, error) {
	var w Relay
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.Event == "" {
		return nil, vendors.Missing("event")
	}
	if _, err := vendors.ParseEventTime("occurred_at", w.OccurredAt); err != nil {
		return nil, err
	}
	ev := vendors.Event{Vendor: Vendor, Name: w.Event, EngagementID: w.ContractID, EventID: w.EventID}
	if ev.EventID == "" {
		ev.EventID = vendors.HashEventID(Vendor, string(body))
	}
	ev, err := vendors.Classify(ev, kinds, "contract_id", "", "")
	if err != nil {
		return nil, err
	}
	return []vendors.Event{vendors.HintOnly(ev)}, nil
}

// GraphQLError is the errors[] of an answer; with it the data is never used.
type GraphQLError struct {
	Messages []string
	Codes    []string
}

func (e *GraphQLError) Error() string { return "upwork graphql: " + strings.Join(e.Messages, "; ") }

// query posts a GraphQL query with variables; a non-empty errors[] is a failure even when
// data holds something (never create objects from partial data).
func (a *Adapter) query(ctx context.Context, q string, vars map[string]any, out any) error {
	answer, _, err := a.api.Do(ctx, http.MethodPost, PathGraphQL, nil, map[string]any{"query": q, "variables": vars})
	if err != nil {
		return err
	}
	return DecodeAnswer(answer, out)
}

// PathGraphQL is the one GraphQL endpoint.
const PathGraphQL = "/graphql"

// DecodeAnswer reads a GraphQL answer into out: errors[] all NOT_FOUND is a NotFoundError,
// any other non-empty errors[] an APIError (the data beside it is never used), and an answer
// or data that does not decode an APIError.
func DecodeAnswer(answer []byte, out any) error {
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	undecodable := func(err error) error {
		return &vendors.APIError{Status: http.StatusOK, What: "graphql", Body: "undecodable answer: " + err.Error()}
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return undecodable(err)
	}
	if len(resp.Errors) > 0 {
		ge := &GraphQLError{}
		notFound := true
		for _, e := range resp.Errors {
			ge.Messages = append(ge.Messages, e.Message)
			ge.Codes = append(ge.Codes, e.Extensions.Code)
			notFound = notFound && e.Extensions.Code == "NOT_FOUND"
		}
		if notFound {
			return &vendors.NotFoundError{What: ge.Error()}
		}
		return &vendors.APIError{Status: http.StatusOK, What: "graphql", Body: ge.Error()}
	}
	if len(resp.Data) == 0 {
		return undecodable(errors.New("no data and no errors"))
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return undecodable(err)
	}
	return nil
}

// Money is Upwork's amount: rawValue is a decimal string in major units.
type Money struct {
	RawValue vendors.Amount `json:"rawValue"`
	Currency string         `json:"currency"`
}

// Contract is contractDetails(id): the fields contractFields selects.
type Contract struct {
	ID         string  `json:"id"`
	Title      string  `json:"title"`
	Status     string  `json:"status"`
	Kind       string  `json:"kind"`
	StartDate  string  `json:"startDate"`
	EndDate    *string `json:"endDate"`
	ModifyDate string  `json:"modifyDate"`
	// Freelancer is a ContractUser: it has no email, phone or address.
	Freelancer *struct {
		ID        string `json:"id"`
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"freelancer"`
	ClientOrganization *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"clientOrganization"`
	Terms struct {
		HourlyTerms []struct {
			HourlyRate Money `json:"hourlyRate"`
		} `json:"hourlyTerms"`
		FixedPriceTerms []struct {
			FixedAmount Money `json:"fixedAmount"`
		} `json:"fixedPriceTerms"`
	} `json:"terms"`
}

// Version is what the workflow acts on (status, end date, the terms, modify date), as
// platforms-live.md says to compare a refreshed contract; the same for contractList and
// contractDetails.
func (c Contract) Version() string {
	var terms []string
	for _, h := range c.Terms.HourlyTerms {
		terms = append(terms, "hourly "+h.HourlyRate.version())
	}
	for _, f := range c.Terms.FixedPriceTerms {
		terms = append(terms, "fixed "+f.FixedAmount.version())
	}
	return vendors.RecordVersion(Vendor, c.ID, c.Status, str(c.EndDate), strings.Join(terms, ","), c.ModifyDate)
}

// version is the amount as a version part: its cents (so "75" and "75.00" are one version),
// or the refusal naming the text.
func (m Money) version() string {
	cents, err := m.RawValue.Cents()
	if err != nil {
		return err.Error()
	}
	return strconv.FormatInt(cents, 10) + " " + m.Currency
}

// Location is userDetails(id).location (the schema's UserLocation): the freelancer's address
// as Upwork shows it to a client, when the token may read it.
type Location struct {
	Street      *string `json:"street"`
	CityName    *string `json:"cityName"`
	StateCode   *string `json:"stateCode"`
	Zip         *string `json:"zip"`
	CountryName *string `json:"countryName"`
}

// contractFields is the selection of vendors.md.
const contractFields = `id title status kind deliveryModel startDate endDate modifyDate
    freelancer { id firstName lastName }
    clientOrganization { id name }
    terms { hourlyTerms { id hourlyRate { rawValue currency } startDate endDate }
            fixedPriceTerms { id fixedAmount { rawValue currency } startDate endDate } }`

// Queries: the variable types are the arguments' (contractDetails(id: ID!), contractList(ids:
// [ID!]), userDetails(id: ID!)); another type makes Upwork refuse the whole operation.
const (
	ContractDetailsQuery = `query ContractDetails($id: ID!) { contractDetails(id: $id) { ` + contractFields + ` } }`
	ContractListQuery    = `query ContractList($ids: [ID!]) { contractList(ids: $ids) { contracts { ` + contractFields + ` } } }`
	UserDetailsQuery     = `query UserDetails($id: ID!) { userDetails(id: $id) { id location { street cityName stateCode zip countryName } } }`
)

// FetchEngagement reads contractDetails(id) and maps it.
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	var out struct {
		ContractDetails *Contract `json:"contractDetails"`
	}
	if err := a.query(ctx, ContractDetailsQuery, map[string]any{"id": id}, &out); err != nil {
		return vendors.Engagement{}, err
	}
	if out.ContractDetails == nil {
		return vendors.Engagement{}, &vendors.NotFoundError{What: "upwork contract " + id}
	}
	e, err := Map(*out.ContractDetails, a.cfg.Now())
	if err != nil || e.OutOfScope != "" || e.Terminal != "" {
		return e, err
	}
	loc, err := a.location(ctx, e.Contractor.SourceID)
	if err != nil {
		return e, err
	}
	withLocation(&e, loc)
	return e, nil
}

// location reads the freelancer's address with userDetails(id). Upwork may refuse it to a
// client token (the field is PII): any answer but a transient failure leaves the address
// empty, and a contractor 1099Policy refuses without one parks for an operator's details.
func (a *Adapter) location(ctx context.Context, userID string) (*Location, error) {
	var out struct {
		UserDetails *struct {
			Location *Location `json:"location"`
		} `json:"userDetails"`
	}
	err := a.query(ctx, UserDetailsQuery, map[string]any{"id": userID}, &out)
	var re *vendors.RetryableError
	switch {
	case errors.As(err, &re):
		return nil, err
	case err != nil || out.UserDetails == nil:
		return nil, nil
	}
	return out.UserDetails.Location, nil
}

// withLocation fills the contractor's address from userDetails.
func withLocation(e *vendors.Engagement, loc *Location) {
	if loc == nil {
		return
	}
	c := &e.Contractor
	c.Line1, c.City, c.Region, c.PostalCode = str(loc.Street), str(loc.CityName), str(loc.StateCode), str(loc.Zip)
	c.Country = vendors.Country(str(loc.CountryName))
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Map turns a contract into the normalised engagement (vendors.md "Upwork"); now decides
// whether a closed contract was cancelled (before its start) or ended.
func Map(c Contract, now time.Time) (vendors.Engagement, error) {
	e := vendors.Engagement{Vendor: Vendor, EngagementID: c.ID, Status: c.Status, Version: c.Version()}
	what := func(f string) string { return "upwork contract " + c.ID + " " + f }
	switch {
	case c.Kind == KindPayroll:
		e.OutOfScope = "payroll contract (W-2)"
		return e, nil
	case !slices.Contains(StatusInForce, c.Status) && c.Status != StatusClosed:
		return e, &vendors.APIError{What: what("status"), Body: "unknown status " + c.Status}
	case c.Freelancer == nil:
		return e, &vendors.APIError{What: what("freelancer"), Body: "missing"}
	}
	var err error
	switch h, f := c.Terms.HourlyTerms, c.Terms.FixedPriceTerms; {
	case len(h) > 0:
		e.Job.Wage, err = h[len(h)-1].HourlyRate.RawValue.Cents()
		e.Job.WageType = "hourly"
	case len(f) > 0:
		e.Job.Wage, err = f[len(f)-1].FixedAmount.RawValue.Cents()
		e.Job.WageType = "flatfee"
	default:
		return e, &vendors.APIError{What: what("terms"), Body: "missing: neither hourly nor fixed-price terms"}
	}
	if err != nil {
		return e, &vendors.APIError{What: what("terms rawValue"), Body: err.Error()}
	}
	if e.Start, err = vendors.WindowStart(c.StartDate); err != nil {
		return e, &vendors.APIError{What: what("startDate"), Body: err.Error()}
	}
	if end := str(c.EndDate); end != "" {
		if e.End, err = vendors.WindowEnd(end); err != nil {
			return e, &vendors.APIError{What: what("endDate"), Body: err.Error()}
		}
	}
	if t, err := time.Parse(time.RFC3339, c.ModifyDate); err == nil {
		e.UpdatedAt = t.UTC()
	}
	f := c.Freelancer
	// The email is the proxy (vendors.md): the activity gives it to an empty email.
	e.Contractor = vendors.Contractor{SourceID: f.ID, FirstName: f.FirstName, LastName: f.LastName}
	client := ""
	if c.ClientOrganization != nil {
		client = c.ClientOrganization.ID
	}
	// No work location: the job is remote work, sent without an address.
	e.Job.Name, e.Job.Description, e.Job.ClientID, e.Job.Category = c.Title, c.Title, client, c.Title
	ids := map[string]string{"engagement_id": c.ID}
	e.Metadata = vendors.Metadata{Contractor: map[string]string{"upwork_freelancer_id": f.ID}, Job: ids, Quote: ids, Session: ids,
		Assignment: ids, Certificate: ids}
	if c.Status == StatusClosed {
		e.Terminal = vendors.KindEnd
		if now.Unix() < e.Start {
			e.Terminal = vendors.KindCancel
		}
	}
	return e, nil
}

// FetchDocument: Upwork has no certificate object; certificates come through the operator
// intake route.
func (a *Adapter) FetchDocument(_ context.Context, _, id string) (vendors.Document, error) {
	return vendors.Document{}, &vendors.NotFoundError{What: "Upwork has no documents to fetch (document " + id + ")"}
}

// FetchInvoice: the integration records no Upwork invoices.
func (a *Adapter) FetchInvoice(context.Context, string, string) (vendors.Invoice, error) {
	return vendors.Invoice{}, &vendors.NotFoundError{What: "Upwork invoices are not part of the integration"}
}

// ListChanges finds nothing by itself: Upwork has no client-side listing. The poller uses
// Refresh with the running engagements' ids instead.
func (a *Adapter) ListChanges(_ context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	return nil, since, nil
}

// Refresh re-reads the given contracts in batches of BatchSize with contractList(ids). Each
// becomes an event carrying the contract's Version, so the poller signals only engagements
// that applied another one, and keyed by it, so a repeat is recognised as a duplicate.
func (a *Adapter) Refresh(ctx context.Context, ids []string) ([]vendors.Event, error) {
	var out []vendors.Event
	for i := 0; i < len(ids); i += BatchSize {
		batch := ids[i:min(i+BatchSize, len(ids))]
		var resp struct {
			ContractList struct {
				Contracts []Contract `json:"contracts"`
			} `json:"contractList"`
		}
		if err := a.query(ctx, ContractListQuery, map[string]any{"ids": batch}, &resp); err != nil {
			return nil, err
		}
		for _, c := range resp.ContractList.Contracts {
			at, _ := time.Parse(time.RFC3339, c.ModifyDate)
			version := c.Version()
			out = append(out, vendors.Event{Vendor: Vendor, Kind: vendors.KindUpdate, Name: "poll:" + c.Status, EngagementID: c.ID,
				NoStart: true, OccurredAt: at.UTC(), EventID: vendors.HashEventID(Vendor, "poll", c.ID, version), Version: version})
		}
	}
	return out, nil
}
