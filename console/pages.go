package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/labstack/echo/v4"

	"github.com/coverage-orchestrator/coverage/config"
)

// view is what every page template gets: the frame (user, CSRF token, message) and the page's data.
type view struct {
	Title string
	Nav   string
	User  string
	CSRF  string
	Flash *flash
	Error string
	Code  int
	Data  any
}

func (c *Console) frame(q *request, title, nav string, data any) *view {
	return &view{Title: title, Nav: nav, User: q.sess.Name, CSRF: c.keys.csrf(q.sess.ID), Flash: c.takeFlash(q.w, q.r), Data: data}
}

// --- sign-in ---

type loginData struct {
	Next     string
	Users    bool // CONSOLE_USERS set: name and password
	Error    string
	LoginTok string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.showLogin(w, r, http.StatusOK, "")
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, code int, msg string) {
	nonce := randomID()
	c.setCookie(w, loginCookie, nonce, 30*time.Minute)
	w.WriteHeader(code)
	c.render(w, "login", &view{Title: "Sign in", CSRF: c.keys.csrf("login:" + nonce),
		Data: loginData{Next: safeNext(r.FormValue("next")), Users: len(c.cfg.Users) > 0, Error: msg}})
}

// safeNext keeps a post-login destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return Prefix
	}
	return next
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(loginCookie)
	if err != nil || !c.keys.checkCSRF("login:"+ck.Value, r.FormValue(csrfField)) {
		c.showLogin(w, r, http.StatusForbidden, "The sign-in form was refused (its security token was missing or old). Try again.")
		return
	}
	name, err := c.authenticate(r.FormValue("name"), r.FormValue("secret"))
	if err != nil {
		c.showLogin(w, r, http.StatusUnauthorized, err.Error())
		return
	}
	s := session{Name: name, ID: randomID(), Expires: c.now().Add(c.cfg.SessionTTL).Unix()}
	c.clearCookie(w, loginCookie)
	c.setCookie(w, sessionCookie, c.keys.seal(sessionCookie, s), c.cfg.SessionTTL)
	http.Redirect(w, r, safeNext(r.FormValue("next")), http.StatusSeeOther)
}

func (c *Console) logout(q *request) error {
	c.keys.revoke(q.sess)
	c.clearCookie(q.w, sessionCookie)
	http.Redirect(q.w, q.r, Prefix+"login", http.StatusSeeOther)
	return nil
}

// --- overview ---

// riskKind is one at-risk group of the overview.
type riskKind struct {
	Key, Title string
	// Certificate marks a group of a certificate status: the status filter narrows it rather
	// than hiding it.
	Certificate bool
	Query       func(vendor string, now time.Time) ListQuery
	// Note says why a row is at risk ("": nothing beyond the row).
	Note func(ctx context.Context, ops Operations, it engagement.Summary, now time.Time) (string, error)
}

// riskKinds are the at-risk groups, most urgent first.
var riskKinds = []riskKind{
	{Key: string(engagement.StatusUnprotected), Title: "Unprotected: working without coverage",
		Query: func(v string, _ time.Time) ListQuery {
			return ListQuery{Vendor: v, Status: string(engagement.StatusUnprotected), Running: true}
		},
		Note: func(ctx context.Context, ops Operations, it engagement.Summary, _ time.Time) (string, error) {
			st, err := ops.Status(ctx, it.Vendor, it.EngagementID)
			for _, t := range slices.Backward(st.Transitions) {
				if t.To == engagement.StatusUnprotected && t.From != engagement.StatusUnprotected {
					return t.Cause + " (" + t.At.UTC().Format("2006-01-02 15:04 UTC") + ")", err
				}
			}
			return "", err
		}},
	{Key: string(engagement.StatusNeedsAttention), Title: "Needs attention: parked until an operator acts",
		Query: func(v string, _ time.Time) ListQuery {
			return ListQuery{Vendor: v, Status: string(engagement.StatusNeedsAttention), Running: true}
		},
		Note: func(ctx context.Context, ops Operations, it engagement.Summary, _ time.Time) (string, error) {
			st, err := ops.Status(ctx, it.Vendor, it.EngagementID)
			return st.AttentionReason, err
		}},
	{Key: string(engagement.StatusAwaitingApplication), Title: "Awaiting the contractor's application, work starts within 7 days",
		Query: func(v string, now time.Time) ListQuery {
			return ListQuery{Vendor: v, Status: string(engagement.StatusAwaitingApplication), Running: true, StartsBefore: now.Add(atRiskWindow)}
		},
		Note: func(_ context.Context, _ Operations, it engagement.Summary, now time.Time) (string, error) {
			return daysLeft(it.CoverageStart, now), nil
		}},
	{Key: string(engagement.CertificateFlagged), Title: "Flagged certificates waiting for a decision", Certificate: true,
		Query: func(v string, _ time.Time) ListQuery {
			return ListQuery{Vendor: v, Certificate: string(engagement.CertificateFlagged), Running: true}
		}},
}

