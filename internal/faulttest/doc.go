// Package faulttest holds the fault tests of the service: the real binary (cmd/crm, built once by
// the tests) against a throwaway PostgreSQL cluster of its own (initdb and pg_ctl from the
// machine's PostgreSQL packages, in a temporary directory, on a free loopback port), while the
// tests stop the database under load, send SIGTERM, start replicas side by side.
//
// The tests need the PostgreSQL server binaries (initdb, pg_ctl, postgres): they are found on
// PATH, through pg_config, or under /usr/lib/postgresql/<version>/bin (the newest version). Run as
// root, the cluster runs as the "postgres" user (initdb refuses root), through runuser or su.
// CRM_FAULTTEST_BINARY names a prebuilt binary to test instead of building cmd/crm (to run the
// tests against an older build, for instance).
package faulttest
