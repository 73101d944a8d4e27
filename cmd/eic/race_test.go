//go:build race

package main

// raceEnabled: the tests run under the race detector, which makes whole exports take minutes.
const raceEnabled = true