// atRiskWindow is how soon a start without an application counts as at risk.
const atRiskWindow = 7 * 24 * time.Hour

// atRiskRows is how many rows each at-risk group shows (the rest: its filtered list).
const atRiskRows = 25

type riskGroup struct {
	Key, Title string
	Total      int64
	Rows       []riskRow
	MoreURL    string
}

type riskRow struct {
	engagement.Summary
	Note string // reason, days left
}

type countRow struct {
	Status   string
	ByVendor []int64
	Total    int64
}

type overviewData struct {
	Vendors, Statuses []string
	Vendor, Status    string
	Counts            []countRow
	VendorTotals      []int64
	Total             int64
	Risks             []riskGroup
	Page              ListPage
	NextURL           string
}

func (c *Console) overview(q *request) error {
	vendor, status := q.r.FormValue("platform"), q.r.FormValue("status")
	if vendor != "" && !slices.Contains(config.Vendors, vendor) {
		vendor = ""
	}
	if status != "" && !slices.Contains(engagement.CoverageStatuses, engagement.CoverageStatus(status)) {
		status = ""
	}
	ctx, cancel := context.WithTimeout(q.r.Context(), readTimeout)
	defer cancel()
	d := overviewData{Vendors: config.Vendors, Vendor: vendor, Status: status}
	for _, s := range engagement.CoverageStatuses {
		d.Statuses = append(d.Statuses, string(s))
	}
	// Counts of open engagements by status and platform, from visibility.
	open := engagement.OpenStatuses
	d.Counts = make([]countRow, len(open))
	for i, s := range open {
		d.Counts[i] = countRow{Status: string(s), ByVendor: make([]int64, len(config.Vendors))}
	}
	err := parallel(len(open)*len(config.Vendors), func(i int) error {
		si, vi := i/len(config.Vendors), i%len(config.Vendors)
		n, err := c.ops.Count(ctx, ListQuery{Vendor: config.Vendors[vi], Status: string(open[si]), Running: true})
		d.Counts[si].ByVendor[vi] = n
		return err
	})
	if err != nil {
		return err
	}
	d.VendorTotals = make([]int64, len(config.Vendors))
	for i := range d.Counts {
		for vi, n := range d.Counts[i].ByVendor {
			d.Counts[i].Total += n
			d.VendorTotals[vi] += n
			d.Total += n
		}
	}
	// The at-risk groups, filtered like the list.
	now := c.now()
	for _, k := range riskKinds {
		if status != "" && !k.Certificate && status != k.Key {
			continue
		}
		lq := k.Query(vendor, now)
		if k.Certificate {
			lq.Status = status
		}
		g := riskGroup{Key: k.Key, Title: k.Title}
		lq.PageSize = atRiskRows
		page, err := c.ops.List(ctx, lq)
		if err != nil {
			return err
		}
		if g.Total, err = c.ops.Count(ctx, lq); err != nil {
			return err
		}
		g.Rows = make([]riskRow, len(page.Engagements))
		err = parallel(len(page.Engagements), func(i int) error {
			it := page.Engagements[i]
			g.Rows[i] = riskRow{Summary: it}
			if k.Note == nil {
				return nil
			}
			var err error
			g.Rows[i].Note, err = k.Note(ctx, c.ops, it, now)
			return err
		})
		if err != nil {
			return err
		}
		switch {
		case g.Total <= int64(len(g.Rows)):
		case k.Certificate:
			g.MoreURL = Prefix + "queues"
		default:
			g.MoreURL = listURL(vendor, k.Key)
		}
		d.Risks = append(d.Risks, g)
	}
	page, err := c.ops.List(ctx, ListQuery{Vendor: vendor, Status: status, PageToken: q.r.FormValue("page"), PageSize: 50})
	if err != nil {
		return err
	}
	d.Page = page
	if page.NextPageToken != "" {
		d.NextURL = listURL(vendor, status) + "&page=" + url.QueryEscape(page.NextPageToken) + "#all"
	}
	return c.render(q.w, "overview", c.frame(q, "Overview", "overview", d))
}

