//go:build race

package ossapi_test

// raceEnabled: the race detector instruments every copy, so multi-GiB transfers are skipped.
const raceEnabled = true
