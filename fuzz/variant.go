package fuzz

import (
	"math/rand"
	"strings"
)

// Variant generates a request that differs from a valid one in one thing only: one parameter
// made invalid, dropped, emptied, repeated or added; one fixture swapped (another account's
// image, a marketplace or encrypted image, an image or a bucket in another region, a region
// that does not export, another account with its own coherent image and bucket, an unknown
// or disabled key); DryRun set; or the signed request tampered with (Tampers). A single
// change is what reaches each documented row: with several, the first check in the order
// hides the others.
func (g *Generator) Variant(r *rand.Rand, action string, st *State) Request {
	req := g.validRequest(r, action, g.Accounts[0], st)
	params := g.params[action]
	switch n := r.Intn(100); {
	case n < 22 && len(params) > 0: // one parameter made invalid
		p := pick(r, g.constrained[action])
		return req.With(p.Name, p.Invalid(r))
	case n < 30: // one required parameter dropped or emptied
		names := g.required[action]
		if len(names) == 0 {
			return req
		}
		if name := pick(r, names); r.Intn(2) == 0 {
			return req.Without(name)
		} else {
			return req.With(name, "")
		}
	case n < 34: // a parameter the action does not define, or one repeated
		if r.Intn(2) == 0 || len(req.Params) == 0 {
			req.Params = append(req.Params, Param{g.unknownName(r, action), "x"})
		} else {
			req.Params = append(req.Params, pick(r, req.Params))
		}
		return req
	case n < 58 && action == "ExportImage": // one fixture swapped
		return g.swapFixture(r, req)
	case n < 58: // a companion's resource swapped
		switch action {
		case "DescribeTaskAttribute", "CancelTask":
			id := pick(r, append(g.World.taskIDs(), "t-eic-no-such-task-01"))
			return req.With("TaskId", id)
		}
		return req.With("RegionId", pick(r, append(g.World.RegionNames(), "eic-nowhere-1")))
	case n < 68: // another account or key
		if g.NoOddKeys {
			return req
		}
		acct := pick(r, append(without(g.Accounts, MainAccount), UnknownKey, DisabledKey, UnknownKey, DisabledKey))
		if acct == UnknownKey || acct == DisabledKey {
			req.Account = acct
			return req
		}
		return g.validRequest(r, action, acct, st)
	case n < 72 && action == "ExportImage":
		return req.With("DryRun", "true")
	case n < 80 && g.ControlAPI && (action == "ExportImage" || action == "CancelTask"):
		if action == "CancelTask" {
			req.Setup = SetupEndedTask
		} else {
			req.Setup = pick(r, []string{SetupExporting, SetupConcurrentFull, SetupWeeklyFull})
		}
		return req
	case n < 76 && action == "ExportImage":
		return req.With("RoleName", pick(r, []string{"AliyunECSImageExportRole", strings.ToLower(DefaultRole), ""}))
	default: // the signed request tampered with
		t := pick(r, Tampers)
		if !g.canSend(t) {
			t = TamperBogusToken
		}
		req.Tamper = t
		if (t == TamperNoSignature || t == TamperNoTimestamp) && r.Intn(2) == 0 {
			req.Scheme = "v1" // V1 has rows of its own for these (ACS-E21, ACS-E22)
		}
		return req
	}
}

