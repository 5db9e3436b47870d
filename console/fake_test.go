package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/labstack/echo/v4"
)

// fakeOps is Operations over engagements held in memory (the real one is the ingress's, tested
// end to end in e2e/console_test.go).
type fakeOps struct {
	mu       sync.Mutex
	details  []engagement.Detail
	started  map[string]time.Time
	actErr   error
	acted    []engagement.OperatorAction
	supplied []engagement.ContractorDetails
	certs    []Certificate
}

func (f *fakeOps) add(d engagement.Detail) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d.WorkflowID == "" {
		d.WorkflowID = engagement.WorkflowID(d.Vendor, d.EngagementID)
	}
	f.details = append(f.details, d)
}

func (f *fakeOps) match(q ListQuery, d engagement.Detail) bool {
	open := d.CoverageStatus != engagement.StatusEnded && d.CoverageStatus != engagement.StatusCanceled
	switch {
	case q.Vendor != "" && d.Vendor != q.Vendor,
		q.Status != "" && string(d.CoverageStatus) != q.Status,
		q.Certificate != "" && string(d.CertificateStatus) != q.Certificate,
		q.Running && !open,
		!q.StartsBefore.IsZero() && !time.Unix(d.CoverageStart, 0).Before(q.StartsBefore):
		return false
	}
	return true
}

func (f *fakeOps) List(_ context.Context, q ListQuery) (ListPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	size := q.PageSize
	if size == 0 {
		size = 50
	}
	skip, _ := strconv.Atoi(q.PageToken)
	out := ListPage{Engagements: []engagement.Summary{}}
	n := 0
	for _, d := range f.details {
		if !f.match(q, d) {
			continue
		}
		n++
		if n <= skip {
			continue
		}
		if len(out.Engagements) == size {
			out.NextPageToken = strconv.Itoa(skip + size)
			break
		}
		out.Engagements = append(out.Engagements, engagement.Summary{WorkflowID: d.WorkflowID, Vendor: d.Vendor, EngagementID: d.EngagementID,
			CoverageStatus: d.CoverageStatus, CertificateStatus: d.CertificateStatus,
			CoverageStart: time.Unix(d.CoverageStart, 0).UTC(), Started: f.started[d.WorkflowID], Running: f.match(ListQuery{Running: true}, d)})
	}
	return out, nil
}

func (f *fakeOps) Count(_ context.Context, q ListQuery) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, d := range f.details {
		if f.match(q, d) {
			n++
		}
	}
	return n, nil
}

func (f *fakeOps) find(vendor, id string) (engagement.Detail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.details, func(d engagement.Detail) bool { return d.Vendor == vendor && d.EngagementID == id })
	if i < 0 {
		return engagement.Detail{}, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no engagement %s/%s", vendor, id))
	}
	return f.details[i], nil
}

func (f *fakeOps) Status(_ context.Context, vendor, id string) (engagement.Status, error) {
	d, err := f.find(vendor, id)
	return d.Status, err
}

func (f *fakeOps) Detail(_ context.Context, vendor, id string) (engagement.Detail, error) {
	return f.find(vendor, id)
}

func (f *fakeOps) Act(_ context.Context, vendor, id string, op engagement.OperatorAction) (engagement.Status, error) {
	d, err := f.find(vendor, id)
	if err != nil {
		return d.Status, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acted = append(f.acted, op)
	return d.Status, f.actErr
}

func (f *fakeOps) SupplyDetails(_ context.Context, vendor, id, _ string, dt engagement.ContractorDetails) (engagement.Status, error) {
	d, err := f.find(vendor, id)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.supplied = append(f.supplied, dt)
	return d.Status, err
}

func (f *fakeOps) HandInCertificate(_ context.Context, vendor, id, _ string, c Certificate) (engagement.Status, error) {
	d, err := f.find(vendor, id)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.HasPrefix(string(c.PDF), "%PDF") {
		return d.Status, echo.NewHTTPError(http.StatusBadRequest, `field "certificate" must be a PDF`)
	}
	f.certs = append(f.certs, c)
	return d.Status, err
}
