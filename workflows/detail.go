package workflows

import (
	"context"
	"slices"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// QueryDetail returns the engagement's Detail: the status query's answer plus what the
// operations console shows beside it. It holds personal data (the contractor), so it travels
// only in payloads the codec encrypts and is never logged.
const QueryDetail = "detail"

// Detail is an engagement as the operations console shows it.
type Detail struct {
	Status
	// Contractor is the contractor as the platform gave it at the last read; Supplied are the
	// operator's additions (they fill the platform's empty fields).
	Contractor vendors.Contractor `json:"contractor"`
	Supplied   *ContractorDetails `json:"supplied,omitempty"`
	// WorkStart and WorkEnd are the engagement's own window (Unix seconds; WorkEnd 0: open
	// ended); EndedAt is the actual end once one was requested (0: none).
	WorkStart int64 `json:"work_start"`
	WorkEnd   int64 `json:"work_end"`
	EndedAt   int64 `json:"ended_at"`
	// Actions are the operator actions whose validator accepts them now; Open says the
	// engagement still takes contractor details and certificates.
	Actions []string `json:"actions"`
	Open    bool     `json:"open"`
	// TakesCertificate says an operator's certificate can be handed in (the contractor exists
	// in 1099Policy).
	TakesCertificate bool `json:"takes_certificate"`
}

// detail answers QueryDetail from the same validators the Updates use.
func (e *engagement) detail() (Detail, error) {
	s := e.s
	d := Detail{Status: s.Status, Contractor: s.Contractor, Supplied: s.ContractorDetails,
		WorkStart: s.CoverageStart, WorkEnd: s.WorkEnd, Open: e.validateOpen() == nil, Actions: []string{}}
	if s.End != nil {
		d.EndedAt = s.End.At
	}
	for _, a := range OperatorActions {
		if e.validateOperatorAction(OperatorAction{Action: a}) == nil {
			d.Actions = append(d.Actions, a)
		}
	}
	d.TakesCertificate = d.Open && s.Policy.ContractorID != ""
	return d, nil
}

// Can reports whether an operator action applies now.
func (d Detail) Can(action string) bool { return slices.Contains(d.Actions, action) }

// QueryEngagementDetail reads an engagement's Detail; ok is false when it does not exist.
func QueryEngagementDetail(ctx context.Context, c queryClient, vendor, engagementID string) (Detail, bool, error) {
	var d Detail
	found, err := queryEngagement(ctx, c, vendor, engagementID, QueryDetail, &d)
	return d, found, err
}
