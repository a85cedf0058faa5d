// Package listplans holds the plan test of the list queries (issues 9 and 13): on a seeded database
// with one big organization among many small ones, every list query of gen/db, with the service's
// parameters, is explained under a custom and under a generic plan, and the plan must read only its
// page through an index that leads with organization_id and matches the list's order.
//
// The package has no code of its own: see plans_test.go.
package listplans
