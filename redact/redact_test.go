package redact_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/redact"
)

func TestTextRemovesEmailsQueriesAndSecrets(t *testing.T) {
	redact.Register("jd-pass-9f8e7d", "s3cr3t/with+chars", "abc") // "abc" is too short to register
	cases := map[string]string{
		"contractor ada@example.com exists":                                                "contractor [email] exists",
		`Get "https://api.1099policy.com/api/v1/contractors?email=ada%40example.com": EOF`: `Get "https://api.1099policy.com/api/v1/contractors?[query]": EOF`,
		"lookup ada%40example.com failed":                                                  "lookup [email] failed",
		"double ada%2540example.com encoded":                                               "double [email] encoded",
		"password jd-pass-9f8e7d refused":                                                  "password [secret] refused",
		"token s3cr3t%2Fwith%2Bchars in a path":                                            "token [secret] in a path",
		"contractor: duplicate_email for jordan.cruz@private.example (DuplicateEmail)":     "contractor: duplicate_email for [email] (DuplicateEmail)",
		`no entity mapping for "remote/acct_1"`:                                            `no entity mapping for "remote/acct_1"`,
		`"WorkerID":"4242@host@","at":"go.temporal.io/sdk@v1.50.0/internal"`:               `"WorkerID":"4242@host@","at":"go.temporal.io/sdk@v1.50.0/internal"`,
		"proxy upwork-~01abc@relay.example.com and ada%2Bx%40Example.COM":                  "proxy [email] and [email]",
		"nothing abc here": "nothing abc here",
	}
	for in, want := range cases {
		assert.Equal(t, want, redact.Text(in), in)
	}
}

func TestPersonalDataIsPure(t *testing.T) {
	redact.Register("registered-secret-1")
	assert.Equal(t, "registered-secret-1 [email]", redact.PersonalData("registered-secret-1 Ada.L@Example.COM"))
}

type typed struct{ code int }

func (t *typed) Error() string { return fmt.Sprintf("code %d for ada@example.com", t.code) }

func TestErrorKeepsTypesButNotTheText(t *testing.T) {
	orig := fmt.Errorf("wrapped: %w", &typed{code: 7})
	err := redact.Error(orig)
	assert.Equal(t, "wrapped: code 7 for [email]", err.Error())
	assert.Equal(t, "wrapped: code 7 for [email]", fmt.Sprintf("%+v", err))
	var ty *typed
	require.True(t, errors.As(err, &ty), "callers still branch on the type")
	assert.Equal(t, 7, ty.code)
	assert.Nil(t, errors.Unwrap(err), "nothing walks to the unredacted text")
	assert.Same(t, err, redact.Error(err))
}

// A real connection dropped mid-request: the client's error names method, host and path only.
func TestRequestDropsTheURLQuery(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		require.NoError(t, err)
		conn.Close()
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet,
		srv.URL+"/apiv2/authenticate?clientid=c&username=u&password=hunter2-pw&email=ada%40example.com", nil)
	_, err := http.DefaultClient.Do(req)
	require.Error(t, err)
	require.Contains(t, err.Error(), "hunter2-pw", "the raw error does carry the query")
	rerr := redact.Request(req, err)
	host := strings.TrimPrefix(srv.URL, "http://")
	assert.True(t, strings.HasPrefix(rerr.Error(), "GET "+host+"/apiv2/authenticate: "), rerr.Error())
	for _, leak := range []string{"hunter2-pw", "ada", "password", "?"} {
		assert.NotContains(t, rerr.Error(), leak)
	}
	var re *redact.RequestError
	require.True(t, errors.As(rerr, &re))
	assert.Equal(t, "/apiv2/authenticate", re.Path)
}

func TestRequestKeepsTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ln.Addr().String()+"/x?access_token=tok", nil)
	_, err = http.DefaultClient.Do(req)
	rerr := redact.Request(req, err)
	assert.ErrorIs(t, rerr, context.Canceled)
	assert.NotContains(t, rerr.Error(), "tok")
}

