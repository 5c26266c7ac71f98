// Package deptest holds the test that keeps Parley's layers apart: it has no
// code of its own.
package deptest