func listURL(vendor, status string) string {
	v := url.Values{}
	v.Set("platform", vendor)
	v.Set("status", status)
	return Prefix + "?" + v.Encode()
}

// daysLeft says when the work starts, in whole days (rounded up).
func daysLeft(start, now time.Time) string {
	if start.IsZero() {
		return "start date unknown"
	}
	d := start.Sub(now)
	if d <= 0 {
		return "work has started"
	}
	days := int((d + 24*time.Hour - 1) / (24 * time.Hour))
	if days == 1 {
		return "starts in 1 day"
	}
	return fmt.Sprintf("starts in %d days", days)
}

// --- engagement ---

type engagementData struct {
	engagement.Detail
	Path          string
	TemporalUIURL string
	Timeline      []engagement.Transition // newest first
	Ledger        LedgerRow
}

func (c *Console) engagement(q *request) error {
	vendor, id := q.r.PathValue("vendor"), q.r.PathValue("id")
	ctx, cancel := context.WithTimeout(q.r.Context(), readTimeout)
	defer cancel()
	d, err := c.ops.Detail(ctx, vendor, id)
	if err != nil {
		return err
	}
	data := engagementData{Detail: d, Path: engagementPath(vendor, id)}
	if c.cfg.TemporalUIURL != "" {
		data.TemporalUIURL = strings.TrimSuffix(c.cfg.TemporalUIURL, "/") + "/workflows/" + url.PathEscape(d.WorkflowID)
	}
	data.Timeline = slices.Clone(d.Transitions)
	slices.Reverse(data.Timeline)
	now := c.now()
	if d.WorkStart > 0 {
		from := time.Unix(d.WorkStart, 0).UTC()
		to := now
		if d.WorkEnd > 0 {
			to = time.Unix(d.WorkEnd, 0).UTC()
		}
		if to.Before(from) {
			to = from
		}
		data.Ledger = Ledger(d, from, to.Add(time.Second), now)
	}
	return c.render(q.w, "engagement", c.frame(q, d.Vendor+" "+d.EngagementID, "", data))
}

func engagementPath(vendor, id string) string {
	return Prefix + "engagements/" + url.PathEscape(vendor) + "/" + url.PathEscape(id)
}

// note is what an action records: the operator's words and who acted.
func (q *request) note() string {
	by := "by " + q.sess.Name + " (console)"
	if n := strings.TrimSpace(q.r.FormValue("note")); n != "" {
		return n + " — " + by
	}
	return by
}

// done redirects back to the engagement with the outcome (post-redirect-get).
func (c *Console) done(q *request, ok string, err error) error {
	vendor, id := q.r.PathValue("vendor"), q.r.PathValue("id")
	if err != nil {
		_, msg := errorInWords(err)
		c.setFlash(q.w, flash{Kind: "error", Message: msg})
	} else {
		c.setFlash(q.w, flash{Kind: "ok", Message: ok})
	}
	back := engagementPath(vendor, id)
	if r := q.r.FormValue("back"); r == "queues" {
		back = Prefix + "queues"
	}
	http.Redirect(q.w, q.r, back, http.StatusSeeOther)
	return nil
}

// actionLabels name the operator actions as the page offers them.
var actionLabels = map[string]string{
	engagement.ActionRetry:              "Retry the parked step",
	engagement.ActionResendSession:      "Send a new application session",
	engagement.ActionApproveCertificate: "Approve the certificate",
	engagement.ActionRejectCertificate:  "Reject the certificate",
	engagement.ActionEnd:                "End the engagement",
}

func (c *Console) act(q *request) error {
	action := q.r.PathValue("action")
	if !slices.Contains(engagement.OperatorActions, action) {
		return c.done(q, "", echo.NewHTTPError(http.StatusNotFound, "unknown action "+strconv.Quote(action)))
	}
	ctx, cancel := context.WithTimeout(q.r.Context(), actionTimeout)
	defer cancel()
	st, err := c.ops.Act(ctx, q.r.PathValue("vendor"), q.r.PathValue("id"),
		engagement.OperatorAction{Action: action, RequestID: q.r.FormValue("request_id"), Note: q.note()})
	return c.done(q, fmt.Sprintf("Done: %s. The engagement is now %s.", strings.ToLower(actionLabels[action]), st.CoverageStatus), err)
}

