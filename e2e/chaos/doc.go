// Package chaos proves that nothing is lost: a seeded chaos run (many
// clients sending while connections are cut and parleyd is restarted and
// killed with SIGKILL) and crash-durability tests, all against parleyd as
// a child process. It has no code of its own; see the tests.
//
//	go test -race ./e2e/chaos/                          # the CI run
//	go test -race ./e2e/chaos/ -run Chaos -chaos.soak   # a long soak
//	go test ./e2e/chaos/ -run Chaos -chaos.seed=7 -chaos.duration=2m -v
package chaos
