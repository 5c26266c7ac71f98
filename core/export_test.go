package core

// NewConvCache lets core_test run the Store conformance suite on the
// conversation cache.
var NewConvCache = func(s Store) Store { return newConvCache(s) }
