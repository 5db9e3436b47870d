package vendors

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Timeouts of every platform call (and token grant): a platform that accepts the connection
// and then says nothing must fail the activity attempt, never hold it until its own timeout.
const (
	ConnectTimeout  = 10 * time.Second
	HeaderTimeout   = 30 * time.Second
	OverallTimeout  = 60 * time.Second
	maxRedirects    = 5
	idleConnTimeout = 90 * time.Second
)

// PlatformHTTP is the one HTTP client of the platform adapters: connect, TLS, header and
// overall timeouts, and redirects only within the same scheme and host (a redirect elsewhere
// would carry the bearer token or query credentials to a host nobody configured).
var PlatformHTTP = NewPlatformHTTP()

// NewPlatformHTTP builds a client with PlatformHTTP's rules (tests use it against their own servers).
func NewPlatformHTTP() *http.Client {
	dialer := &net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: OverallTimeout,
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
			TLSHandshakeTimeout: ConnectTimeout, ResponseHeaderTimeout: HeaderTimeout, ExpectContinueTimeout: time.Second,
			MaxIdleConns: 100, MaxIdleConnsPerHost: 16, IdleConnTimeout: idleConnTimeout,
		},
		CheckRedirect: SameHostRedirects,
	}
}

// SameHostRedirects follows at most 5 redirects, each to the scheme and host of the first request.
func SameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	first := via[0].URL
	if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
		return fmt.Errorf("redirect to %s://%s refused: only the configured host is called", req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// HTTPOr is hc (a test's client), else PlatformHTTP.
func HTTPOr(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return PlatformHTTP
}
