package console

import (
	"bytes"
	"encoding/csv"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/coverage-orchestrator/coverage/vendors"
)

const testToken = "ops-console-test"

// now is the tests' fixed clock.
var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	ops    *fakeOps
	srv    *httptest.Server
	client *http.Client
	clock  time.Time
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, ops: &fakeOps{started: map[string]time.Time{}}, clock: now}
	cfg.SessionKey = []byte("test-session-key")
	if cfg.OpsToken == "" {
		cfg.OpsToken = testToken
	}
	cfg.Now = func() time.Time { return h.clock }
	h.srv = httptest.NewServer(New(cfg, h.ops))
	t.Cleanup(h.srv.Close)
	jar, _ := cookiejar.New(nil)
	h.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

func (h *harness) get(path string) (int, string, http.Header) {
	h.t.Helper()
	resp, err := h.client.Get(h.srv.URL + path)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (h *harness) post(path string, form url.Values) (int, string, http.Header) {
	h.t.Helper()
	resp, err := h.client.PostForm(h.srv.URL+path, form)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	require.NotNil(t, m, "the page has a CSRF field")
	return m[1]
}

// signIn signs in through the login form and returns the overview page.
func (h *harness) signIn(name, secret string) (int, string) {
	h.t.Helper()
	_, page, _ := h.get(Prefix + "login")
	code, body, hdr := h.post(Prefix+"login", url.Values{"csrf": {csrfOf(h.t, page)}, "name": {name}, "secret": {secret}})
	if code != http.StatusSeeOther {
		return code, body
	}
	assert.Equal(h.t, Prefix, hdr.Get("Location"))
	code, body, _ = h.get(Prefix)
	return code, body
}

func hostile(s string) string { return s + `<script>alert(1)</script>"'&` }

// seed adds one engagement of each at-risk kind plus a covered one; every platform-supplied
// string is hostile markup.
func (h *harness) seed() {
	day := int64(24 * 3600)
	h.ops.add(engagement.Detail{Status: engagement.Status{Vendor: "remote", EngagementID: hostile("ct-1"), CoverageStatus: engagement.StatusUnprotected,
		CertificateStatus: engagement.CertificateNone, CoverageStart: now.Unix() - 2*day,
		Transitions: []engagement.Transition{{At: now.Add(-72 * time.Hour), From: "PENDING", To: "AWAITING_APPLICATION", Cause: hostile("session created")},
			{At: now.Add(-48 * time.Hour), From: "AWAITING_APPLICATION", To: "UNPROTECTED", Cause: "work started without coverage"}}},
		Contractor: vendors.Contractor{FirstName: "<script>", LastName: hostile("Doe"), Email: hostile("x@example.com"), Phone: hostile("+1"), SourceID: hostile("c-1")},
		WorkStart:  now.Unix() - 2*day, Open: true, Actions: []string{engagement.ActionResendSession, engagement.ActionEnd}, TakesCertificate: true})
	h.ops.add(engagement.Detail{Status: engagement.Status{Vendor: "upwork", EngagementID: "9001", CoverageStatus: engagement.StatusNeedsAttention,
		CertificateStatus: engagement.CertificateNone, AttentionReason: hostile("1099Policy needs the contractor's phone"), CoverageStart: now.Unix() + 3*day,
		Transitions: []engagement.Transition{{At: now.Add(-5 * time.Hour), From: "PENDING", To: "NEEDS_ATTENTION", Cause: "contractor refused: phone"}}},
		WorkStart: now.Unix() + 3*day, Open: true, Actions: []string{engagement.ActionRetry, engagement.ActionEnd}})
	h.ops.add(engagement.Detail{Status: engagement.Status{Vendor: "workmarket", EngagementID: "48213", CoverageStatus: engagement.StatusAwaitingApplication,
		CertificateStatus: engagement.CertificateFlagged, CoverageStart: now.Unix() + 5*day,
		Policy:      engagement.PolicyRefs{CertificateID: "cert_1", SessionID: "ias_1", SessionURL: "https://apply.example/ias_1"},
		Transitions: []engagement.Transition{{At: now.Add(-1 * time.Hour), From: "AWAITING_APPLICATION", To: "AWAITING_APPLICATION", Cause: "certificate review: certificate.flagged"}}},
		WorkStart: now.Unix() + 5*day, Open: true,
		Actions: []string{engagement.ActionResendSession, engagement.ActionApproveCertificate, engagement.ActionRejectCertificate, engagement.ActionEnd}})
	h.ops.add(engagement.Detail{Status: engagement.Status{Vendor: "jobdiva", EngagementID: "pl-1", CoverageStatus: engagement.StatusInsured,
		CertificateStatus: engagement.CertificateNone, CoverageStart: now.Unix() + 20*day}, WorkStart: now.Unix() + 20*day, Open: true,
		Actions: []string{engagement.ActionEnd}})
}

func TestLoginPageIsLabelled(t *testing.T) {
	h := newHarness(t, Config{})
	_, body, _ := h.get(Prefix + "login")
	assertLabelled(t, "login", body)
	code, _, hdr := h.get("/console")
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, Prefix, hdr.Get("Location"))
}

