package console

import (
	"testing"
)

// FuzzSessionCookie: a cookie value from outside never panics the check, and only the value
// this key sealed opens.
func FuzzSessionCookie(f *testing.F) {
	k := &keyring{key: []byte("fuzz-key"), revoked: map[string]int64{}}
	sealed := k.seal(sessionCookie, session{Name: "dana", ID: "id-1", Expires: 1 << 40})
	other := (&keyring{key: []byte("another key")}).seal(sessionCookie, session{Name: "eve", ID: "id-2", Expires: 1 << 40})
	for _, seed := range []string{sealed, other, "", ".", "e30.", "e30.AAAA", sealed + "x", "x" + sealed} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var s session
		ok := k.open(sessionCookie, value, &s)
		if ok && value != sealed {
			t.Fatalf("a value this key did not seal opened: %q -> %+v", value, s)
		}
		if k.checkCSRF("id-1", value) && value != k.csrf("id-1") {
			t.Fatalf("a forged CSRF token passed: %q", value)
		}
	})
}
