package console

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/coverage-orchestrator/coverage/config"
)

const (
	dateLayout = "2006-01-02"
	// ledgerPageSize engagements per ledger page; the CSV reads every page up to ledgerCSVLimit.
	ledgerPageSize = 100
	ledgerCSVLimit = 10000
	maxLedgerRange = 366 * 24 * time.Hour
)

type ledgerQuery struct {
	From, To time.Time // [From, To): To is the day after the last day asked for
	Vendor   string
	Page     string
}

// readLedgerQuery reads from and to (dates, both days included) and the platform; the default
// is the 30 days before today and the 30 after.
func (c *Console) readLedgerQuery(r *http.Request) (ledgerQuery, error) {
	today := c.now().UTC().Truncate(24 * time.Hour)
	q := ledgerQuery{From: today.AddDate(0, 0, -30), To: today.AddDate(0, 0, 31), Vendor: r.FormValue("platform"), Page: r.FormValue("page")}
	if v := r.FormValue("from"); v != "" {
		t, err := time.Parse(dateLayout, v)
		if err != nil {
			return q, echo.NewHTTPError(http.StatusBadRequest, "from must be a date like 2026-11-01")
		}
		q.From = t
	}
	if v := r.FormValue("to"); v != "" {
		t, err := time.Parse(dateLayout, v)
		if err != nil {
			return q, echo.NewHTTPError(http.StatusBadRequest, "to must be a date like 2026-11-30")
		}
		q.To = t.AddDate(0, 0, 1)
	}
	if !q.From.Before(q.To) || q.To.Sub(q.From) > maxLedgerRange {
		return q, echo.NewHTTPError(http.StatusBadRequest, "the range must run forwards and span at most 366 days")
	}
	if q.Vendor != "" && !slices.Contains(config.Vendors, q.Vendor) {
		return q, echo.NewHTTPError(http.StatusBadRequest, "unknown platform "+strconv.Quote(q.Vendor))
	}
	return q, nil
}

func (lq ledgerQuery) values() url.Values {
	v := url.Values{}
	v.Set("from", lq.From.Format(dateLayout))
	v.Set("to", lq.To.AddDate(0, 0, -1).Format(dateLayout))
	v.Set("platform", lq.Vendor)
	return v
}

// ledgerRows reads one page of engagements active in the range and their ledgers (rows without
// work in the range are left out).
func (c *Console) ledgerRows(ctx context.Context, lq ledgerQuery, pageSize int) ([]LedgerRow, string, error) {
	page, err := c.ops.List(ctx, ListQuery{Vendor: lq.Vendor, StartsBefore: lq.To, ActiveSince: lq.From, PageSize: pageSize, PageToken: lq.Page})
	if err != nil {
		return nil, "", err
	}
	now := c.now()
	rows := make([]LedgerRow, len(page.Engagements))
	err = parallel(len(rows), func(i int) error {
		it := page.Engagements[i]
		d, err := c.ops.Detail(ctx, it.Vendor, it.EngagementID)
		if err == nil {
			rows[i] = Ledger(d, lq.From, lq.To, now)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	rows = slices.DeleteFunc(rows, func(r LedgerRow) bool { return r.Worked == 0 })
	// The longest gaps first: they are what an auditor asks about.
	slices.SortStableFunc(rows, func(a, b LedgerRow) int {
		if c := cmp.Compare(b.Worked-b.Covered, a.Worked-a.Covered); c != 0 {
			return c
		}
		return strings.Compare(a.WorkflowID, b.WorkflowID)
	})
	return rows, page.NextPageToken, nil
}

type ledgerData struct {
	From, To, Vendor string
	Vendors          []string
	Rows             []ledgerView
	Worked, Covered  float64
	CSVURL, NextURL  string
}

type ledgerView struct {
	LedgerRow
	Path string
	Bar  []barPart
}

// barPart is one rectangle of a row's timeline bar, in per-mille of the range.
type barPart struct {
	X, W  float64
	Class string
	Title string
}

func bar(r LedgerRow) []barPart {
	span := r.To.Sub(r.From).Seconds()
	var out []barPart
	for _, iv := range r.Intervals {
		class := "gap"
		if iv.Covered {
			class = "covered"
		}
		if iv.Projected {
			class += " projected"
		}
		out = append(out, barPart{X: 1000 * iv.Start.Sub(r.From).Seconds() / span, W: 1000 * iv.End.Sub(iv.Start).Seconds() / span, Class: class,
			Title: fmt.Sprintf("%s → %s: %s (%s)", iv.Start.Format(dateLayout), iv.End.Format(dateLayout), coveredWord(iv.Covered), iv.Status)})
	}
	return out
}

func coveredWord(covered bool) string {
	if covered {
		return "covered"
	}
	return "not covered"
}

func (c *Console) ledgerPage(q *request) error {
	lq, err := c.readLedgerQuery(q.r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(q.r.Context(), readTimeout)
	defer cancel()
	rows, next, err := c.ledgerRows(ctx, lq, ledgerPageSize)
	if err != nil {
		return err
	}
	v := lq.values()
	d := ledgerData{From: v.Get("from"), To: v.Get("to"), Vendor: lq.Vendor, Vendors: config.Vendors, CSVURL: Prefix + "ledger.csv?" + v.Encode()}
	for _, r := range rows {
		d.Rows = append(d.Rows, ledgerView{LedgerRow: r, Path: engagementPath(r.Vendor, r.EngagementID), Bar: bar(r)})
		d.Worked += r.WorkedDays()
		d.Covered += r.CoveredDays()
	}
	if next != "" {
		v.Set("page", next)
		d.NextURL = Prefix + "ledger?" + v.Encode()
	}
	return c.render(q.w, "ledger", c.frame(q, "Coverage ledger", "ledger", d))
}

// ledgerCSVHeader names the CSV's columns: one row per interval of work.
var ledgerCSVHeader = []string{"workflow_id", "vendor", "engagement_id", "interval_start", "interval_end", "days", "covered", "coverage_status", "cause", "projected"}

func (c *Console) ledgerCSV(q *request) error {
	lq, err := c.readLedgerQuery(q.r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(q.r.Context(), 6*readTimeout)
	defer cancel()
	var all []LedgerRow
	for read := 0; read < ledgerCSVLimit; {
		rows, next, err := c.ledgerRows(ctx, lq, 1000)
		if err != nil {
			return err
		}
		all = append(all, rows...)
		read += 1000
		if next == "" {
			break
		}
		lq.Page = next
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="coverage-ledger-%s-%s.csv"`, lq.From.Format(dateLayout), lq.To.AddDate(0, 0, -1).Format(dateLayout)))
	w := csv.NewWriter(q.w)
	_ = w.Write(ledgerCSVHeader)
	for _, r := range all {
		for _, iv := range r.Intervals {
			_ = w.Write([]string{r.WorkflowID, r.Vendor, r.EngagementID, iv.Start.UTC().Format(time.RFC3339), iv.End.UTC().Format(time.RFC3339),
				strconv.FormatFloat(iv.Days(), 'f', 2, 64), strconv.FormatBool(iv.Covered), string(iv.Status), cell(iv.Cause), strconv.FormatBool(iv.Projected)})
		}
	}
	w.Flush()
	return w.Error()
}

// cell keeps a spreadsheet from reading a text cell as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
