//go:build !race

package ossapi_test

const raceEnabled = false
