package activities

import (
	"bytes"
	"context"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// Certificates of insurance a contractor brings: uploaded for review, and their review read.

// CertificateInput uploads a COI document from the platform.
type CertificateInput struct {
	WorkflowID   string
	Key          string
	Vendor       string
	EngagementID string
	DocumentID   string
	ContractorID string
	Metadata     map[string]string
}

// CertificateOutput is the certificate under review.
type CertificateOutput struct {
	CertificateID string
	Status        string
}

// UploadCertificate streams the platform's document into 1099Policy. It makes two calls (the
// platform fetch and the upload) because the file may be up to 15 MB, too large to pass
// through workflow history.
func (a *Activities) UploadCertificate(ctx context.Context, in CertificateInput) (CertificateOutput, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	doc, err := ad.FetchDocument(ctx, in.EngagementID, in.DocumentID)
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	c, err := a.Policy.UploadCertificate(ctx, in.Key, pc.CertificateUpload{Contractor: in.ContractorID,
		FileName: doc.FileName, File: bytes.NewReader(doc.Data), CustomMetadata: objectMetadata(in.Metadata, in.WorkflowID, in.Key)})
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	return CertificateOutput{CertificateID: c.ID, Status: c.Status}, nil
}

// GetCertificateInput polls a certificate.
type GetCertificateInput struct{ CertificateID string }

// GetCertificate reads a certificate's review status.
func (a *Activities) GetCertificate(ctx context.Context, in GetCertificateInput) (CertificateOutput, error) {
	c, err := a.Policy.GetCertificate(ctx, in.CertificateID)
	if err != nil {
		return CertificateOutput{}, classify(err)
	}
	return CertificateOutput{CertificateID: c.ID, Status: c.Status}, nil
}
