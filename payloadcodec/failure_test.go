package payloadcodec

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/coverage-orchestrator/coverage/redact"
)

// A failure's messages, its causes' included, are redacted before they are stored, with and
// without encryption.
func TestFailureConverterRedactsEveryLevel(t *testing.T) {
	redact.Register("failure-secret-42")
	cause := fmt.Errorf(`Get "https://wm.example/api/v1/assignments/get?id=1&access_token=failure-secret-42": EOF for ada%%40example.com`)
	err := temporal.NewApplicationErrorWithCause("contractor ada@example.com refused", "BusinessError", cause)
	for _, keys := range []Keys{nil, mustKeys(t, key("k1", 'a'))} {
		fc := FailureConverter(keys)
		f := fc.ErrorToFailure(err)
		require.NotNil(t, f.GetCause())
		if len(keys) > 0 {
			assert.Equal(t, "Encoded failure", f.GetMessage(), "encrypted at rest")
		}
		back := fc.FailureToError(f)
		text := back.Error()
		var ae *temporal.ApplicationError
		require.True(t, errors.As(back, &ae))
		assert.Equal(t, "contractor [email] refused", ae.Message())
		causeText := errors.Unwrap(back).Error()
		for _, leak := range []string{"ada", "failure-secret-42", "access_token"} {
			assert.NotContains(t, text, leak)
			assert.NotContains(t, causeText, leak)
		}
	}
}
