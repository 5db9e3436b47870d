package workflows

import "github.com/coverage-orchestrator/coverage/engagement"

// detail answers engagement.QueryDetail from the same validators the Updates use.
func (e *engagementRun) detail() (engagement.Detail, error) {
	s := e.s
	d := engagement.Detail{Status: s.Status, Contractor: s.Contractor, Supplied: s.ContractorDetails,
		WorkStart: s.CoverageStart, WorkEnd: s.WorkEnd, Open: e.validateOpen() == nil, Actions: []string{}}
	if s.End != nil {
		d.EndedAt = s.End.At
	}
	for _, a := range engagement.OperatorActions {
		if e.validateOperatorAction(engagement.OperatorAction{Action: a}) == nil {
			d.Actions = append(d.Actions, a)
		}
	}
	d.TakesCertificate = d.Open && s.Policy.ContractorID != ""
	return d, nil
}
