package console

import (
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"
)

// The coverage ledger: for a date range, when the contractor was working (the engagement's own
// window, cut at its actual end) and when the engagement was covered (INSURED: a policy, an
// assignment or an approved certificate), from the engagement's audit trail. Every part of the
// work that was not covered is a gap, with the status it was in and the cause that put it
// there. Time after now is projected from the current state (marked so).

// Interval is one stretch of an engagement's work, covered or not.
type Interval struct {
	Start, End time.Time
	Covered    bool
	Status     engagement.CoverageStatus
	Cause      string
	Projected  bool // after now: the current state carried forward
}

// Days is the interval's length in days.
func (i Interval) Days() float64 { return i.End.Sub(i.Start).Hours() / 24 }

// LedgerRow is one engagement's ledger over a range.
type LedgerRow struct {
	WorkflowID, Vendor, EngagementID string
	From, To                         time.Time // the range asked for
	Worked, Covered                  time.Duration
	Intervals                        []Interval // the work in the range, in order
}

// WorkedDays, CoveredDays and GapDays are the row's totals in days.
func (r LedgerRow) WorkedDays() float64  { return r.Worked.Hours() / 24 }
func (r LedgerRow) CoveredDays() float64 { return r.Covered.Hours() / 24 }
func (r LedgerRow) GapDays() float64     { return (r.Worked - r.Covered).Hours() / 24 }

// ProjectedDays is how much of the row lies after now (the current state carried forward).
func (r LedgerRow) ProjectedDays() float64 {
	var d time.Duration
	for _, i := range r.Intervals {
		if i.Projected {
			d += i.End.Sub(i.Start)
		}
	}
	return d.Hours() / 24
}

// Gaps are the uncovered intervals.
func (r LedgerRow) Gaps() []Interval {
	var out []Interval
	for _, i := range r.Intervals {
		if !i.Covered {
			out = append(out, i)
		}
	}
	return out
}

// beforeTrail is the cause of work before the first recorded transition.
const beforeTrail = "not yet known to this service (before the first recorded transition)"

// Ledger computes one engagement's ledger for [from, to).
func Ledger(d engagement.Detail, from, to, now time.Time) LedgerRow {
	row := LedgerRow{WorkflowID: d.WorkflowID, Vendor: d.Vendor, EngagementID: d.EngagementID, From: from, To: to}
	if d.WorkStart == 0 {
		return row // the platform's record was never read: no known work
	}
	workStart, workEnd := time.Unix(d.WorkStart, 0).UTC(), time.Time{}
	if d.WorkEnd > 0 {
		workEnd = time.Unix(d.WorkEnd, 0).UTC()
	}
	if d.EndedAt > 0 && (workEnd.IsZero() || d.EndedAt < d.WorkEnd) {
		workEnd = time.Unix(d.EndedAt, 0).UTC()
	}
	start, end := later(workStart, from), to
	if !workEnd.IsZero() && workEnd.Before(end) {
		end = workEnd
	}
	if !start.Before(end) {
		return row
	}
	for _, seg := range segments(d.Transitions) {
		s, e := later(seg.Start, start), seg.End
		if e.IsZero() || e.After(end) {
			e = end
		}
		// Split at now: the part after it is projected.
		for _, part := range splitAt(s, e, now) {
			if !part[0].Before(part[1]) {
				continue
			}
			iv := Interval{Start: part[0], End: part[1], Covered: seg.Covered, Status: seg.Status, Cause: seg.Cause, Projected: !part[0].Before(now)}
			row.Intervals = appendMerged(row.Intervals, iv)
		}
	}
	for _, iv := range row.Intervals {
		row.Worked += iv.End.Sub(iv.Start)
		if iv.Covered {
			row.Covered += iv.End.Sub(iv.Start)
		}
	}
	return row
}

// segments turns the audit trail into consecutive status stretches: the first begins at the
// zero time, the last has a zero End (still open). A transition that keeps the status
// continues its stretch, with the cause that began it.
func segments(trail []engagement.Transition) []Interval {
	out := []Interval{{Status: engagement.StatusPending, Cause: beforeTrail}}
	for _, t := range trail {
		last := &out[len(out)-1]
		if len(out) > 1 && last.Status == t.To {
			continue
		}
		last.End = t.At
		out = append(out, Interval{Start: t.At, Covered: t.To == engagement.StatusInsured, Status: t.To, Cause: t.Cause})
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// splitAt cuts [s, e) at t when t lies inside it.
func splitAt(s, e, t time.Time) [][2]time.Time {
	if t.After(s) && t.Before(e) {
		return [][2]time.Time{{s, t}, {t, e}}
	}
	return [][2]time.Time{{s, e}}
}

// appendMerged adds an interval, joining it to the previous one when it continues it with the
// same coverage, status and projection.
func appendMerged(list []Interval, iv Interval) []Interval {
	if n := len(list); n > 0 {
		p := &list[n-1]
		if p.End.Equal(iv.Start) && p.Covered == iv.Covered && p.Status == iv.Status && p.Projected == iv.Projected && p.Cause == iv.Cause {
			p.End = iv.End
			return list
		}
	}
	return append(list, iv)
}