func TestPagesNeedSignIn(t *testing.T) {
	h := newHarness(t, Config{})
	for _, p := range []string{"", "queues", "ledger", "ledger.csv", "engagements/upwork/9001"} {
		code, _, hdr := h.get(Prefix + p)
		assert.Equal(t, http.StatusSeeOther, code, p)
		assert.True(t, strings.HasPrefix(hdr.Get("Location"), Prefix+"login"), p)
	}
	code, _, _ := h.post(Prefix+"engagements/upwork/9001/actions/end", url.Values{})
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestSignInWithTheOpsToken(t *testing.T) {
	h := newHarness(t, Config{})
	code, body := h.signIn("Dana", "wrong")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, body, "sign-in failed")
	code, body = h.signIn("Dana", testToken)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Signed in as <strong>Dana (ops token)</strong>")
}

func TestLoginFormWithoutItsTokenIsRefused(t *testing.T) {
	h := newHarness(t, Config{})
	h.get(Prefix + "login")
	code, _, hdr := h.post(Prefix+"login", url.Values{"name": {"x"}, "secret": {testToken}})
	assert.Equal(t, http.StatusForbidden, code)
	for _, c := range hdr.Values("Set-Cookie") {
		assert.NotContains(t, c, sessionCookie+"=")
	}
}

func TestSignInWithConsoleUsers(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	require.NoError(t, err)
	users, err := ParseUsers([]string{"alice:" + string(hash)})
	require.NoError(t, err)
	h := newHarness(t, Config{Users: users})
	code, _ := h.signIn("alice", testToken) // the ops token no longer signs in
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = h.signIn("bob", "correct horse")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body := h.signIn("alice", "correct horse")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Signed in as <strong>alice</strong>")

	_, err = ParseUsers([]string{"carol:plaintext"})
	assert.ErrorContains(t, err, `"carol"`)
}

func TestSessionCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHarness(t, Config{Secure: secure})
		_, page, _ := h.get(Prefix + "login")
		_, _, hdr := h.post(Prefix+"login", url.Values{"csrf": {csrfOf(t, page)}, "secret": {testToken}})
		var session *http.Cookie
		for _, c := range (&http.Response{Header: hdr}).Cookies() {
			if c.Name == sessionCookie {
				session = c
			}
		}
		require.NotNil(t, session)
		assert.True(t, session.HttpOnly)
		assert.Equal(t, http.SameSiteStrictMode, session.SameSite)
		assert.Equal(t, secure, session.Secure)
		assert.Equal(t, Prefix, session.Path)
		assert.Equal(t, int((8 * time.Hour).Seconds()), session.MaxAge)
	}
}

func TestSessionExpires(t *testing.T) {
	h := newHarness(t, Config{SessionTTL: time.Hour})
	code, _ := h.signIn("", testToken)
	require.Equal(t, http.StatusOK, code)
	h.clock = h.clock.Add(59 * time.Minute)
	code, _, _ = h.get(Prefix)
	assert.Equal(t, http.StatusOK, code)
	h.clock = h.clock.Add(2 * time.Minute)
	code, _, _ = h.get(Prefix)
	assert.Equal(t, http.StatusSeeOther, code)
}

