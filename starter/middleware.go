package main

import (
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/vendors/all"
)

// WriteTimeout bounds writing an answer; it stays above the longest wait of a request (an
// operator action waits up to operatorTimeout for its Update), so a slow action still gets
// its answer instead of a cut connection.
const WriteTimeout = operatorTimeout + 15*time.Second

// metricPlatform is the platform label of a metric: a name from config.Vendors or
// "1099policy", else "other" (a path value is chosen by whoever sends the request: a thousand
// junk paths must not make a thousand series).
func metricPlatform(v string) string {
	if v == policyPlatform || v == "" || slices.Contains(config.Vendors, v) {
		return v
	}
	return "other"
}

// policyPlatform labels the 1099Policy webhook route.
const policyPlatform = "1099policy"

// recoverPanics turns a panic in a handler into a logged error and a 500 answer; the
// ingress keeps serving.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.Logger.Error("panic in a request handler", zap.String("route", c.Path()), zap.Error(err), zap.ByteString("stack", stack))
			return errors.New("panic in a request handler")
		},
	})
}

// capBodies limits every request body to MaxBody; the certificate intake and the codec set
// their own (larger) limits. A body past its limit is answered 413, whatever the handler did
// with the read error.
func (s *Server) capBodies(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if route := c.Path(); route == certificatesRoute || route == codecRoutePath {
			return next(c)
		}
		body := &cappedBody{ReadCloser: http.MaxBytesReader(c.Response(), c.Request().Body, MaxBody)}
		c.Request().Body = body
		err := next(c)
		if body.exceeded && !c.Response().Committed {
			return fail(http.StatusRequestEntityTooLarge, "body is larger than 1 MiB")
		}
		return err
	}
}

// Routes with their own body limits.
const (
	certificatesRoute = "/v1/engagements/:vendor/:id/certificates"
	codecRoutePath    = "/codec/:op"
)

type cappedBody struct {
	io.ReadCloser
	exceeded bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.exceeded = true
	}
	return n, err
}

// SourceLimiter is a token bucket per source address for unauthenticated traffic: every
// request that fails (4xx: bad signature, malformed body, unknown route or id) and every
// refetch-mode 1099Policy webhook (which costs a 1099Policy read) takes a token; an address
// whose bucket is empty is answered 429 with Retry-After until it refills. Webhooks that
// verify cost nothing, so a platform's burst of real deliveries is never throttled.
type SourceLimiter struct {
	Rate  rate.Limit
	Burst int
	// MaxSources bounds the memory: past it, idle sources are forgotten.
	MaxSources int

	mu      sync.Mutex
	sources map[string]*source
}

type source struct {
	limiter *rate.Limiter
	seen    time.Time
}

func (l *SourceLimiter) limiter(addr string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sources == nil {
		l.sources = map[string]*source{}
	}
	src, ok := l.sources[addr]
	if !ok {
		if len(l.sources) >= max(l.MaxSources, 1) {
			l.forgetIdle(now)
		}
		src = &source{limiter: rate.NewLimiter(l.Rate, l.Burst)}
		l.sources[addr] = src
	}
	src.seen = now
	return src.limiter
}

// forgetIdle drops sources whose bucket has refilled (nothing is lost by forgetting them);
// when every source is busy, the oldest half goes.
func (l *SourceLimiter) forgetIdle(now time.Time) {
	full := time.Duration(float64(l.Burst) / math.Max(float64(l.Rate), 1e-9) * float64(time.Second))
	for addr, src := range l.sources {
		if now.Sub(src.seen) > full {
			delete(l.sources, addr)
		}
	}
	if len(l.sources) < l.MaxSources {
		return
	}
	cut := now.Add(-full / 2)
	for addr, src := range l.sources {
		if src.seen.Before(cut) || len(l.sources) >= l.MaxSources {
			delete(l.sources, addr)
		}
	}
}

// limitUnauthenticated applies s.Limits (nil: no limit) to requests without the ops token.
func (s *Server) limitUnauthenticated(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.Limits == nil || s.hasOpsToken(c) {
			return next(c)
		}
		switch c.Path() {
		case "/healthz", "/readyz", "/metrics":
			return next(c)
		}
		now := time.Now()
		lim := s.Limits.limiter(sourceAddr(c.Request()), now)
		if lim.TokensAt(now) < 1 {
			wait := lim.ReserveN(now, 1)
			delay := wait.DelayFrom(now)
			wait.CancelAt(now)
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(delay, time.Second).Seconds()))))
			return fail(http.StatusTooManyRequests, "too many failed or unauthenticated requests from this address; retry later")
		}
		err := next(c)
		code := c.Response().Status
		var he *echo.HTTPError
		if errors.As(err, &he) {
			code = he.Code
		}
		if (code >= 400 && code < 500) || (s.PolicyRefetch && c.Path() == policyWebhookRoute) {
			lim.AllowN(now, 1)
		}
		return err
	}
}

const policyWebhookRoute = "/webhooks/1099policy"

// sourceAddr is the peer's IP address. Forwarding headers are not trusted: anyone can set them.
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkPathID answers 400 naming an engagement id in the path that does not have its
// platform's shape (an unknown platform is left to the route, which answers 404).
func (s *Server) checkPathID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		vendor, id := c.Param("vendor"), c.Param("id")
		if c.Path() != "" && strings.Contains(c.Path(), ":id") && checkVendor(vendor) == nil {
			if err := all.CheckEngagementID(vendor, id); err != nil {
				return fail(http.StatusBadRequest, "%v", err)
			}
		}
		return next(c)
	}
}

// MaxBackfillIDs bounds the ids one backfill request may name.
const MaxBackfillIDs = 1000

// signatureInvalid is every webhook's 401: the answer says only "signature invalid" (telling a
// sender which check failed helps a forger); the request log keeps the reason.
func signatureInvalid(c echo.Context, err error) error {
	c.Set("error", err.Error())
	return fail(http.StatusUnauthorized, "signature invalid")
}

// metricsOnly serves GET /metrics on the ingress's own metrics listener (INGRESS_METRICS_ADDR).
func metricsOnly(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}
