package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Sign-in: the ops token (or, when CONSOLE_USERS is set, a user's password checked against
// its bcrypt hash) buys a session cookie signed with HMAC-SHA256. The cookie carries the
// signed-in name, a random session id and the expiry; sign-out revokes the id, so a copy of the
// cookie taken before is refused. Every form carries a CSRF token derived from the session id
// (the login form one derived from a nonce cookie), checked on every POST.

const (
	sessionCookie = "console_session"
	loginCookie   = "console_login"
	flashCookie   = "console_flash"
	csrfField     = "csrf"
)

// session is what the session cookie holds (signed, not secret: no personal data).
type session struct {
	Name    string `json:"n"`
	ID      string `json:"id"`
	Expires int64  `json:"exp"`
}

// keyring signs and checks cookies and tracks revoked sessions.
type keyring struct {
	key     []byte
	mu      sync.Mutex
	revoked map[string]int64 // session id -> its expiry (dropped after it)
}

func (k *keyring) mac(purpose, data string) []byte {
	h := hmac.New(sha256.New, k.key)
	h.Write([]byte(purpose + "\x00" + data))
	return h.Sum(nil)
}

// seal signs a value for a cookie: base64(json).base64(mac).
func (k *keyring) seal(purpose string, v any) string {
	data, _ := json.Marshal(v)
	body := base64.RawURLEncoding.EncodeToString(data)
	return body + "." + base64.RawURLEncoding.EncodeToString(k.mac(purpose, body))
}

// strict refuses non-canonical base64, so one sealed value has one spelling.
var strict = base64.RawURLEncoding.Strict()

// open checks a sealed value's signature and decodes it.
func (k *keyring) open(purpose, sealed string, v any) bool {
	body, sig, ok := strings.Cut(sealed, ".")
	if !ok {
		return false
	}
	got, err := strict.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac(purpose, body)) {
		return false
	}
	data, err := strict.DecodeString(body)
	return err == nil && json.Unmarshal(data, v) == nil
}

// csrf is the token every form of a session (or of a login nonce) carries.
func (k *keyring) csrf(id string) string {
	return base64.RawURLEncoding.EncodeToString(k.mac("csrf", id))
}

func (k *keyring) checkCSRF(id, token string) bool {
	return id != "" && subtle.ConstantTimeCompare([]byte(token), []byte(k.csrf(id))) == 1
}

func (k *keyring) revoke(s session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now().Unix()
	for id, exp := range k.revoked {
		if exp < now {
			delete(k.revoked, id)
		}
	}
	k.revoked[s.ID] = s.Expires
}

func (k *keyring) isRevoked(id string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.revoked[id]
	return ok
}

func randomID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// errSignIn is every failed sign-in (the page does not say which part was wrong).
var errSignIn = errors.New("sign-in failed: check the name and the password or token")

// authenticate checks a sign-in and returns the name to record with the user's actions.
func (c *Console) authenticate(name, secret string) (string, error) {
	name = strings.TrimSpace(name)
	if len(c.cfg.Users) > 0 {
		hash, ok := c.cfg.Users[name]
		if !ok {
			// Same cost as a real check, so a wrong name is not told apart by timing.
			_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(secret))
			return "", errSignIn
		}
		if bcrypt.CompareHashAndPassword(hash, []byte(secret)) != nil {
			return "", errSignIn
		}
		return name, nil
	}
	if c.cfg.OpsToken == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.cfg.OpsToken)) != 1 {
		return "", errSignIn
	}
	if name == "" {
		return "operator (ops token)", nil
	}
	return name + " (ops token)", nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.MinCost)

// currentSession reads a valid session from the request (false: sign in first).
func (c *Console) currentSession(r *http.Request) (session, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	var s session
	if !c.keys.open(sessionCookie, ck.Value, &s) || s.ID == "" || c.now().Unix() >= s.Expires || c.keys.isRevoked(s.ID) {
		return session{}, false
	}
	return s, true
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true, Secure: c.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge / time.Second)})
}

func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Prefix, HttpOnly: true, Secure: c.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// flash is a message shown once on the page a POST redirects to.
type flash struct {
	Kind    string `json:"k"` // ok or error
	Message string `json:"m"`
}

func (c *Console) setFlash(w http.ResponseWriter, f flash) {
	c.setCookie(w, flashCookie, c.keys.seal(flashCookie, f), time.Minute)
}

func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	c.clearCookie(w, flashCookie)
	var f flash
	if !c.keys.open(flashCookie, ck.Value, &f) {
		return nil
	}
	return &f
}
