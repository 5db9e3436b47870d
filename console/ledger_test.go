package console

import (
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
)

// The fixtures' expected intervals and totals were worked out by hand from the dates (not by
// running the code): each comment shows the arithmetic.

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func tr(when string, from, to engagement.CoverageStatus, cause string) engagement.Transition {
	return engagement.Transition{At: at(when), From: from, To: to, Cause: cause}
}

type span struct {
	start, end string
	covered    bool
	status     engagement.CoverageStatus
	cause      string
	projected  bool
}

func TestLedgerArithmetic(t *testing.T) {
	const (
		pending  = engagement.StatusPending
		awaiting = engagement.StatusAwaitingApplication
		insured  = engagement.StatusInsured
		unprot   = engagement.StatusUnprotected
		ended    = engagement.StatusEnded
	)
	cases := []struct {
		name            string
		d               engagement.Detail
		from, to, now   string
		want            []span
		worked, covered time.Duration
	}{{
		// Work all of March; covered from 03-03 08:00, lost 03-15 12:00, back 03-18 00:00.
		// Gaps: 2d 8h + 2d 12h = 4d 20h; covered 12d 4h + 14d = 26d 4h; worked 31d.
		name: "policy lost and regained",
		d: engagement.Detail{WorkStart: at("2026-03-01 00:00").Unix(), WorkEnd: at("2026-04-01 00:00").Unix(), Status: engagement.Status{Transitions: []engagement.Transition{
			tr("2026-02-20 10:00", pending, pending, "contractor and job set up"),
			tr("2026-02-20 10:01", pending, awaiting, "application session created"),
			tr("2026-03-03 08:00", awaiting, insured, "policy pol_1 active"),
			tr("2026-03-10 00:00", insured, insured, "assignment active"),
			tr("2026-03-15 12:00", insured, unprot, "policy pol_1 cancelled"),
			tr("2026-03-18 00:00", unprot, insured, "policy pol_2 active"),
		}}},
		from: "2026-03-01 00:00", to: "2026-04-01 00:00", now: "2026-04-15 00:00",
		want: []span{
			{"2026-03-01 00:00", "2026-03-03 08:00", false, awaiting, "application session created", false},
			{"2026-03-03 08:00", "2026-03-15 12:00", true, insured, "policy pol_1 active", false},
			{"2026-03-15 12:00", "2026-03-18 00:00", false, unprot, "policy pol_1 cancelled", false},
			{"2026-03-18 00:00", "2026-04-01 00:00", true, insured, "policy pol_2 active", false},
		},
		worked: 31 * 24 * time.Hour, covered: (26*24 + 4) * time.Hour,
	}, {
		// Open-ended work from 03-01, ended 03-20; the range 03-10..03-25 keeps 03-10..03-20 = 10d, all covered.
		name: "range and actual end cut the work",
		d: engagement.Detail{WorkStart: at("2026-03-01 00:00").Unix(), EndedAt: at("2026-03-20 00:00").Unix(), Status: engagement.Status{Transitions: []engagement.Transition{
			tr("2026-02-28 09:00", pending, insured, "assignment asg_1 created"),
			tr("2026-03-20 00:00", insured, ended, "ended by an operator"),
		}}},
		from: "2026-03-10 00:00", to: "2026-03-25 00:00", now: "2026-04-01 00:00",
		want:   []span{{"2026-03-10 00:00", "2026-03-20 00:00", true, insured, "assignment asg_1 created", false}},
		worked: 10 * 24 * time.Hour, covered: 10 * 24 * time.Hour,
	}, {
		// Work 03-01..03-08 (7d) but first heard of on 03-05: 4d unknown, 1d awaiting, 2d covered.
		name: "work before the engagement reached the service",
		d: engagement.Detail{WorkStart: at("2026-03-01 00:00").Unix(), WorkEnd: at("2026-03-08 00:00").Unix(), Status: engagement.Status{Transitions: []engagement.Transition{
			tr("2026-03-05 00:00", pending, awaiting, "application session created"),
			tr("2026-03-06 00:00", awaiting, insured, "policy pol_9 active"),
		}}},
		from: "2026-02-01 00:00", to: "2026-04-01 00:00", now: "2026-04-01 00:00",
		want: []span{
			{"2026-03-01 00:00", "2026-03-05 00:00", false, pending, beforeTrail, false},
			{"2026-03-05 00:00", "2026-03-06 00:00", false, awaiting, "application session created", false},
			{"2026-03-06 00:00", "2026-03-08 00:00", true, insured, "policy pol_9 active", false},
		},
		worked: 7 * 24 * time.Hour, covered: 2 * 24 * time.Hour,
	}, {
		// Work 03-01..03-11, nothing bound; now is 03-04 12:00: 3.5d recorded gap, 6.5d projected.
		name: "the future is projected from the current state",
		d: engagement.Detail{WorkStart: at("2026-03-01 00:00").Unix(), WorkEnd: at("2026-03-11 00:00").Unix(), Status: engagement.Status{Transitions: []engagement.Transition{
			tr("2026-02-25 00:00", pending, awaiting, "application session created"),
		}}},
		from: "2026-03-01 00:00", to: "2026-03-11 00:00", now: "2026-03-04 12:00",
		want: []span{
			{"2026-03-01 00:00", "2026-03-04 12:00", false, awaiting, "application session created", false},
			{"2026-03-04 12:00", "2026-03-11 00:00", false, awaiting, "application session created", true},
		},
		worked: 10 * 24 * time.Hour,
	}, {
		// Cancelled on 03-05 before a 03-10 start: no work at all.
		name: "cancelled before the start",
		d: engagement.Detail{WorkStart: at("2026-03-10 00:00").Unix(), WorkEnd: at("2026-03-20 00:00").Unix(), EndedAt: at("2026-03-05 00:00").Unix(),
			Status: engagement.Status{Transitions: []engagement.Transition{tr("2026-03-05 00:00", insured, engagement.StatusCanceled, "cancel")}}},
		from: "2026-03-01 00:00", to: "2026-04-01 00:00", now: "2026-04-01 00:00",
	}, {
		name: "no platform record read yet",
		d:    engagement.Detail{},
		from: "2026-03-01 00:00", to: "2026-04-01 00:00", now: "2026-04-01 00:00",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := Ledger(c.d, at(c.from), at(c.to), at(c.now))
			var got []span
			for _, iv := range row.Intervals {
				got = append(got, span{iv.Start.Format("2006-01-02 15:04"), iv.End.Format("2006-01-02 15:04"), iv.Covered, iv.Status, iv.Cause, iv.Projected})
			}
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.worked, row.Worked)
			assert.Equal(t, c.covered, row.Covered)
		})
	}
}

func TestIntervalLength(t *testing.T) {
	base := at("2026-03-01 00:00")
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{36 * time.Hour, "1.5 days"}, {90 * time.Minute, "1.5 h"}, {5 * time.Minute, "5 min"}, {300 * time.Millisecond, "0 s"}, {42 * time.Second, "42 s"}} {
		assert.Equal(t, c.want, length(Interval{Start: base, End: base.Add(c.d)}))
	}
	row := Ledger(engagement.Detail{WorkStart: base.Unix(), WorkEnd: base.Add(10 * 24 * time.Hour).Unix(),
		Status: engagement.Status{Transitions: []engagement.Transition{tr("2026-02-01 00:00", "PENDING", "AWAITING_APPLICATION", "x")}}},
		base, base.Add(10*24*time.Hour), base.Add(4*24*time.Hour))
	assert.InDelta(t, 6.0, row.ProjectedDays(), 1e-9) // days 4..10 lie after now
}

func TestCSVCellsAreNotFormulas(t *testing.T) {
	assert.Equal(t, "'=HYPERLINK(\"x\")", cell(`=HYPERLINK("x")`))
	assert.Equal(t, "'+1", cell("+1"))
	assert.Equal(t, "policy active", cell("policy active"))
}