func TestSignOutRevokesTheSession(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	_, body := h.signIn("", testToken)
	u, _ := url.Parse(h.srv.URL + Prefix)
	old := h.client.Jar.Cookies(u)
	code, _, hdr := h.post(Prefix+"logout", url.Values{"csrf": {csrfOf(t, body)}})
	require.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, Prefix+"login", hdr.Get("Location"))
	// Replay the cookie from before sign-out.
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, old)
	h.client.Jar = jar
	code, _, _ = h.get(Prefix)
	assert.Equal(t, http.StatusSeeOther, code, "a page with the old cookie")
	code, _, _ = h.post(Prefix+"engagements/upwork/9001/actions/retry", url.Values{"csrf": {csrfOf(t, body)}})
	assert.Equal(t, http.StatusUnauthorized, code, "a form with the old cookie")
	assert.Empty(t, h.ops.acted)
}

func TestFormWithoutCSRFIsRefused(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.signIn("", testToken)
	for _, form := range []url.Values{{}, {"csrf": {"forged"}}} {
		code, body, _ := h.post(Prefix+"engagements/upwork/9001/actions/retry", form)
		assert.Equal(t, http.StatusForbidden, code)
		assert.Contains(t, body, "CSRF")
	}
	assert.Empty(t, h.ops.acted)
	// Another session's token is refused too.
	other := newHarness(t, Config{})
	_, otherPage := other.signIn("", testToken)
	code, _, _ := h.post(Prefix+"engagements/upwork/9001/actions/retry", url.Values{"csrf": {csrfOf(t, otherPage)}})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Empty(t, h.ops.acted)
}

// Every platform-supplied string renders as text.
func TestPagesEscapePlatformStrings(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.signIn("", testToken)
	pages := []string{"", "queues", "ledger?from=2026-11-01&to=2026-11-30", "engagements/remote/" + url.PathEscape(hostile("ct-1")), "engagements/upwork/9001"}
	for _, p := range pages {
		code, body, _ := h.get(Prefix + p)
		require.Equal(t, http.StatusOK, code, p)
		assert.NotContains(t, body, "<script>", p)
		assert.Contains(t, body, "&lt;script&gt;", p)
		assertLabelled(t, p, body)
	}
	_, body, _ := h.get(Prefix + "engagements/remote/" + url.PathEscape(hostile("ct-1")))
	assert.Contains(t, body, "<dd>&lt;script&gt; Doe&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;</dd>", "the contractor's name as text")
}

func TestOverviewListsAtRiskFirst(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	_, body := h.signIn("", testToken)
	risk, all := strings.Index(body, `id="risk-h"`), strings.Index(body, `id="all"`)
	require.True(t, risk > 0 && all > risk, "the at-risk list comes before the full list")
	order := []string{`id="risk-UNPROTECTED"`, `id="risk-NEEDS_ATTENTION"`, `id="risk-AWAITING_APPLICATION"`, `id="risk-FLAGGED"`}
	last := 0
	for _, o := range order {
		i := strings.Index(body, o)
		require.Greater(t, i, last, o)
		last = i
	}
	assert.Contains(t, body, "1099Policy needs the contractor&#39;s phone")
	assert.Contains(t, body, "starts in 5 days") // workmarket 48213, 5 days from the clock
	assert.NotContains(t, body[risk:all], "pl-1", "an insured engagement is not at risk")

	// Filters: platform upwork keeps only its rows.
	_, body, _ = h.get(Prefix + "?platform=upwork")
	assert.Contains(t, body, "9001")
	assert.NotContains(t, body, "48213")
	// Paging: one row per page would need the fake's page size; the list links the next page.
	for i := range 60 {
		h.ops.add(engagement.Detail{Status: engagement.Status{Vendor: "jobdiva", EngagementID: "bulk-" + strconvI(i), CoverageStatus: engagement.StatusInsured}})
	}
	_, body, _ = h.get(Prefix + "?platform=jobdiva")
	assert.Contains(t, body, `rel="next"`)
}

