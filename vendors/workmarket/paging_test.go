package workmarket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// listServer answers list_updated with total rows in pages of 25 and refuses a start past
// the last row; assignments/get answers the fixture with changes.
func listServer(t *testing.T, total int, edit func(s string) string) (*httptest.Server, *[]string) {
	var starts []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+workmarket.PathAuthorize, func(w http.ResponseWriter, r *http.Request) { w.Write(fixture(t, "authorization.json")) })
	mux.HandleFunc("GET "+workmarket.PathListUpdated, func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		starts = append(starts, r.URL.Query().Get("start")+"/"+r.URL.Query().Get("limit"))
		if start >= total && total > 0 {
			w.Write([]byte(`{"meta":{"status_code":400,"errors":[{"code":"start","message":"past the end"}]},"response":{}}`))
			return
		}
		var rows []string
		for i := start; i < min(start+25, total); i++ {
			rows = append(rows, fmt.Sprintf(`{"id":"%d","status":"active","last_modified_on":1796198400}`, 1000+i))
		}
		fmt.Fprintf(w, `{"meta":{"status_code":200},"response":{"total_results":%d,"data":[%s]}}`, total, strings.Join(rows, ","))
	})
	mux.HandleFunc("GET "+workmarket.PathAssignment, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(edit(string(fixture(t, "assignment.json")))))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &starts
}

func TestListUpdatedPages(t *testing.T) {
	for total, want := range map[int][]string{0: {"0/25"}, 24: {"0/25"}, 25: {"0/25"}, 26: {"0/25", "25/25"}, 50: {"0/25", "25/25"}} {
		srv, starts := listServer(t, total, nil)
		rows, err := workmarket.New(workmarket.Config{APIURL: srv.URL}).ListUpdated(context.Background(), now)
		require.NoError(t, err, total)
		assert.Len(t, rows, total)
		assert.Equal(t, want, *starts, "total %d", total)
	}
}

// TestInvoiceIDAndUpdatedAt: a paid assignment's invoice id is invoice_number when set, else
// wm-<id>; last_modified_on 0 is no time at all.
func TestInvoiceIDAndUpdatedAt(t *testing.T) {
	paid := func(invoiceNumber string) func(string) string {
		return func(s string) string {
			s = strings.Replace(s, `"status":"active"`, `"status":"paid"`, 1)
			return strings.Replace(s, `"invoice_number":null`, `"invoice_number":`+invoiceNumber, 1)
		}
	}
	for number, want := range map[string]string{`"INV-7"`: "INV-7", `""`: "wm-6029116324", `null`: "wm-6029116324"} {
		srv, _ := listServer(t, 0, paid(number))
		inv, err := workmarket.New(workmarket.Config{APIURL: srv.URL, Now: func() time.Time { return now }}).FetchInvoice(context.Background(), "6029116324", "")
		require.NoError(t, err, number)
		assert.Equal(t, want, inv.ID, number)
		assert.Equal(t, int64(44000), inv.GrossPay, "payment.total_cost 440.0")
		assert.Equal(t, [2]int64{1796374800, 1796403600}, [2]int64{inv.PeriodStart, inv.PeriodEnd}, "the window")
	}
	srv, _ := listServer(t, 0, func(s string) string { return s })
	_, err := workmarket.New(workmarket.Config{APIURL: srv.URL}).FetchInvoice(context.Background(), "6029116324", "")
	assert.ErrorContains(t, err, "is not paid yet (status active)")

	e, err := workmarket.Map(assignment(t, func(m map[string]any) { m["last_modified_on"] = 0 }), now)
	require.NoError(t, err)
	assert.True(t, e.UpdatedAt.IsZero())
	e, err = workmarket.Map(assignment(t, func(m map[string]any) { m["last_modified_on"] = 1 }), now)
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1, 0).UTC(), e.UpdatedAt)
}

// TestListChangesLooksBack: modified_since is the watermark minus 5 minutes, never more than
// 60 days before now (list_updated's limit).
func TestListChangesLooksBack(t *testing.T) {
	var since []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == workmarket.PathAuthorize {
			w.Write(fixture(t, "authorization.json"))
			return
		}
		since = append(since, r.URL.Query().Get("modified_since"))
		w.Write([]byte(`{"meta":{"status_code":200},"response":{"total_results":0,"data":[]}}`))
	}))
	defer srv.Close()
	a := workmarket.New(workmarket.Config{APIURL: srv.URL, Now: func() time.Time { return now }})
	for _, watermark := range []time.Time{now.Add(-time.Hour), now.Add(-90 * 24 * time.Hour), now.Add(-60*24*time.Hour + 4*time.Minute)} {
		_, mark, err := a.ListChanges(context.Background(), watermark)
		require.NoError(t, err)
		assert.Equal(t, watermark, mark, "nothing listed: the watermark stays")
	}
	_, err := a.ListOpen(context.Background())
	require.NoError(t, err)
	// now = 1796198400; 1796198400-3600-300, 1796198400-60*86400, the same (the clamp), and ListOpen's 60 days
	assert.Equal(t, []string{"1796194500", "1791014400", "1791014400", "1791014400"}, since)
}

