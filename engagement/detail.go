package engagement

import (
	"context"

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

// QueryEngagementDetail reads an engagement's Detail; ok is false when it does not exist.
func QueryEngagementDetail(ctx context.Context, c queryClient, vendor, engagementID string) (Detail, bool, error) {
	var d Detail
	found, err := queryEngagement(ctx, c, vendor, engagementID, QueryDetail, &d)
	return d, found, err
}