func strconvI(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) }

func TestEngagementOffersOnlyWhatApplies(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.signIn("", testToken)
	_, body, _ := h.get(Prefix + "engagements/upwork/9001")
	assert.Contains(t, body, "Retry the parked step")
	assert.Contains(t, body, "Supply the details")
	assert.NotContains(t, body, "Approve the certificate")
	assert.NotContains(t, body, "Hand in the certificate", "no contractor in 1099Policy yet")
	_, body, _ = h.get(Prefix + "engagements/workmarket/48213")
	assert.Contains(t, body, "Approve the certificate")
	assert.Contains(t, body, "Reject the certificate")
	assert.NotContains(t, body, "Retry the parked step")
	assertLabelled(t, "engagement", body)
}

var controlRE = regexp.MustCompile(`<(input|select)\b[^>]*>`)

// assertLabelled checks that every visible form control has an id and a label for it.
func assertLabelled(t *testing.T, page, body string) {
	t.Helper()
	tags := controlRE.FindAllString(body, -1)
	require.NotEmpty(t, tags, page)
	for _, tag := range tags {
		if strings.Contains(tag, `type="hidden"`) {
			continue
		}
		id := regexp.MustCompile(`id="([^"]+)"`).FindStringSubmatch(tag)
		if assert.NotNil(t, id, "%s: a control without an id: %s", page, tag) {
			assert.Contains(t, body, `<label for="`+id[1]+`"`, "%s: %s has no label", page, id[1])
		}
	}
}

func TestActionRecordsWhoActedAndRedirects(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.signIn("Dana", testToken)
	_, page, _ := h.get(Prefix + "engagements/workmarket/48213")
	code, _, hdr := h.post(Prefix+"engagements/workmarket/48213/actions/reject-certificate",
		url.Values{"csrf": {csrfOf(t, page)}, "note": {"dates do not cover the work"}, "request_id": {"req-1"}})
	require.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, Prefix+"engagements/workmarket/48213", hdr.Get("Location"))
	require.Len(t, h.ops.acted, 1)
	assert.Equal(t, engagement.OperatorAction{Action: engagement.ActionRejectCertificate, RequestID: "req-1",
		Note: "dates do not cover the work — by Dana (ops token) (console)"}, h.ops.acted[0])
	_, body, _ := h.get(Prefix + "engagements/workmarket/48213")
	assert.Contains(t, body, `class="flash ok"`)
	assert.Contains(t, body, "Done: reject the certificate.")
	_, body, _ = h.get(Prefix + "engagements/workmarket/48213")
	assert.NotContains(t, body, `class="flash`, "the message shows once")
}

func TestRefusedActionIsShownInWords(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.signIn("", testToken)
	h.ops.actErr = echo.NewHTTPError(http.StatusConflict, "nothing is parked: the engagement is INSURED")
	_, page, _ := h.get(Prefix + "engagements/upwork/9001")
	code, _, _ := h.post(Prefix+"engagements/upwork/9001/actions/retry", url.Values{"csrf": {csrfOf(t, page)}})
	require.Equal(t, http.StatusSeeOther, code)
	_, body, _ := h.get(Prefix + "engagements/upwork/9001")
	assert.Contains(t, body, "Not done: this does not apply now — nothing is parked: the engagement is INSURED.")
}

