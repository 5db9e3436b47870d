// Package workflows holds the deterministic workflow code and nothing else: the engagement's
// lifecycle (engagement.go reads as SPEC §2: set up, keep covered, finish; one file per
// concern), the per-contractor session coordinator, the 1099Policy event router, the platform
// and events pollers, and the backfill. Names, payloads and client helpers live in package
// engagement; every outside call is an activity of package activities.
package workflows
