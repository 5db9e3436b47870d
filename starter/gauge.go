package main

import (
	"context"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/config"
)

// RefreshGauges sets coverage_open_engagements from visibility counts every interval until
// ctx ends. Counting in Temporal (not in process memory) makes every ingress replica report
// the same numbers.
func (s *Server) RefreshGauges(ctx context.Context, every time.Duration) {
	failing := false
	for {
		err := s.countOpenEngagements(ctx)
		switch {
		case err != nil && !failing:
			s.Logger.Warn("open-engagements gauge not refreshed; keeping the last values", zap.Error(err))
		case err == nil && failing:
			s.Logger.Info("open-engagements gauge refreshed again")
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (s *Server) countOpenEngagements(ctx context.Context) error {
	for _, vendor := range config.Vendors {
		for _, status := range engagement.OpenStatuses {
			cctx, cancel := context.WithTimeout(ctx, temporalTimeout)
			n, err := engagement.Count(cctx, s.Temporal, engagement.Engagements().Running().
				Where(engagement.KeyVendor, vendor).Where(engagement.KeyCoverageStatus, string(status)))
			cancel()
			if err != nil {
				return err
			}
			s.openEngagements.WithLabelValues(string(status), vendor).Set(float64(n))
		}
	}
	return nil
}
