package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// update sends one Update as the ingress does; the answer it points to is the validator's
// refusal, nil once accepted ("no answer" until then).
func (f *fixture) update(name, id string, arg any) *error {
	answer := new(error)
	*answer = errors.New("no answer")
	f.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { *answer = err },
		OnAccept:   func() { *answer = nil },
		OnComplete: func(any, error) {},
	}, arg)
	return answer
}

// refusal is a validator's answer as the ingress turns it into 409: the NotApplicable type
// and the reason.
type refusal struct {
	typ, reason string
}

func refusalOf(t *testing.T, err error) refusal {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		return refusal{reason: "not refused: " + errorText(err)}
	}
	return refusal{typ: ae.Type(), reason: ae.Message()}
}

func errorText(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

func refused(reason string) refusal { return refusal{typ: engagement.ErrNotApplicable, reason: reason} }

// Every operator Update's validator refuses what does not apply, as an Update rejection (the
// ingress answers 409 with the reason); the reasons are the product's, written out.
func TestUpdateValidatorsRefuseWhatDoesNotApply(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	answers := map[string]*error{}
	f.at(time.Hour, func() { // awaiting the application: a session is open, nothing parked, no certificate
		answers["retry, nothing parked"] = f.update(engagement.UpdateOperatorAction, "u1", engagement.OperatorAction{Action: engagement.ActionRetry})
		answers["approve, no certificate"] = f.update(engagement.UpdateOperatorAction, "u2", engagement.OperatorAction{Action: engagement.ActionApproveCertificate})
		answers["reject, no certificate"] = f.update(engagement.UpdateOperatorAction, "u3", engagement.OperatorAction{Action: engagement.ActionRejectCertificate})
		answers["unknown action"] = f.update(engagement.UpdateOperatorAction, "u4", engagement.OperatorAction{Action: "frobnicate"})
		answers["no details"] = f.update(engagement.UpdateContractorDetails, "u5", engagement.ContractorDetails{Note: "nothing"})
		answers["no certificate id"] = f.update(engagement.UpdateCertificateUploaded, "u6", engagement.CertificateUploaded{Note: "empty"})
		answers["resend, session open"] = f.update(engagement.UpdateOperatorAction, "u7", engagement.OperatorAction{Action: engagement.ActionResendSession})
	})
	f.at(2*time.Hour, func() { f.completeApplication() })
	f.at(3*time.Hour, func() { // insured: no session open any more
		answers["resend, no session"] = f.update(engagement.UpdateOperatorAction, "u8", engagement.OperatorAction{Action: engagement.ActionResendSession})
		f.platformEvent(vendors.KindCancel, "c")
	})
	final := f.run()
	require.Equal(t, engagement.StatusCanceled, final.CoverageStatus, causes(final))

	want := map[string]refusal{
		"retry, nothing parked":   refused("nothing is parked: the engagement is AWAITING_APPLICATION"),
		"approve, no certificate": refused("there is no certificate to decide"),
		"reject, no certificate":  refused("there is no certificate to decide"),
		"unknown action":          refused("unknown action frobnicate"),
		"no details":              refused("nothing to supply: give phone, address or email"),
		"no certificate id":       refused("no certificate id"),
		"resend, no session":      refused("no application session is open"),
		"resend, session open":    {reason: "not refused: accepted"},
	}
	got := map[string]refusal{}
	for name, answer := range answers {
		got[name] = refusalOf(t, *answer)
	}
	assert.Equal(t, want, got)
}

// Once the engagement is ending, every Update is refused with one reason.
func TestUpdateValidatorsRefuseEverythingOnceEnding(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	// The session's expiry at the end hangs on a slow 1099Policy: the engagement is ending
	// while it retries.
	f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/apply/sessions/", Status: 503, Count: 3})
	answers := map[string]*error{}
	f.at(time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") })
	f.at(time.Hour+time.Second, func() {
		answers["retry"] = f.update(engagement.UpdateOperatorAction, "u1", engagement.OperatorAction{Action: engagement.ActionRetry})
		answers["end"] = f.update(engagement.UpdateOperatorAction, "u2", engagement.OperatorAction{Action: engagement.ActionEnd})
		answers["details"] = f.update(engagement.UpdateContractorDetails, "u3", engagement.ContractorDetails{Phone: "+1 415 555 0100"})
		answers["certificate"] = f.update(engagement.UpdateCertificateUploaded, "u4", engagement.CertificateUploaded{CertificateID: "cert_1"})
	})
	final := f.run()
	require.Equal(t, engagement.StatusCanceled, final.CoverageStatus, causes(final))
	for name, answer := range answers {
		assert.Equal(t, refused("the engagement has ended"), refusalOf(t, *answer), name)
	}
	assert.Len(t, answers, 4)
}
