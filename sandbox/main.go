// Command sandbox runs the local 1099Policy sandbox (and the platform simulators) so the
// orchestrator can be developed, demonstrated and tested without accounts or internet.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
)

func main() {
	policyAddr := flag.String("policy-addr", envOr("SANDBOX_POLICY_ADDR", "127.0.0.1:8090"), "1099Policy sandbox listen address")
	apiKey := flag.String("api-key", envOr("POLICY_API_KEY", "t9k_test_local"), "API key the 1099Policy sandbox accepts")
	hookURL := flag.String("webhook-url", envOr("SANDBOX_POLICY_WEBHOOK_URL", "http://127.0.0.1:8080/webhooks/1099policy"), "where 1099Policy events are sent (empty: none)")
	hookSecret := flag.String("webhook-secret", envOr("POLICY_WEBHOOK_SECRET", "whsec_local"), "secret that signs 1099Policy events")
	autoComplete := flag.Duration("auto-complete", 5*time.Second, "complete application sessions after this delay (0: only by hand); contractors with emails ending "+policysim.ManualEmailSuffix+" are never completed automatically")
	review := flag.Duration("certificate-review", 3*time.Second, "certificate review time")
	twice := flag.Bool("duplicate-webhooks", false, "deliver every 1099Policy event twice")
	flag.Parse()

	sim := policysim.New(policysim.Config{APIKey: *apiKey, WebhookURL: *hookURL, WebhookSecret: *hookSecret,
		AutoCompleteAfter: *autoComplete, CertificateReviewAfter: *review, DuplicateWebhooks: *twice})
	defer sim.Close()
	servers := []*http.Server{{Addr: *policyAddr, Handler: sim, ReadHeaderTimeout: 10 * time.Second}}
	for _, srv := range servers {
		go func() {
			log.Printf("sandbox listening on http://%s", srv.Addr)
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Fatalf("sandbox %s: %v", srv.Addr, err)
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		srv.Shutdown(shutdown)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
