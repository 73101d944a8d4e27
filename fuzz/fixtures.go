package fuzz

import "sort"

// World is the fuzzer's model of an endpoint's fixtures: who exists and what each thing is.
// DefaultWorld transcribes docs/reference.md; nothing here is read from reference/ecs.
type World struct {
	Accounts map[string]*Account // by account name
	Keys     map[string]Key      // by access key ID
	Regions  map[string]Region   // regions that exist
	Images   map[string]Image    // by image ID
	Buckets  map[string]Bucket   // by bucket name
	// Tasks are the fixture tasks of other actions than ExportImage, by ID.
	Tasks map[string]FixtureTask
	// Quota is the default per account and region.
	Quota Quota
}

// Account is one account's export-relevant state.
type Account struct {
	Name        string
	AllowListed bool
	// Role is the state of AliyunECSImageExportDefaultRole: "ok", "missing", "bad-trust",
	// "no-permission".
	Role string
}

// Key is an access key; Disabled keys are refused by the transport.
type Key struct {
	ID, Secret, Account string
	Disabled            bool
}

// Region is one region's capabilities.
type Region struct {
	Name           string
	Export         bool
	AllFormats     bool // false: only raw (other formats → InvalidImageFormat.RegionNotSupported)
	DataDiskExport bool
}

// Image is a custom image as ExportImage sees it.
type Image struct {
	ID, Owner, Region string
	BadName           bool // stored name is malformed (InvalidImageName.Malformed)
	Marketplace       bool // a marketplace image itself (ImageNotSupported 403)
	MarketDerived     bool // made from a marketplace image (ImageNotSupported 400)
	Encrypted         bool
	Licensed          bool   // licence forbids export
	Status            string // "Available" or another status
	DataDisks         []int  // sizes in GiB
	Unreadable        bool   // the export fails at submission (ExportImageFailed)
}

// Bucket is an OSS bucket of one account.
type Bucket struct{ Name, Owner, Region string }

// FixtureTask is a task of another action that exists from the start (docs/reference.md):
// it never progresses, and CancelTask supports only ImportImage and ExportImage tasks.
type FixtureTask struct{ ID, Account, Region, Action, Status string }

// Quota is a concurrent and weekly export quota.
type Quota struct{ Concurrent, Weekly int }

// DefaultRole is the only role name ExportImage accepts (rule 3 of the document).
const DefaultRole = "AliyunECSImageExportDefaultRole"

// MainAccount is the account that should be able to do everything.
const MainAccount = "demo"

