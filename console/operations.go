package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/labstack/echo/v4"
)

// Operations are the reads and Updates the operator API and the console share (the ingress
// implements them once): a refusal is an *echo.HTTPError whose code is the operator API's
// answer (404 unknown, 409 does not apply, 400 bad input, 503 Temporal unavailable).
type Operations interface {
	// List reads a page of engagements from visibility; Count counts them.
	List(ctx context.Context, q ListQuery) (ListPage, error)
	Count(ctx context.Context, q ListQuery) (int64, error)
	// Status is the status query; Detail the detail query (contractor and actions beside it).
	Status(ctx context.Context, vendor, id string) (engagement.Status, error)
	Detail(ctx context.Context, vendor, id string) (engagement.Detail, error)
	// Act, SupplyDetails and HandInCertificate are the operator Updates; requestID is the
	// Update ID (a resent request counts once).
	Act(ctx context.Context, vendor, id string, op engagement.OperatorAction) (engagement.Status, error)
	SupplyDetails(ctx context.Context, vendor, id, requestID string, d engagement.ContractorDetails) (engagement.Status, error)
	HandInCertificate(ctx context.Context, vendor, id, requestID string, c Certificate) (engagement.Status, error)
}

// ListQuery selects engagements in visibility; zero fields select everything.
type ListQuery struct {
	Vendor      string
	Status      string // coverage status
	Certificate string // certificate status
	Running     bool   // only open engagements
	// StartsBefore keeps engagements whose work starts before it; ActiveSince those running
	// or closed at or after it.
	StartsBefore time.Time
	ActiveSince  time.Time
	PageSize     int    // 50 when 0
	PageToken    string // as a previous page gave it out
}

// ListPage is one page of List.
type ListPage struct {
	Engagements   []engagement.Summary `json:"engagements"`
	NextPageToken string               `json:"next_page_token"`
}

// Certificate is a certificate an operator hands in.
type Certificate struct {
	FileName string
	PDF      []byte
	Note     string // recorded with the hand-over in the audit trail
}

// MaxCertificate is the largest certificate 1099Policy takes.
const MaxCertificate = 15 << 20

// ReadCertificate reads a certificate handed in as the multipart field certificate (a PDF of
// at most 15 MB) with the optional field note; the operator API and the console both take it so.
func ReadCertificate(w http.ResponseWriter, r *http.Request) (Certificate, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxCertificate+1<<20)
	if err := r.ParseMultipartForm(2 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Certificate{}, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the certificate is larger than 15 MB")
		}
	}
	f, fh, err := r.FormFile("certificate")
	if err != nil {
		return Certificate{}, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(`multipart field "certificate" (a PDF of at most 15 MB) is missing: %v`, err))
	}
	defer f.Close()
	if fh.Size > MaxCertificate {
		return Certificate{}, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the certificate is larger than 15 MB")
	}
	pdf, err := io.ReadAll(io.LimitReader(f, MaxCertificate+1))
	if err != nil {
		return Certificate{}, echo.NewHTTPError(http.StatusBadRequest, "the certificate could not be read")
	}
	return Certificate{FileName: fh.Filename, PDF: pdf, Note: r.FormValue("note")}, nil
}
