// Package e2e runs the product end to end against the real parts: a Temporal dev server (or
// the PostgreSQL-backed cluster), the worker and ingress binaries, and the 1099Policy and
// platform sandboxes speaking real HTTP. Golden histories are recorded and replayed here too.
package e2e
