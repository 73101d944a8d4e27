package ecs

import "math/rand/v2"

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// ids is the seeded source of every generated identifier (task IDs, STS credentials). The
// same seed and the same sequence of calls give the same IDs. The sequence is never restarted,
// not even by Service.Reset: an ID handed out once (a task ID another account saw, an STS key
// that leaked) must never name something else later. Across restarts the seed decides: eic
// serve seeds from the wall clock, so a restarted server continues with fresh IDs. Not safe for
// concurrent use: the Service's lock guards it.
type ids struct {
	r *rand.Rand
}

func newIDs(seed uint64) *ids {
	return &ids{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// word returns n characters of alphabet.
func (g *ids) word(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// taskID is "t-" and 20 lower-case alphanumerics.
func (g *ids) taskID() string { return "t-" + g.word(idAlphabet, 20) }

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// stsKeyID, stsSecret and stsToken shape temporary credentials like STS's.
func (g *ids) stsKeyID() string  { return "STS.NT" + g.word(keyAlphabet, 24) }
func (g *ids) stsSecret() string { return g.word(keyAlphabet, 44) }
func (g *ids) stsToken() string  { return "CAIS" + g.word(keyAlphabet+"+/", 120) }
