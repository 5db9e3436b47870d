package policyclient

import "strings"

// SecretList splits a webhook secret setting: comma-separated, so a secret rotates without
// downtime (configure "new,old", switch the sender, then drop "old"). Any one verifies. The
// platform adapters read their settings with it too.
func SecretList(setting string) []string {
	var out []string
	for _, s := range strings.Split(setting, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
