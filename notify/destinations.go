package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// DestinationID names a destination without its URL (a Slack webhook URL is a credential):
// stable for one URL, so a sender workflow keeps its queues across worker restarts.
func DestinationID(url string) string {
	sum := sha256.Sum256([]byte(url))
	return "dst_" + hex.EncodeToString(sum[:8])
}

// DestinationIDs lists every destination's id, in Destinations' order.
func (s *Sender) DestinationIDs() []string {
	var out []string
	for _, d := range s.Destinations() {
		out = append(out, DestinationID(d))
	}
	return out
}

// SendTo posts ev to the destination with this id; found is false when no configured
// destination has it any more (it was removed from the configuration).
func (s *Sender) SendTo(ctx context.Context, id string, ev Event) (found bool, err error) {
	for _, d := range s.Destinations() {
		if DestinationID(d) == id {
			return true, s.Send(ctx, d, ev)
		}
	}
	return false, nil
}
