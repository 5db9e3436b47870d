package e2e

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/demo"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestConsoleInBrowser drives the operations console in Debian's headless Chromium against the
// real stack (dev server, worker, ingress, sandboxes) loaded with `make demo`'s mix: sign in,
// the demo's engagements with their statuses, approve a flagged certificate (INSURED), hand in
// a certificate and reject it with a note (seen in the timeline), supply a parked Upwork
// contractor's contact details (the engagement leaves NEEDS_ATTENTION), download the ledger CSV
// with a known gap, a form without its CSRF token refused, and the session cookie from before
// sign-out refused. Screenshots of every page go to the test's artifact directory (go test
// -artifacts keeps them).
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: 2 * time.Second, RequireContactDetails: true, // as make run's sandbox
		ExtraEnv: []string{"CONSOLE_ENABLED=true"}})
	list, err := demo.Run(context.Background(), demo.Config{PlatformSandboxURL: s.PlatformURL, PolicySandboxURL: s.PolicyURL,
		PolicyAPIKey: testenv.PolicyKey, IngressURL: s.IngressURL, OpsToken: testenv.OpsToken, Prefix: "c24-"})
	require.NoError(t, err)
	for _, e := range list {
		waitStatus(t, s, e.Platform, e.ID, e.Want, e.WantCertificate)
	}
	late, parked := demoEngagement(t, list, "UNPROTECTED"), demoEngagement(t, list, "NEEDS_ATTENTION")
	require.Equal(t, "upwork", parked.Platform)

	shots := t.ArtifactDir()
	ctx := newBrowser(t)
	base := s.IngressURL + "/console/"
	begun := time.Now()
	run := func(actions ...chromedp.Action) {
		t.Helper()
		step := time.Now()
		require.NoError(t, chromedp.Run(ctx, actions...))
		if d := time.Since(step); d > 10*time.Second {
			t.Logf("a browser step took %s (%s into the test)", d.Round(time.Millisecond), time.Since(begun).Round(time.Second))
		}
	}
	text := func(sel string) string {
		t.Helper()
		var out string
		run(chromedp.Text(sel, &out, chromedp.ByQuery))
		return out
	}

	// Sign in.
	run(chromedp.Navigate(base), chromedp.WaitVisible(`#secret`, chromedp.ByQuery))
	screenshot(t, ctx, shots, "login")
	run(chromedp.SendKeys(`#name`, "Dana", chromedp.ByQuery), chromedp.SendKeys(`#secret`, testenv.OpsToken, chromedp.ByQuery),
		chromedp.Submit(`#secret`, chromedp.ByQuery), chromedp.WaitVisible(`#risk-h`, chromedp.ByQuery))
	assert.Contains(t, text("header"), "Dana (ops token)")

	// The demo's engagements appear with their statuses.
	var rows []string
	run(chromedp.Evaluate(`Array.from(document.querySelectorAll('section[aria-labelledby="all"] tbody tr')).map(r => r.innerText)`, &rows))
	for _, e := range list {
		row := findRow(rows, e.ID)
		if assert.NotEmpty(t, row, e.ID) {
			assert.Contains(t, row, e.Want, e.ID)
		}
	}
	risk := text(`section[aria-labelledby="risk-h"]`)
	assert.Contains(t, risk, late.ID, "unprotected work is at risk")
	assert.Contains(t, risk, parked.ID, "a parked engagement is at risk")
	screenshot(t, ctx, shots, "overview")

	// Approve the flagged certificate from the queues page: the engagement is INSURED.
	flagged := demoEngagement(t, list, "FLAGGED")
	approve := `form[action="/console/engagements/workmarket/` + flagged.ID + `/actions/approve-certificate"]`
	run(chromedp.Navigate(base+"queues"), chromedp.WaitVisible(approve, chromedp.ByQuery))
	screenshot(t, ctx, shots, "queues")
	run(chromedp.SendKeys(approve+` input[name="note"]`, "dates and limits checked", chromedp.ByQuery),
		chromedp.Click(approve+` button`, chromedp.ByQuery), chromedp.WaitVisible(`p.flash`, chromedp.ByQuery))
	assert.Contains(t, text(`p.flash`), "INSURED")
	run(chromedp.Navigate(base+"engagements/workmarket/"+flagged.ID), chromedp.WaitVisible(`p.lead`, chromedp.ByQuery))
	assert.Contains(t, text(`p.lead`), "INSURED")
	assert.Contains(t, text(`ol.timeline`), "certificate approved by an operator: dates and limits checked — by Dana (ops token) (console)")

	// Hand in a certificate for the engagement awaiting its application; once the review
	// flags it, reject it with a note: the note is in the timeline.
	waiting := demoEngagement(t, list, "AWAITING_APPLICATION")
	page := base + "engagements/" + waiting.Platform + "/" + waiting.ID
	pdf := filepath.Join(t.TempDir(), "coi-flag.pdf")
	require.NoError(t, os.WriteFile(pdf, []byte("%PDF-1.4\n% certificate handed in through the console\n"), 0o600))
	run(chromedp.Navigate(page), chromedp.WaitVisible(`#cert-file`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#cert-file`, []string{pdf}, chromedp.ByQuery),
		chromedp.Click(`form[action$="/certificate"] button`, chromedp.ByQuery), chromedp.WaitVisible(`p.flash`, chromedp.ByQuery))
	assert.Contains(t, text(`p.flash`), "Certificate handed in")
	// The contractor as the platform gave it, decrypted through the payload codec (the stack
	// encrypts every payload).
	assert.Contains(t, text(`section[aria-labelledby="who"]`), "c24-ava@manual.example")
	waitStatus(t, s, waiting.Platform, waiting.ID, "", "FLAGGED")
	reject := `form[action$="/actions/reject-certificate"]`
	run(chromedp.Navigate(page), chromedp.WaitVisible(reject, chromedp.ByQuery),
		chromedp.SendKeys(reject+` input[name="note"]`, "the policy names another person", chromedp.ByQuery),
		chromedp.Click(reject+` button`, chromedp.ByQuery), chromedp.WaitVisible(`p.flash`, chromedp.ByQuery))
	assert.Contains(t, text(`p.flash`), "Done: reject the certificate.")
	assert.Contains(t, text(`ol.timeline`), "certificate rejected by an operator: the policy names another person — by Dana (ops token) (console)")
	screenshot(t, ctx, shots, "engagement")

	// A form posted without its CSRF token is refused, and nothing happens.
	resend := `form[action$="/actions/resend-session"]`
	run(chromedp.Navigate(page), chromedp.WaitVisible(resend, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('`+resend+` input[name="csrf"]').remove()`, nil),
		chromedp.Click(resend+` button`, chromedp.ByQuery), chromedp.WaitVisible(`p.flash.error`, chromedp.ByQuery))
	assert.Equal(t, "Refused", text(`main h1`))
	assert.Contains(t, text(`main`), "CSRF")
	code, body := ops(t, s, "GET", "/v1/engagements/"+waiting.Platform+"/"+waiting.ID, nil)
	require.Equal(t, 200, code)
	assert.NotContains(t, string(body), "operator asked for a new session")

	// Supply the parked Upwork contractor's contact details: it leaves NEEDS_ATTENTION.
	run(chromedp.Navigate(base+"engagements/upwork/"+parked.ID), chromedp.WaitVisible(`#c-phone`, chromedp.ByQuery))
	assert.Contains(t, text(`p.lead`), "NEEDS_ATTENTION")
	run(chromedp.SendKeys(`#c-phone`, "+1 512 555 0142", chromedp.ByQuery), chromedp.SendKeys(`#c-line1`, "500 Congress Ave", chromedp.ByQuery),
		chromedp.SendKeys(`#c-locality`, "Austin", chromedp.ByQuery), chromedp.SendKeys(`#c-region`, "TX", chromedp.ByQuery),
		chromedp.SendKeys(`#c-postalcode`, "78701", chromedp.ByQuery), chromedp.SendKeys(`#c-country`, "US", chromedp.ByQuery),
		chromedp.Click(`form[action$="/contractor"] button`, chromedp.ByQuery), chromedp.WaitVisible(`p.flash`, chromedp.ByQuery))
	assert.Contains(t, text(`p.flash`), "Contact details supplied")
	leftParking := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		run(chromedp.Reload(), chromedp.WaitVisible(`p.lead`, chromedp.ByQuery))
		if !strings.Contains(text(`p.lead`), "NEEDS_ATTENTION") {
			leftParking = true
			break
		}
	}
	assert.True(t, leftParking, "the engagement left NEEDS_ATTENTION")
	assert.Contains(t, text(`ol.timeline`), "contractor details supplied by an operator: by Dana (ops token) (console)")
	assert.Contains(t, text(`section[aria-labelledby="who"]`), "+1 512 555 0142")

	// The ledger, and its CSV downloaded by the browser: the late start's known gap.
	run(chromedp.Navigate(base+"ledger"), chromedp.WaitVisible(`a[download]`, chromedp.ByQuery))
	screenshot(t, ctx, shots, "ledger")
	rowsCSV := downloadCSV(t, ctx, base+"ledger", `a[download]`)
	require.Equal(t, []string{"workflow_id", "vendor", "engagement_id", "interval_start", "interval_end", "days", "covered", "coverage_status", "cause", "projected"}, rowsCSV[0])
	var lateRows [][]string
	for _, r := range rowsCSV[1:] {
		if r[0] == "engagement:remote:"+late.ID {
			lateRows = append(lateRows, r)
		}
	}
	require.NotEmpty(t, lateRows)
	// The work began at 00:00 UTC three days ago (the demo's late start); the service heard of it
	// just now.
	first := lateRows[0]
	assert.Equal(t, day(-3).Format(time.RFC3339), first[3])
	assert.Equal(t, "false", first[6])
	assert.Equal(t, "PENDING", first[7])
	end, err := time.Parse(time.RFC3339, first[4])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), end, 5*time.Minute, "the gap runs until the engagement reached the service")
	statuses := ""
	for _, r := range lateRows {
		assert.Equal(t, "false", r[6], "no part of the late work is covered")
		statuses += r[7] + " "
	}
	assert.Contains(t, statuses, "UNPROTECTED")

	// A closed engagement offers no action.
	canceled := demoEngagement(t, list, "CANCELED")
	run(chromedp.Navigate(base+"engagements/"+canceled.Platform+"/"+canceled.ID), chromedp.WaitVisible(`#acts`, chromedp.ByQuery))
	assert.Contains(t, text(`section[aria-labelledby="acts"]`), "Nothing applies: the engagement has ended.")
	var forms int
	run(chromedp.Evaluate(`document.querySelectorAll('section[aria-labelledby="acts"] form').length`, &forms))
	assert.Zero(t, forms)

	// Phone-sized page.
	run(chromedp.EmulateViewport(390, 844), chromedp.Navigate(base), chromedp.WaitVisible(`#risk-h`, chromedp.ByQuery))
	screenshot(t, ctx, shots, "overview-phone")
	run(chromedp.EmulateViewport(1280, 900))

	// Sign out; the session cookie from before is refused.
	var cookies []*network.Cookie
	run(chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().Do(ctx)
		return err
	}))
	var session *network.Cookie
	for _, c := range cookies {
		if c.Name == "console_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	assert.True(t, session.HTTPOnly)
	assert.Equal(t, network.CookieSameSiteStrict, session.SameSite)
	run(chromedp.Navigate(base), chromedp.WaitVisible(`form.signout button`, chromedp.ByQuery),
		chromedp.Click(`form.signout button`, chromedp.ByQuery), chromedp.WaitVisible(`#secret`, chromedp.ByQuery))
	run(chromedp.ActionFunc(func(ctx context.Context) error {
		return network.SetCookie(session.Name, session.Value).WithDomain(session.Domain).WithPath(session.Path).
			WithHTTPOnly(true).WithSameSite(network.CookieSameSiteStrict).Do(ctx)
	}))
	var url string
	run(chromedp.Navigate(base+"queues"), chromedp.WaitVisible(`#secret`, chromedp.ByQuery), chromedp.Location(&url))
	assert.Contains(t, url, "/console/login", "the old cookie does not open a page")
	t.Logf("screenshots in %s", shots)
}