// validRequest is a request the model expects to succeed (or, for an account without the
// allow-list or a role, to fail only for that): the account's own image, its region, a bucket
// there, and some optional parameters with valid values.
func (g *Generator) validRequest(r *rand.Rand, action, account string, st *State) Request {
	w := g.World
	req := Request{Action: action, Account: account}
	combos := g.combos[account]
	switch action {
	case "ExportImage":
		if len(combos) == 0 {
			return g.Random(r, action, st)
		}
		c := pick(r, combos)
		req.Params = []Param{{"RegionId", c[1]}, {"ImageId", c[0]}, {"OSSBucket", c[2]}}
		if r.Intn(2) == 0 {
			req.Params = append(req.Params, Param{"OSSPrefix", randString(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1+r.Intn(30))})
		}
		if w.Regions[c[1]].AllFormats && r.Intn(2) == 0 {
			req.Params = append(req.Params, Param{"ImageFormat", pick(r, []string{"raw", "vhd", "qcow2", "vmdk", "vdi"})})
		}
		if r.Intn(4) == 0 {
			req.Params = append(req.Params, Param{"RoleName", DefaultRole})
		}
		if r.Intn(4) == 0 {
			req.Params = append(req.Params, Param{"DryRun", "false"})
		}
	case "DescribeTasks":
		req.Params = []Param{{"RegionId", pick(r, w.RegionNames())}}
		if r.Intn(2) == 0 {
			req.Params = append(req.Params, Param{"TaskAction", "ExportImage"})
		}
		if r.Intn(3) == 0 {
			req.Params = append(req.Params, Param{"PageSize", "10"})
		}
	case "DescribeTaskAttribute", "CancelTask":
		var own []*Task
		if st != nil {
			for _, t := range st.Tasks {
				if t.Account == account {
					own = append(own, t)
				}
			}
		}
		id, region := "t-eic-no-such-task-01", "cn-hangzhou"
		if len(own) > 0 {
			t := pick(r, own)
			id, region = t.ID, t.Region
		} else if ft, ok := w.Tasks["t-eic-modifydiskspec"]; ok && account == ft.Account {
			id, region = ft.ID, ft.Region
		}
		req.Params = []Param{{"RegionId", region}, {"TaskId", id}}
	default:
		return g.Random(r, action, st)
	}
	return req
}

// exportable lists an account's plain images with their region and each bucket of the
// account there.
func (w *World) exportable(account string) [][3]string {
	var combos [][3]string // image, region, bucket
	for _, id := range w.ImageIDs() {
		img := w.Images[id]
		if img.Owner != account || !plainImage(img) {
			continue
		}
		for _, b := range w.BucketNames() {
			if bk := w.Buckets[b]; bk.Owner == account && bk.Region == img.Region {
				combos = append(combos, [3]string{id, img.Region, b})
			}
		}
	}
	return combos
}

// plainImage: an image with nothing the checks refuse.
func plainImage(img Image) bool {
	return !img.BadName && !img.Marketplace && !img.MarketDerived && !img.Encrypted && !img.Licensed &&
		img.Status == "Available" && len(img.DataDisks) == 0 && !img.Unreadable
}

// swapFixture changes one resource of a valid export: the image (kept coherent with its
// region and a bucket there when the account has one, so the image's own property decides),
// the bucket, the region, or the format against the region.
func (g *Generator) swapFixture(r *rand.Rand, req Request) Request {
	w := g.World
	switch r.Intn(5) {
	case 0, 1: // an image with a property, moved with its region and bucket
		img := w.Images[pick(r, w.ImageIDs())]
		out := req.With("ImageId", img.ID)
		if r.Intn(4) > 0 {
			out = out.With("RegionId", img.Region).Without("ImageFormat")
			for _, b := range w.BucketNames() {
				if bk := w.Buckets[b]; bk.Owner == req.Account && bk.Region == img.Region {
					out = out.With("OSSBucket", b)
				}
			}
		}
		return out
	case 2: // a bucket elsewhere, another account's, or none
		return req.With("OSSBucket", pick(r, append(w.BucketNames(), "eic-no-such-bucket")))
	case 3: // a region that does not exist or does not export
		return req.With("RegionId", pick(r, append(w.RegionNames(), "eic-nowhere-1", "CN-HANGZHOU")))
	default: // a format other than raw, whatever the region produces
		return req.With("ImageFormat", pick(r, []string{"vhd", "qcow2", "vmdk", "vdi"}))
	}
}

// taskIDs lists the fixture tasks, sorted.
func (w *World) taskIDs() []string { return sortedKeys(w.Tasks) }
