// Command sandbox runs the local 1099Policy sandbox and the four platform simulators, so the
// orchestrator can be developed, demonstrated and tested without accounts or internet.
// `sandbox demo` feeds the demo mix into a running stack.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/notify"
	"github.com/coverage-orchestrator/coverage/sandbox/demo"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "demo" {
		runDemo(os.Args[2:])
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "search-attributes" {
		// The code's one list, for the scripts that register them (make run, make run-cluster).
		for _, sa := range engagement.SearchAttributes() {
			fmt.Printf("%s=%s\n", sa.Name, sa.Kind)
		}
		return
	}
	serve()
}

func serve() {
	policyAddr := flag.String("policy-addr", envOr("SANDBOX_POLICY_ADDR", "127.0.0.1:8090"), "1099Policy sandbox listen address")
	platformAddr := flag.String("platform-addr", envOr("SANDBOX_PLATFORM_ADDR", "127.0.0.1:8091"), "platform simulators listen address")
	ingress := flag.String("ingress", envOr("SANDBOX_INGRESS_URL", "http://127.0.0.1:8080"), "the ingress every webhook goes to")
	apiKey := flag.String("api-key", envOr("POLICY_API_KEY", "t9k_test_local"), "API key the 1099Policy sandbox accepts")
	hookSecret := flag.String("webhook-secret", envOr("POLICY_WEBHOOK_SECRET", "whsec_local"), "secret that signs 1099Policy events")
	autoComplete := flag.Duration("auto-complete", 5*time.Second, "complete application sessions after this delay (0: only by hand); contractors with emails ending "+policysim.ManualEmailSuffix+" are never completed automatically")
	review := flag.Duration("certificate-review", 3*time.Second, "certificate review time")
	twice := flag.Bool("duplicate-webhooks", false, "deliver every 1099Policy event twice")
	acceptMissing := flag.Bool("accept-missing-contact-details", false, "create contractors without phone or a full address (the live API refuses them)")
	notifyAddr := flag.String("notify-addr", envOr("SANDBOX_NOTIFY_ADDR", "127.0.0.1:8092"), "a local receiver that verifies and logs the service's notifications")
	notifySecret := flag.String("notify-secret", envOr("NOTIFY_WEBHOOK_SECRET", "whsec_notify_local"), "NOTIFY_WEBHOOK_SECRET the receiver verifies with")
	flag.Parse()

	sim := policysim.New(policysim.Config{APIKey: *apiKey, WebhookURL: *ingress + "/webhooks/1099policy", WebhookSecret: *hookSecret,
		AutoCompleteAfter: *autoComplete, CertificateReviewAfter: *review, DuplicateWebhooks: *twice, AcceptMissingContactDetails: *acceptMissing})
	defer sim.Close()
	secrets, hooks, tokens := map[string]string{}, map[string]string{}, map[string]string{}
	for _, p := range platformsim.Platforms {
		up := strings.ToUpper(p)
		secrets[p] = envOr(up+"_WEBHOOK_SECRET", p+"-local-secret")
		hooks[p] = *ingress + "/webhooks/" + p
		tokens[p] = envOr(up+"_API_TOKEN", p+"-local-token")
	}
	tokens["upwork"] = envOr("UPWORK_ACCESS_TOKEN", "upwork-local-token")
	platforms := platformsim.New(platformsim.Config{Tokens: tokens, WebhookSecrets: secrets, WebhookURLs: hooks,
		WorkMarketSecret: envOr("WORKMARKET_API_SECRET", "workmarket-local-api-secret"),
		UpworkClient: [3]string{envOr("UPWORK_CLIENT_ID", "upwork-local-client"), envOr("UPWORK_CLIENT_SECRET", "upwork-local-client-secret"),
			envOr("UPWORK_REFRESH_TOKEN", "upwork-local-refresh")},
		JobDivaLogin: [3]string{envOr("JOBDIVA_CLIENT_ID", "jd-client"), envOr("JOBDIVA_USERNAME", "jd-user"), envOr("JOBDIVA_PASSWORD", "jd-pass")}})

	servers := []*http.Server{
		{Addr: *policyAddr, Handler: sim, ReadHeaderTimeout: 10 * time.Second},
		{Addr: *platformAddr, Handler: platforms, ReadHeaderTimeout: 10 * time.Second},
		{Addr: *notifyAddr, Handler: notificationLogger(*notifySecret), ReadHeaderTimeout: 10 * time.Second},
	}
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
		_ = srv.Shutdown(shutdown)
	}
}

func runDemo(args []string) {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	platformURL := fs.String("platforms", envOr("SANDBOX_PLATFORM_URL", "http://127.0.0.1:8091"), "platform simulators")
	policyURL := fs.String("policy", envOr("POLICY_API_URL", "http://127.0.0.1:8090"), "1099Policy sandbox")
	apiKey := fs.String("api-key", envOr("POLICY_API_KEY", "t9k_test_local"), "1099Policy sandbox API key")
	ingress := fs.String("ingress", envOr("SANDBOX_INGRESS_URL", "http://127.0.0.1:8080"), "the ingress (enrollment of JobDiva starts)")
	opsToken := fs.String("ops-token", envOr("OPS_API_TOKEN", "ops_local_token"), "the operator API token")
	_ = fs.Parse(args)
	prefix := fmt.Sprintf("d%d-", time.Now().Unix()%100000)
	fmt.Println("Feeding the demo through the real webhook routes:")
	list, err := demo.Run(context.Background(), demo.Config{PlatformSandboxURL: *platformURL, PolicySandboxURL: *policyURL,
		PolicyAPIKey: *apiKey, IngressURL: *ingress, OpsToken: *opsToken, Prefix: prefix, Log: func(f string, a ...any) { fmt.Printf("  "+f+"\n", a...) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Printf("\n%d engagements started. Within a minute the Temporal UI (http://localhost:8233) shows them;\n", len(list))
	fmt.Println("filter with:", engagement.Engagements().Where(engagement.KeyCoverageStatus, string(engagement.StatusInsured)))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// notificationLogger is the company's side of SPEC §8 for the local stack: it verifies each
// notification's Coverage-Signature and logs one line per notification.
func notificationLogger(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		if err := notify.Verify(secret, r.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			log.Printf("notification refused: %v", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev notify.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "body is not a notification", http.StatusBadRequest)
			return
		}
		log.Printf("notification %s %s: %s is %s (certificate %s) %s", ev.ID, ev.Type, ev.Engagement.WorkflowID,
			ev.Engagement.CoverageStatus, ev.Engagement.CertificateStatus, ev.Engagement.Reason)
		w.WriteHeader(http.StatusNoContent)
	})
}
