package console

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/coverage-orchestrator/coverage/config"
)

// benchEngagements is the open-engagement count the overview must handle in under 300 ms.
const benchEngagements = 10000

// syntheticOps holds n open engagements spread over every platform and open status, with
// every tenth certificate flagged.
func syntheticOps(n int) *fakeOps {
	f := &fakeOps{started: map[string]time.Time{}}
	open := engagement.OpenStatuses
	for i := range n {
		st := open[i%len(open)]
		cert := engagement.CertificateNone
		if i%10 == 0 {
			cert = engagement.CertificateFlagged
		}
		f.add(engagement.Detail{Status: engagement.Status{Vendor: config.Vendors[i%len(config.Vendors)], EngagementID: fmt.Sprintf("eng-%05d", i),
			CoverageStatus: st, CertificateStatus: cert, AttentionReason: "create job: no category mapping for upwork/Design (MissingMapping)",
			CoverageStart: now.Unix() + int64(i%14)*86400}, Open: true})
	}
	return f
}

// BenchmarkOverview10000 serves the whole overview page (counts, at-risk groups, first page of
// the list) over 10,000 open engagements held in memory: the console's own cost, without
// Temporal's visibility answers.
func BenchmarkOverview10000(b *testing.B) {
	c := New(Config{OpsToken: testToken, SessionKey: []byte("bench"), Now: func() time.Time { return now }}, syntheticOps(benchEngagements))
	cookie := &http.Cookie{Name: sessionCookie, Value: c.keys.seal(sessionCookie, session{Name: "bench", ID: "s1", Expires: now.Add(time.Hour).Unix()})}
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, Prefix, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("overview answered %d", rec.Code)
		}
	}
}

// BenchmarkOverviewTemplate10000Rows renders the overview's template with all 10,000
// engagements in its list (no paging): the worst case of the HTML itself.
func BenchmarkOverviewTemplate10000Rows(b *testing.B) {
	ops := syntheticOps(benchEngagements)
	c := New(Config{SessionKey: []byte("bench")}, ops)
	page, _ := ops.List(b.Context(), ListQuery{PageSize: benchEngagements})
	d := overviewData{Vendors: config.Vendors, Page: page}
	for _, s := range engagement.CoverageStatuses {
		d.Statuses = append(d.Statuses, string(s))
	}
	v := &view{Title: "Overview", User: "bench", CSRF: "x", Data: d}
	rec := httptest.NewRecorder()
	if err := c.render(rec, "overview", v); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ResetTimer()
	for b.Loop() {
		if err := c.render(discard{}, "overview", v); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return io.Discard.Write(p) }
func (discard) WriteHeader(int)             {}