// DefaultWorld is the reference's built-in fixture set as docs/reference.md describes it.
func DefaultWorld() *World {
	w := &World{
		Accounts: map[string]*Account{},
		Keys:     map[string]Key{},
		Regions:  map[string]Region{},
		Images:   map[string]Image{},
		Buckets:  map[string]Bucket{},
		Tasks:    map[string]FixtureTask{},
		Quota:    Quota{Concurrent: 5, Weekly: 100},
	}
	acct := func(name string, allow bool, role, key, secret string) {
		w.Accounts[name] = &Account{Name: name, AllowListed: allow, Role: role}
		w.Keys[key] = Key{ID: key, Secret: secret, Account: name}
	}
	acct("demo", true, "ok", "LTAI5tEicDemoKey0000001", "EicDemoSecret00000000000000001")
	acct("other", true, "ok", "LTAI5tEicOtherKey000002", "EicOtherSecret0000000000000002")
	acct("nowhitelist", false, "ok", "LTAI5tEicNoWhiteKey0003", "EicNoWhiteSecret00000000000003")
	acct("norole", true, "missing", "LTAI5tEicNoRoleKey00004", "EicNoRoleSecret000000000000004")
	acct("badtrust", true, "bad-trust", "LTAI5tEicBadTrustKey005", "EicBadTrustSecret0000000000005")
	acct("noperm", true, "no-permission", "LTAI5tEicNoPermKey00006", "EicNoPermSecret000000000000006")
	w.Keys["LTAI5tEicDisabledKey007"] = Key{ID: "LTAI5tEicDisabledKey007", Secret: "EicDisabledSecret0000000000007", Account: "demo", Disabled: true}

	for _, r := range []Region{
		{Name: "cn-hangzhou", Export: true, DataDiskExport: true},
		{Name: "ap-southeast-1", Export: true, AllFormats: true, DataDiskExport: true},
		{Name: "cn-shanghai", Export: true},
		{Name: "cn-wulanchabu"},
		{Name: "cn-beijing", Export: true, DataDiskExport: true},
	} {
		w.Regions[r.Name] = r
	}

	img := func(i Image) {
		if i.Owner == "" {
			i.Owner = "demo"
		}
		if i.Status == "" {
			i.Status = "Available"
		}
		w.Images[i.ID] = i
	}
	hz, sg := "cn-hangzhou", "ap-southeast-1"
	img(Image{ID: "m-eic-custom", Region: hz})
	img(Image{ID: "m-eic-sg-custom", Region: sg})
	img(Image{ID: "m-eic-datadisks4", Region: sg, DataDisks: []int{500, 500, 500, 500}})
	img(Image{ID: "m-eic-datadisks5", Region: sg, DataDisks: []int{10, 10, 10, 10, 10}})
	img(Image{ID: "m-eic-datadisk501", Region: sg, DataDisks: []int{501}})
	img(Image{ID: "m-eic-sh-datadisks", Region: "cn-shanghai", DataDisks: []int{10}})
	img(Image{ID: "m-eic-market-derived", Region: hz, MarketDerived: true})
	img(Image{ID: "m-eic-marketplace", Region: hz, Marketplace: true})
	img(Image{ID: "m-eic-encrypted", Region: hz, Encrypted: true})
	img(Image{ID: "m-eic-creating", Region: hz, Status: "Creating"})
	img(Image{ID: "m-eic-licensed", Region: hz, Licensed: true})
	img(Image{ID: "m-eic-broken", Region: hz, Unreadable: true})
	img(Image{ID: "m-eic-badname", Region: hz, BadName: true})
	img(Image{ID: "m-eic-other", Owner: "other", Region: hz})

	bkt := func(name, owner, region string) { w.Buckets[name] = Bucket{Name: name, Owner: owner, Region: region} }
	bkt("eic-export", "demo", hz)
	bkt("eic-export-sg", "demo", sg)
	bkt("eic-export-sh", "demo", "cn-shanghai")
	bkt("eic-export-bj", "demo", "cn-beijing")
	bkt("eic-other", "other", hz)
	for _, a := range []string{"nowhitelist", "norole", "badtrust", "noperm"} {
		img(Image{ID: "m-eic-custom-" + a, Owner: a, Region: hz})
		bkt("eic-export-"+a, a, hz)
	}
	w.Tasks["t-eic-modifydiskspec"] = FixtureTask{ID: "t-eic-modifydiskspec", Account: "demo", Region: hz, Action: "ModifyDiskSpec", Status: "Processing"}
	return w
}

// KeyOf returns the enabled access key of an account.
func (w *World) KeyOf(account string) (Key, bool) {
	for _, id := range sortedKeys(w.Keys) {
		if k := w.Keys[id]; k.Account == account && !k.Disabled {
			return k, true
		}
	}
	return Key{}, false
}

// AccountNames lists the accounts, sorted.
func (w *World) AccountNames() []string { return sortedKeys(w.Accounts) }

// RegionNames lists the regions that exist, sorted.
func (w *World) RegionNames() []string { return sortedKeys(w.Regions) }

// ImageIDs lists every image, sorted.
func (w *World) ImageIDs() []string { return sortedKeys(w.Images) }

// BucketNames lists every bucket, sorted.
func (w *World) BucketNames() []string { return sortedKeys(w.Buckets) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
