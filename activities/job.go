package activities

import (
	"context"

	pc "github.com/coverage-orchestrator/coverage/policyclient"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// The engagement's job in 1099Policy.

// JobInput creates or updates the engagement's job.
type JobInput struct {
	WorkflowID string
	Key        string
	JobID      string // for updates
	Vendor     string
	Job        vendors.Job
	Metadata   map[string]string
}

// JobOutput is the 1099Policy job id.
type JobOutput struct{ JobID string }

func (a *Activities) jobBody(in JobInput) (pc.Job, error) {
	entity, err := a.Mapping.Entity(in.Vendor, in.Job.ClientID)
	if err != nil {
		return pc.Job{}, err
	}
	category, err := a.Mapping.CategoryCode(in.Vendor, in.Job.Category)
	if err != nil {
		return pc.Job{}, err
	}
	return pc.Job{Name: in.Job.Name, Description: in.Job.Description, Entity: entity, CategoryCode: category,
		Wage: in.Job.Wage, WageType: in.Job.WageType, Address: jobAddress(in.Job),
		CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)}, nil
}

// jobAddress is the work location: the work state (else the contractor's region, which the
// adapter already chose) and its country; none for a job without a region (remote work).
func jobAddress(j vendors.Job) *pc.Address {
	if j.Region == "" {
		return nil
	}
	return &pc.Address{Region: j.Region, Country: j.Country}
}

// CreateJob maps the entity and category (MissingMapping when neither a mapping nor a default
// exists) and creates the job. On a retry it first looks for a job this engagement already
// created, so a replayed failure never leads to a second job.
func (a *Activities) CreateJob(ctx context.Context, in JobInput) (JobOutput, error) {
	body, err := a.jobBody(in)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	id, sendKey, err := a.createdEarlier(ctx, in.WorkflowID, in.Key, jobLister(a.Policy))
	if err != nil || id != "" {
		return JobOutput{JobID: id}, err
	}
	j, err := a.Policy.CreateJob(ctx, sendKey, body)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	return JobOutput{JobID: j.ID}, nil
}

// UpdateJob applies changed name, description, wage or mapping to the job.
func (a *Activities) UpdateJob(ctx context.Context, in JobInput) (JobOutput, error) {
	body, err := a.jobBody(in)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	j, err := a.Policy.UpdateJob(ctx, in.JobID, body)
	if err != nil {
		return JobOutput{}, classify(err)
	}
	return JobOutput{JobID: j.ID}, nil
}
