package workflows

import (
	"time"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/notify"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// Bring-your-own certificates (SPEC §2 step 5): a platform's document or an operator's upload
// goes to 1099Policy for review; an approved certificate covers the engagement, a flagged one
// waits for an operator's decision, and a review that never reports back is polled.

// uploadCertificate sends the oldest pending platform document to 1099Policy for review.
func (e *engagementRun) uploadCertificate() error {
	s := e.s
	doc := s.PendingCOIs[0]
	out, err := execute(e.ctx, uploadKind, (*activities.Activities).UploadCertificate, activities.CertificateInput{
		WorkflowID: s.WorkflowID, Key: e.key("certificate-" + doc), Vendor: s.Vendor, EngagementID: s.EngagementID,
		DocumentID: doc, ContractorID: s.Policy.ContractorID, Metadata: s.Metadata.Certificate,
	})
	if err != nil {
		return failed("upload certificate", err)
	}
	s.PendingCOIs = s.PendingCOIs[1:]
	s.UploadedDocuments = append(s.UploadedDocuments, doc)
	e.reviewCertificate(out.CertificateID, "certificate "+out.CertificateID+" uploaded for review")
	return nil
}

// applyCertificateUploaded starts the review of an operator's certificate.
func (e *engagementRun) applyCertificateUploaded(c engagement.CertificateUploaded) {
	e.reviewCertificate(c.CertificateID, withNote("certificate "+c.CertificateID+" uploaded by an operator for review", c.Note))
}

func (e *engagementRun) reviewCertificate(id, cause string) {
	s := e.s
	s.Policy.CertificateID = id
	s.CertificateStatus = engagement.CertificatePending
	s.NextCertificatePoll = e.now().Add(CertificatePollAfter)
	e.transition("", cause)
}

// pollCertificate reads a review that sent no webhook.
func (e *engagementRun) pollCertificate() {
	s := e.s
	s.NextCertificatePoll = e.now().Add(CertificatePollAfter)
	out, err := call(e, (*activities.Activities).GetCertificate, activities.GetCertificateInput{CertificateID: s.Policy.CertificateID})
	if err != nil {
		e.logger.Warn("certificate poll failed; polling again later", "error", err)
		return
	}
	e.applyCertificateStatus(out.Status, "certificate review (polled after no webhook): "+out.Status)
}

// applyCertificateStatus applies a review outcome: approved covers the engagement; flagged or
// denied takes that cover away again.
func (e *engagementRun) applyCertificateStatus(status, cause string) {
	s := e.s
	var next engagement.CertificateStatus
	switch status {
	case pc.CertificateApproved:
		next = engagement.CertificateApproved
	case pc.CertificateFlagged:
		next = engagement.CertificateFlagged
	case pc.CertificateDenied:
		next = engagement.CertificateDenied
	case pc.CertificateError:
		e.transition("", "certificate review failed at 1099Policy; an operator can approve or reject it")
		s.NextCertificatePoll = time.Time{}
		return
	default:
		return // pending or processing: nothing new
	}
	if next == s.CertificateStatus {
		return
	}
	wasCoveredByCertificate := s.coveredByCertificate()
	s.CertificateStatus = next
	s.NextCertificatePoll = time.Time{}
	if next == engagement.CertificateFlagged {
		e.notify(notify.CertificateFlagged, cause)
	}
	switch {
	case next == engagement.CertificateApproved && s.CoverageStatus != engagement.StatusInsured:
		s.Binding = BindNothing
		e.transition(engagement.StatusInsured, cause+"; the approved certificate covers the engagement")
		e.releaseLease()
	case next != engagement.CertificateApproved && wasCoveredByCertificate:
		if s.Policy.PolicyID == "" && s.Policy.AssignmentID == "" {
			s.Binding = BindQuote
		}
		to := engagement.StatusPending
		if s.StartChecked {
			to = engagement.StatusUnprotected
		}
		e.transition(to, cause+"; coverage needed again")
	default:
		e.transition("", cause)
	}
}
