// Package startup is the boot sequence the worker and the ingress share: configuration, logs
// and metrics, the Temporal client, and the check that the namespace has the search attributes
// the engagements need. A deployment mistake stops start-up here with one line that names it.
package startup

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/telemetry"
)

// Mode is how a binary connects to Temporal.
type Mode int

const (
	// Dial connects at once: the worker has nothing to do without Temporal, so an unreachable
	// server or a namespace without the search attributes stops it.
	Dial Mode = iota
	// Lazy connects on first use: the ingress starts (answers /healthz, and 503 on webhooks)
	// while Temporal is down; the search attributes are checked when it is reachable.
	Lazy
)

// Service is what a booted binary holds.
type Service struct {
	Config config.Config
	*telemetry.Runtime
	Client client.Client
	// SourceVersions says the namespace has the optional SourceVersion search attribute: the
	// workflows publish the version of the record they applied, and the pollers skip the rest.
	SourceVersions bool
}

// Boot loads the configuration, starts logs and metrics, and connects to Temporal.
func Boot(mode Mode, require ...func(config.Config) error) (*Service, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	for _, check := range require {
		if err := check(cfg); err != nil {
			return nil, err
		}
	}
	opts, err := cfg.ClientOptions()
	if err != nil {
		return nil, err
	}
	rt, err := telemetry.Start(cfg.LogFormat, opts)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings() {
		rt.Logger.Warn(w)
	}
	s := &Service{Config: cfg, Runtime: rt}
	if mode == Lazy {
		s.Client, err = client.NewLazyClient(rt.ClientOptions)
	} else {
		s.Client, err = client.Dial(rt.ClientOptions)
	}
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("temporal at %s: %w", cfg.Temporal.Address, err)
	}
	if err := s.checkNamespace(mode); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Service) checkNamespace(mode Mode) error {
	timeout := 30 * time.Second
	if mode == Lazy {
		timeout = 10 * time.Second // the ingress should not wait long for a Temporal that is down
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if mode == Lazy {
		if _, err := s.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			s.Logger.Warn("Temporal is not reachable at start-up; the search attributes are not checked", zap.Error(err))
			return nil
		}
	}
	missing, err := engagement.CheckSearchAttributes(ctx, s.Client, s.Config.Temporal.Namespace)
	for _, line := range missing {
		s.Logger.Warn(line)
	}
	s.SourceVersions = err == nil && len(missing) == 0
	return err
}

// Main boots the service and runs it until SIGINT or SIGTERM cancels ctx; an error stops the
// process with one line naming it, prefixed with the binary's name.
func Main(name string, mode Mode, run func(ctx context.Context, svc *Service) error, require ...func(config.Config) error) {
	if err := bootAndRun(mode, run, require); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func bootAndRun(mode Mode, run func(context.Context, *Service) error, require []func(config.Config) error) error {
	svc, err := Boot(mode, require...)
	if err != nil {
		return err
	}
	defer svc.Close()
	if path := svc.Config.CPUProfile; path != "" {
		stopProfile, err := profileCPU(path)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, svc)
}

// profileCPU starts a pprof CPU profile written to path when the returned func runs.
func profileCPU(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("CPU_PROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("CPU_PROFILE: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// Close closes the client, then flushes logs and metrics.
func (s *Service) Close() {
	s.Client.Close()
	s.Runtime.Close()
}
