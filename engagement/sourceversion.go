package engagement

import (
	"context"

	"go.temporal.io/sdk/client"
)

// RunningSourceVersions reads, from the visibility listing, the running engagements of a
// platform and the version of the platform record each last applied (KeySourceVersion; empty
// when it has published none). A poller compares against it before signalling anyone.
func RunningSourceVersions(ctx context.Context, c client.Client, vendor string) (map[string]string, error) {
	out := map[string]string{}
	var token []byte
	for {
		page, err := List(ctx, c, Engagements().Running().Where(KeyVendor, vendor), 1000, token)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Engagements {
			if e.Vendor == vendor {
				out[e.EngagementID] = e.SourceVersion
			}
		}
		if token = page.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}
