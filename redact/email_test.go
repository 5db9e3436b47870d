package redact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/redact"
)

// Email addresses as platforms and error texts spell them: any case, plus-tags, subdomains,
// URL-encoded once or twice, inside JSON and URLs. Each is removed whole and nothing around it.
func TestEmailShapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ada@example.com", "[email]"},
		{"Ada@Example.com", "[email]"},
		{"ADA.LOVELACE@EXAMPLE.COM", "[email]"},
		{"Jordan.Cruz@Private.Example", "[email]"},
		{"ada+coverage@example.com", "[email]"},
		{"Ada+Remote.2026@Example.com", "[email]"},
		{"jordan_cruz-99@mail.eu.example.co.uk", "[email]"},
		{"ops@A-1.Sub.Example.ORG", "[email]"},
		{"1099@example.io", "[email]"},
		{"ada%40example.com", "[email]"},
		{"Ada%40Example.COM", "[email]"},
		{"ada%2Bx%40example.com", "[email]"},
		{"ADA%2bX%40EXAMPLE.COM", "[email]"},
		{"ada%2540example.com", "[email]"},
		{`{"email":"Ada.L@Example.COM","first_name":"Ada"}`, `{"email":"[email]","first_name":"Ada"}`},
		{`{"personal_email":"ada+remote@example.com","work_email":"ADA@CORP.EXAMPLE.COM"}`, `{"personal_email":"[email]","work_email":"[email]"}`},
		{"https://api.1099policy.com/api/v1/contractors/Ada%40Example.com/policies", "https://api.1099policy.com/api/v1/contractors/[email]/policies"},
		{"GET https://api.1099policy.com/api/v1/contractors?email=ADA%40EXAMPLE.COM failed", "GET https://api.1099policy.com/api/v1/contractors?[query] failed"},
		{"mailto:Ada@Example.com", "mailto:[email]"},
		{"<Ada@Example.com>, bob@example.org", "<[email]>, [email]"},
		{"contractor Ada@Example.com exists (duplicate_email)", "contractor [email] exists (duplicate_email)"},
		// not emails: kept readable
		{"worker 4242@host", "worker 4242@host"},
		{"go.temporal.io/sdk@v1.50.0", "go.temporal.io/sdk@v1.50.0"},
		{"@example.com", "@example.com"},
	} {
		assert.Equal(t, tc.want, redact.PersonalData(tc.in), tc.in)
		assert.Equal(t, tc.want, redact.Text(tc.in), tc.in)
	}
}
