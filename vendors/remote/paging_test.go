package remote_test

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
	"github.com/coverage-orchestrator/coverage/vendors/remote"
)

// pagedRemote serves two pages of contractor employments (an employee among them) and two
// pages of webhook events whose second page holds a failed delivery; every employment was
// last updated on 2026-11-20. A page outside 1..2 is a 400, as Remote answers it.
func pagedRemote(t *testing.T, failedOnPage2 bool) *httptest.Server {
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, r *http.Request) (int, bool) {
		n, err := strconv.Atoi(r.URL.Query().Get("page"))
		if err != nil || n < 1 || n > 2 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"page %q"}`, r.URL.Query().Get("page"))
			return 0, false
		}
		return n, true
	}
	mux.HandleFunc("GET /v1/employments", func(w http.ResponseWriter, r *http.Request) {
		n, ok := page(w, r)
		if !ok {
			return
		}
		rows := map[int]string{
			1: `{"id":"e1","type":"contractor","status":"active"},{"id":"gone","type":"contractor","status":"archived"}`,
			2: `{"id":"e2","type":"contractor","status":"onboarded"},{"id":"emp","type":"employee","status":"active"}`,
		}[n]
		fmt.Fprintf(w, `{"data":{"employments":[%s],"current_page":%d,"total_pages":2,"total_count":4}}`, rows, n)
	})
	mux.HandleFunc("GET /v1/employments/{id}", func(w http.ResponseWriter, r *http.Request) {
		body := strings.ReplaceAll(string(fixture(t, "employment.json")), "2614f814-b08e-4c8e-8c4d-ddbcc4692d99", r.PathValue("id"))
		w.Write([]byte(body))
	})
	mux.HandleFunc("GET /v1/webhook-events", func(w http.ResponseWriter, r *http.Request) {
		n, ok := page(w, r)
		if !ok {
			return
		}
		delivered := n == 1 || !failedOnPage2
		fmt.Fprintf(w, `{"data":{"webhook_events":[{"event_type":"employment.updated","successfully_delivered":%t}],"current_page":%d,"total_pages":2,"total_count":2}}`, delivered, n)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestListingReadsEveryPage(t *testing.T) {
	since := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) // after every updated_at
	a := adapter(pagedRemote(t, true).URL)
	open, err := a.ListOpen(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []vendors.Listed{{ID: "e1"}, {ID: "e2"}}, open, "both pages, contractors in force only")

	evs, mark, err := a.ListChanges(context.Background(), since)
	require.NoError(t, err)
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s %s %s nostart=%t", ev.EngagementID, ev.Kind, ev.Name, ev.NoStart))
	}
	assert.Equal(t, []string{"e1 start poll:active nostart=false", "gone end poll:archived nostart=true", "e2 start poll:active nostart=false"}, got,
		"the failed delivery on the second page of the feed makes a rescan")
	assert.Equal(t, since, mark, "nothing newer than the watermark")

	evs, _, err = adapter(pagedRemote(t, false).URL).ListChanges(context.Background(), since)
	require.NoError(t, err)
	require.Len(t, evs, 1, "no failed delivery: only the closed row (nothing updated since)")
	assert.Equal(t, "gone", evs[0].EngagementID)
}

// TestMapKeepsUpdatedAt: the platform's last-modified time orders updates.
func TestMapKeepsUpdatedAt(t *testing.T) {
	e, err := remote.Map(employment(t, nil))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), e.UpdatedAt)
	e, err = remote.Map(employment(t, func(m map[string]any) { m["updated_at"] = "yesterday" }))
	require.NoError(t, err, "an unreadable updated_at only loses the ordering")
	assert.True(t, e.UpdatedAt.IsZero())
}

// TestInvoiceAmountMustBePositive: Remote's invoice amount is cents; zero or less is refused.
func TestInvoiceAmountMustBePositive(t *testing.T) {
	for amount, ok := range map[string]bool{"1": true, "0": false, "-100": false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Replace(string(fixture(t, "contractor_invoice.json")), `"amount":120000`, `"amount":`+amount, 1)))
		}))
		inv, err := adapter(srv.URL).FetchInvoice(context.Background(), "e", "663e0b79-c893-45ff-a1b2-f6dcabc098b5")
		srv.Close()
		if ok {
			require.NoError(t, err, amount)
			assert.Equal(t, int64(1), inv.GrossPay)
			continue
		}
		assert.ErrorContains(t, err, "amount", amount)
	}
}

// Remote has no certificate documents (they come through the operator intake), and an
// invoice without a readable date is refused naming it.
func TestNoDocumentsAndInvoiceDate(t *testing.T) {
	_, err := adapter("").FetchDocument(context.Background(), "e1", "doc-1")
	var nf *vendors.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "not found: Remote has no documents to fetch (document doc-1)", err.Error())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Replace(string(fixture(t, "contractor_invoice.json")), `"date":"2026-12-15"`, `"date":"15/12/2026"`, 1)))
	}))
	defer srv.Close()
	_, err = adapter(srv.URL).FetchInvoice(context.Background(), "e1", "inv-1")
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "contractor invoice inv-1 date", ae.What)
}