func TestWriterRedactsEachLine(t *testing.T) {
	redact.Register("log-secret-xyz")
	var buf bytes.Buffer
	w := redact.Writer(&buf)
	n, err := w.Write([]byte(`{"msg":"failed","error":"log-secret-xyz for bob%40example.org"}` + "\n"))
	require.NoError(t, err)
	assert.Equal(t, len(`{"msg":"failed","error":"log-secret-xyz for bob%40example.org"}`+"\n"), n)
	assert.Equal(t, `{"msg":"failed","error":"[secret] for [email]"}`+"\n", buf.String())
}

// Tokens handed out at run time are remembered, the newest few only; configured secrets stay.
func TestRunTimeTokensAreBounded(t *testing.T) {
	redact.Register("configured-secret-keeps")
	redact.RegisterToken("oldest-token-0000")
	for i := range 40 {
		redact.RegisterToken(fmt.Sprintf("access-token-%04d", i))
	}
	assert.Equal(t, "[secret] [secret]", redact.Text("configured-secret-keeps access-token-0039"))
	assert.Equal(t, "oldest-token-0000", redact.Text("oldest-token-0000"), "an old token fell out of the list")
}

// BenchmarkLogLine: the cost the redacting writer adds to one typical log line, with a
// configuration's worth of secrets and a full list of run-time tokens registered.
func BenchmarkLogLine(b *testing.B) {
	for i := range 30 {
		redact.Register(fmt.Sprintf("configured-secret-%02d-xxxxxxxx", i))
	}
	for i := range 32 {
		redact.RegisterToken(fmt.Sprintf("oauth2v2_access_%04d", i))
	}
	plain := `{"level":"error","ts":"2026-12-04T18:48:13.508Z","caller":"internal/internal_task_handlers.go:2510","msg":"Activity error.","WorkflowID":"engagement:workmarket:6029116324","ActivityType":"FindContractor","Attempt":1,"Error":"1099policy GET /contractors: EOF"}`
	leaky := strings.Replace(plain, "EOF", `Get \"https://api.1099policy.com/api/v1/contractors?email=ada%40example.com\": refused for ada@example.com`, 1)
	for name, line := range map[string]string{"plain": plain, "email_and_url": leaky} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = redact.Text(line)
			}
		})
	}
}

// A secret of MinSecretLength characters is registered, a shorter one is not; a secret that
// contains another registered one is replaced whole, not around the shorter one.
func TestSecretLengthsAndNesting(t *testing.T) {
	redact.Register("q7Zx9k", "q7Zx9", "nested-key-1234", "nested-key-1234-and-more")
	assert.Equal(t, "[secret] q7Zx9", redact.Text("q7Zx9k q7Zx9"))
	assert.Equal(t, "a [secret] b [secret] c", redact.Text("a nested-key-1234-and-more b nested-key-1234 c"))
}

func TestRequestErrorText(t *testing.T) {
	assert.Equal(t, "GET api.example.com/v1/x: HTTP 503", (&redact.RequestError{Method: "GET", Host: "api.example.com", Path: "/v1/x", Status: 503}).Error())
	assert.Equal(t, "POST api.example.com/v1/x: EOF for [email]",
		(&redact.RequestError{Method: "POST", Host: "api.example.com", Path: "/v1/x", Err: errors.New("EOF for ada@example.com")}).Error(),
		"no answer: no status, the cause redacted")
}

// freshProcessEnv makes the test binary, started again, run one test in a process in which
// nothing was registered yet.
const freshProcessEnv = "REDACT_FRESH_PROCESS"

func TestOnlyShortValuesInAFreshProcess(t *testing.T) {
	if os.Getenv(freshProcessEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOnlyShortValuesInAFreshProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), freshProcessEnv+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return
	}
	redact.Register("abc", " ", "")
	redact.RegisterToken("xyz")
	assert.Equal(t, "abc xyz", redact.Text("abc xyz"), "values too short to register change nothing")
}