// TestFetchDocumentChecks: only a listed certificate is downloaded; its base64 may be
// wrapped; a file that is not base64 is refused naming the attachment.
func TestFetchDocumentChecks(t *testing.T) {
	const coi, photo = "5b6f0c1e-9a1d-4b7e-8f00-3c2d1e0f9a8b", "9a8b7c6d-0000-4b7e-8f00-3c2d1e0f9a8b"
	var file string // the attachment field served; base64.b64encode(b"%PDF-1.4 coi") = JVBERi0xLjQgY29p
	var gets int
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+workmarket.PathAuthorize, func(w http.ResponseWriter, r *http.Request) { w.Write(fixture(t, "authorization.json")) })
	mux.HandleFunc("GET "+workmarket.PathAttachments, func(w http.ResponseWriter, r *http.Request) { w.Write(fixture(t, "attachments.json")) })
	mux.HandleFunc("GET "+workmarket.PathAttachment, func(w http.ResponseWriter, r *http.Request) {
		gets++
		fmt.Fprintf(w, `{"meta":{"status_code":200},"response":{"uuid":%q,"filename":"COI.pdf","attachment":%q}}`, r.URL.Query().Get("uuid"), file)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	a := workmarket.New(workmarket.Config{APIURL: srv.URL})
	ctx := context.Background()
	file = "JVBERi0x\nLjQg Y29p\n"
	doc, err := a.FetchDocument(ctx, "6029116324", coi)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 coi", string(doc.Data))
	assert.Equal(t, "application/pdf", doc.ContentType)
	file = "not base64!"
	_, err = a.FetchDocument(ctx, "6029116324", coi)
	assert.ErrorContains(t, err, "attachment "+coi+" of assignment 6029116324: HTTP 200: attachment is not base64")
	_, err = a.FetchDocument(ctx, "6029116324", photo)
	var nf *vendors.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, nf.What, "is not a certificate of insurance")
	assert.Equal(t, 2, gets, "the photo is never downloaded")
}

// TestListChangesByStatus: vendors.md's status row applied to list_updated rows: in force
// starts; ended, paid and abandoned re-read (the sync's status decides) and start nothing, a
// paid one brings its invoice first; cancelled cancels and starts nothing; draft is skipped.
func TestListChangesByStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == workmarket.PathAuthorize {
			w.Write(fixture(t, "authorization.json"))
			return
		}
		var rows []string
		for i, status := range []string{"active", "complete", "paid", "cancelled", "draft", "abandoned", "inprogress"} {
			rows = append(rows, fmt.Sprintf(`{"id":"%d","status":"%s","last_modified_on":%d}`, i+1, status, 1796198400+i))
		}
		fmt.Fprintf(w, `{"meta":{"status_code":200},"response":{"total_results":7,"data":[%s]}}`, strings.Join(rows, ","))
	}))
	defer srv.Close()
	evs, mark, err := workmarket.New(workmarket.Config{APIURL: srv.URL, Now: func() time.Time { return now }}).ListChanges(context.Background(), now.Add(-time.Hour))
	require.NoError(t, err)
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s %s %s nostart=%t invoice=%s versioned=%t", ev.EngagementID, ev.Kind, ev.Name, ev.NoStart, ev.InvoiceID, ev.Version != ""))
	}
	assert.Equal(t, []string{
		"1 start poll:active nostart=false invoice= versioned=true",
		"2 update poll:complete nostart=true invoice= versioned=true",
		"3 invoice poll:paid nostart=true invoice=wm-3 versioned=false",
		"3 update poll:paid nostart=true invoice= versioned=true",
		"4 cancel poll:cancelled nostart=true invoice= versioned=true",
		"6 update poll:abandoned nostart=true invoice= versioned=true",
		"7 start poll:inprogress nostart=false invoice= versioned=true",
	}, got)
	assert.Equal(t, evs[3].EventID+":invoice", evs[2].EventID)
	assert.Equal(t, time.Unix(1796198406, 0).UTC(), mark, "the newest last_modified_on, the skipped draft's included")
}
