// Package engagement is the engagement's public face: everything outside the workflows needs
// to reach one. It owns the workflow ids and their parsers, the workflow type names, the
// signal, Update and query names with their payload types (Status, PolicyEvent, operator
// actions), the one list of search-attribute keys (registration, upserts and the start-up
// check derive from it), the visibility query builder, and the client helpers that start,
// signal, update, query, list and schedule workflows by type name. The workflows, the
// activities, the ingress and the worker import it; it imports none of them.
package engagement