func TestSupplyDetailsAndCertificate(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.signIn("Dana", testToken)
	_, page, _ := h.get(Prefix + "engagements/remote/" + url.PathEscape(hostile("ct-1")))
	csrf := csrfOf(t, page)
	code, _, _ := h.post(Prefix+"engagements/upwork/9001/contractor", url.Values{"csrf": {csrf}, "phone": {"+1 415 555 0100"},
		"line1": {"1 Main St"}, "locality": {"Austin"}, "region": {"tx"}, "postalcode": {"78701"}, "country": {"us"}})
	require.Equal(t, http.StatusSeeOther, code)
	require.Len(t, h.ops.supplied, 1)
	assert.Equal(t, engagement.ContractorDetails{Phone: "+1 415 555 0100", Address: &engagement.ContactAddress{Line1: "1 Main St", Locality: "Austin",
		Region: "TX", PostalCode: "78701", Country: "US"}, Note: "by Dana (ops token) (console)"}, h.ops.supplied[0])

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("certificate", "coi.pdf")
	_, _ = fw.Write([]byte("%PDF-1.4 test"))
	_ = mw.Close()
	resp, err := h.client.Post(h.srv.URL+Prefix+"engagements/upwork/9001/certificate", mw.FormDataContentType(), &buf)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Len(t, h.ops.certs, 1)
	assert.Equal(t, "coi.pdf", h.ops.certs[0].FileName)
	assert.Equal(t, "by Dana (ops token) (console)", h.ops.certs[0].Note)
}

func TestUploadOver15MBIsRefused(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	_, page := h.signIn("", testToken)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", csrfOf(t, page))
	fw, _ := mw.CreateFormFile("certificate", "big.pdf")
	_, _ = fw.Write(append([]byte("%PDF-1.4"), make([]byte, MaxCertificate+2<<20)...))
	_ = mw.Close()
	resp, err := h.client.Post(h.srv.URL+Prefix+"engagements/upwork/9001/certificate", mw.FormDataContentType(), &buf)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Contains(t, string(body), "larger than 15 MB")
	assert.Empty(t, h.ops.certs)
}

func TestQueuesOldestFirstWithForms(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.ops.add(engagement.Detail{Status: engagement.Status{Vendor: "remote", EngagementID: "older-parked", CoverageStatus: engagement.StatusNeedsAttention,
		AttentionReason: "no category mapping", Transitions: []engagement.Transition{{At: now.Add(-30 * time.Hour), From: "PENDING", To: "NEEDS_ATTENTION", Cause: "x"}}},
		Open: true, Actions: []string{engagement.ActionRetry, engagement.ActionEnd}})
	_, _ = h.signIn("", testToken)
	code, body, _ := h.get(Prefix + "queues")
	require.Equal(t, http.StatusOK, code)
	older, newer := strings.Index(body, "older-parked"), strings.Index(body, ">upwork 9001<")
	require.True(t, older > 0 && newer > older, "oldest parked first")
	assert.Contains(t, body, "engagements/workmarket/48213/actions/approve-certificate")
	assert.Contains(t, body, "engagements/upwork/9001/actions/retry")
	assert.Contains(t, body, `name="back" value="queues"`)
}

func TestLedgerPageAndCSV(t *testing.T) {
	h := newHarness(t, Config{})
	h.seed()
	h.signIn("", testToken)
	code, body, _ := h.get(Prefix + "ledger?from=2026-11-01&to=2026-11-30")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "<svg class=\"bar\"")
	code, body, hdr := h.get(Prefix + "ledger.csv?from=2026-11-01&to=2026-11-30&platform=remote")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "text/csv; charset=utf-8", hdr.Get("Content-Type"))
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	// remote ct-1: work from 2026-11-18 12:00 (two days before the clock), unprotected since
	// 2026-11-18 12:00, projected from the clock to the range's end (2026-12-01).
	require.Equal(t, [][]string{ledgerCSVHeader,
		{"engagement:remote:" + hostile("ct-1"), "remote", hostile("ct-1"), "2026-11-18T12:00:00Z", "2026-11-20T12:00:00Z", "2.00", "false", "UNPROTECTED", "work started without coverage", "false"},
		{"engagement:remote:" + hostile("ct-1"), "remote", hostile("ct-1"), "2026-11-20T12:00:00Z", "2026-12-01T00:00:00Z", "10.50", "false", "UNPROTECTED", "work started without coverage", "true"},
	}, rows)
	code, _, _ = h.get(Prefix + "ledger?from=2026-12-01&to=2026-11-01")
	assert.Equal(t, http.StatusBadRequest, code)
}
