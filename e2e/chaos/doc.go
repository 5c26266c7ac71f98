// Package chaos proves that nothing is lost: a seeded chaos run (many
// clients sending while connections are cut and parleyd is restarted and
// killed with SIGKILL) and crash-durability tests, all against parleyd as
// a child process (built by the tests, or $PARLEYD_BIN). It has no code of
// its own; see the tests.
//
//	go test -race ./e2e/chaos/                          # the CI run (about 40 s)
//	go test -race ./e2e/chaos/ -run Chaos -chaos.soak   # a 10-minute soak
//	go test ./e2e/chaos/ -run Chaos -v -chaos.seed=7 -chaos.duration=2m
//	go test ./e2e/chaos/ -run Chaos -v -chaos.sendtimeout=2s -chaos.downmax=4s  # messages also fail
//
// The seed fixes the schedule (which faults, which sends, which targets);
// the timing of a run still varies. PARLEY_CHAOS_LOG=1 shows parleyd's log.
package chaos