// waitStatus waits until the operator API shows the statuses ("" : any).
func waitStatus(t *testing.T, s *testenv.Stack, platform, id, coverage, certificate string) {
	t.Helper()
	var got struct {
		CoverageStatus    string `json:"coverage_status"`
		CertificateStatus string `json:"certificate_status"`
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(300 * time.Millisecond) {
		if code, body := ops(t, s, "GET", "/v1/engagements/"+platform+"/"+id, nil); code == 200 {
			require.NoError(t, json.Unmarshal(body, &got))
			if (coverage == "" || got.CoverageStatus == coverage) && (certificate == "" || got.CertificateStatus == certificate) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: want %s/%s, have %s/%s", platform, id, coverage, certificate, got.CoverageStatus, got.CertificateStatus)
		}
	}
}

func demoEngagement(t *testing.T, list []demo.Engagement, want string) demo.Engagement {
	t.Helper()
	for _, e := range list {
		if e.WantCertificate == want || (want != "FLAGGED" && e.Want == want && e.WantCertificate == "") {
			return e
		}
	}
	t.Fatalf("the demo has no engagement %s", want)
	return demo.Engagement{}
}

func findRow(rows []string, id string) string {
	for _, r := range rows {
		if strings.HasPrefix(strings.TrimSpace(r), id+"\t") {
			return r
		}
	}
	return ""
}

// newBrowser starts Debian's chromium headless with the team's flags and a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make chromium` (make test does)")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 6*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900)))
	return ctx
}

// screenshot writes the visible page as dir/name.png.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	var png []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// downloadCSV opens page in a tab of its own (a download leaves its tab mid-navigation), clicks
// the download link there and reads the file the browser saved.
func downloadCSV(t *testing.T, ctx context.Context, page, link string) [][]string {
	t.Helper()
	tab, closeTab := chromedp.NewContext(ctx)
	defer closeTab()
	dir := t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenTarget(tab, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	require.NoError(t, chromedp.Run(tab, chromedp.Navigate(page), chromedp.WaitVisible(link, chromedp.ByQuery),
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Click(link, chromedp.ByQuery)))
	select {
	case guid := <-done:
		f, err := os.Open(filepath.Join(dir, guid))
		require.NoError(t, err)
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		require.NoError(t, err)
		return rows
	case <-time.After(30 * time.Second):
		t.Fatal("the CSV download did not complete")
	}
	return nil
}
