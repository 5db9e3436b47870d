package activities

import (
	"context"

	pc "github.com/coverage-orchestrator/coverage/policyclient"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// The contractor in 1099Policy: found by email, created with the guide's key, kept up to date.

// FindContractorInput looks a contractor up by email.
type FindContractorInput struct{ Email string }

// FindContractorOutput is the contractor found, if any.
type FindContractorOutput struct {
	ContractorID string
	Found        bool
}

// FindContractor looks a contractor up by lower-cased email.
func (a *Activities) FindContractor(ctx context.Context, in FindContractorInput) (FindContractorOutput, error) {
	list, err := a.Policy.FindContractorsByEmail(ctx, in.Email)
	if err != nil {
		return FindContractorOutput{}, classify(err)
	}
	if len(list) == 0 {
		return FindContractorOutput{}, nil
	}
	return FindContractorOutput{ContractorID: list[0].ID, Found: true}, nil
}

// ContractorInput creates or updates a contractor.
type ContractorInput struct {
	WorkflowID   string
	Key          string // <vendor-prefix>-<source contractor id>, as the guides show
	ContractorID string // for updates
	Contractor   vendors.Contractor
	Metadata     map[string]string
}

// ContractorOutput is the 1099Policy contractor id.
type ContractorOutput struct{ ContractorID string }

func contractorBody(in ContractorInput) pc.Contractor {
	c := in.Contractor
	body := pc.Contractor{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)}
	if c.Line1 != "" || c.City != "" || c.Region != "" || c.PostalCode != "" || c.Country != "" {
		body.Address = &pc.Address{Line1: c.Line1, Locality: c.City, Region: c.Region, PostalCode: c.PostalCode, Country: c.Country}
	}
	return body
}

// CreateContractor creates the contractor; duplicate_email comes back as ErrDuplicateEmail so
// the workflow falls back to the lookup.
func (a *Activities) CreateContractor(ctx context.Context, in ContractorInput) (ContractorOutput, error) {
	c, err := a.Policy.CreateContractor(ctx, in.Key, contractorBody(in))
	if err != nil {
		return ContractorOutput{}, classifyContractor(err)
	}
	return ContractorOutput{ContractorID: c.ID}, nil
}

// UpdateContractor updates the contractor's details (PUT is partial; the engagement key of the
// first engagement stays as it was).
func (a *Activities) UpdateContractor(ctx context.Context, in ContractorInput) (ContractorOutput, error) {
	body := contractorBody(in)
	delete(body.CustomMetadata, EngagementKeyField)
	delete(body.CustomMetadata, IdempotencyKeyField)
	c, err := a.Policy.UpdateContractor(ctx, in.ContractorID, body)
	if err != nil {
		return ContractorOutput{}, classifyContractor(err)
	}
	return ContractorOutput{ContractorID: c.ID}, nil
}