func (c *Console) supplyDetails(q *request) error {
	d := engagement.ContractorDetails{Email: strings.TrimSpace(q.r.FormValue("email")), Phone: strings.TrimSpace(q.r.FormValue("phone"))}
	a := engagement.ContactAddress{Line1: strings.TrimSpace(q.r.FormValue("line1")), Locality: strings.TrimSpace(q.r.FormValue("locality")),
		Region: strings.ToUpper(strings.TrimSpace(q.r.FormValue("region"))), PostalCode: strings.TrimSpace(q.r.FormValue("postalcode")),
		Country: strings.ToUpper(strings.TrimSpace(q.r.FormValue("country")))}
	if a != (engagement.ContactAddress{}) {
		d.Address = &a
	}
	d.Note = q.note()
	ctx, cancel := context.WithTimeout(q.r.Context(), actionTimeout)
	defer cancel()
	st, err := c.ops.SupplyDetails(ctx, q.r.PathValue("vendor"), q.r.PathValue("id"), q.r.FormValue("request_id"), d)
	return c.done(q, fmt.Sprintf("Contact details supplied. The engagement is now %s.", st.CoverageStatus), err)
}

func (c *Console) handInCertificate(q *request) error {
	cert, err := ReadCertificate(q.w, q.r)
	if err != nil {
		return c.done(q, "", err)
	}
	cert.Note = q.note()
	ctx, cancel := context.WithTimeout(q.r.Context(), actionTimeout)
	defer cancel()
	st, err := c.ops.HandInCertificate(ctx, q.r.PathValue("vendor"), q.r.PathValue("id"), q.r.FormValue("request_id"), cert)
	return c.done(q, fmt.Sprintf("Certificate handed in for review (certificate %s).", st.CertificateStatus), err)
}

// --- queues ---

// queueLimit bounds each queue read (oldest first needs the whole queue in hand).
const queueLimit = 500

type queueRow struct {
	engagement.Detail
	Since time.Time
	Path  string
}

type queuesData struct {
	Flagged, Parked []queueRow
	Truncated       bool
}

func (c *Console) queues(q *request) error {
	ctx, cancel := context.WithTimeout(q.r.Context(), readTimeout)
	defer cancel()
	var d queuesData
	load := func(lq ListQuery, since func(engagement.Detail, engagement.Summary) time.Time) ([]queueRow, error) {
		lq.Running, lq.PageSize = true, queueLimit
		page, err := c.ops.List(ctx, lq)
		if err != nil {
			return nil, err
		}
		d.Truncated = d.Truncated || page.NextPageToken != ""
		rows := make([]queueRow, len(page.Engagements))
		err = parallel(len(rows), func(i int) error {
			it := page.Engagements[i]
			det, err := c.ops.Detail(ctx, it.Vendor, it.EngagementID)
			rows[i] = queueRow{Detail: det, Since: since(det, it), Path: engagementPath(it.Vendor, it.EngagementID)}
			return err
		})
		slices.SortStableFunc(rows, func(a, b queueRow) int { return a.Since.Compare(b.Since) })
		return rows, err
	}
	var err error
	// A flagged certificate waits since its review said so; a parked engagement since it parked.
	if d.Flagged, err = load(ListQuery{Certificate: string(engagement.CertificateFlagged)}, func(det engagement.Detail, it engagement.Summary) time.Time {
		return lastTransition(det, func(t engagement.Transition) bool { return strings.Contains(t.Cause, "flagged") }, it.Started)
	}); err != nil {
		return err
	}
	if d.Parked, err = load(ListQuery{Status: string(engagement.StatusNeedsAttention)}, func(det engagement.Detail, it engagement.Summary) time.Time {
		return lastTransition(det, func(t engagement.Transition) bool {
			return t.To == engagement.StatusNeedsAttention && t.From != engagement.StatusNeedsAttention
		}, it.Started)
	}); err != nil {
		return err
	}
	return c.render(q.w, "queues", c.frame(q, "Queues", "queues", d))
}

// lastTransition is the time of the newest transition that matches (else fallback).
func lastTransition(d engagement.Detail, match func(engagement.Transition) bool, fallback time.Time) time.Time {
	for i := len(d.Transitions) - 1; i >= 0; i-- {
		if match(d.Transitions[i]) {
			return d.Transitions[i].At
		}
	}
	return fallback
}
