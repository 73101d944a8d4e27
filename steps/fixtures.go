package steps

import (
	"fmt"
	"github.com/exportimage/eic/features"
	"github.com/exportimage/eic/internal/endpoint"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Fixtures maps the suite's logical resource names to what exists on the endpoint under
// test. Features never name a concrete ID: they say "image custom", "bucket home", "account
// other", and a fixtures file says what those are on a given endpoint. A scenario that needs
// a logical name the file does not define is skipped with the reason.
//
// features/fixtures/reference.yaml maps every name to the reference server's default
// fixtures (docs/reference.md); a file for a live endpoint maps the names its operator could
// provide (typically: account main from the environment, image custom, bucket home) and
// leaves the rest out.
type Fixtures struct {
	// Accounts by logical name: main (the default caller), other (isolation), nowhitelist,
	// norole, badtrust, noperm, disabled (a disabled key).
	Accounts map[string]Account `yaml:"accounts"`
	// Regions by logical name: home, formats (honours every ImageFormat), no-datadisk-export,
	// no-export, elsewhere (another region with export), unknown (no such region).
	Regions map[string]string `yaml:"regions"`
	// Images by logical name (see features/fixtures/reference.yaml for the list).
	Images map[string]Image `yaml:"images"`
	// Buckets by logical name.
	Buckets map[string]Bucket `yaml:"buckets"`
	// Tasks by logical name, for task IDs the suite cannot create (e.g. a task of another
	// action for InvalidTaskId.TaskActionNotSupport).
	Tasks map[string]string `yaml:"tasks"`
}

// Account is one set of credentials. Name is the account's name on the reference control
// API (quotas, faults, sts); empty elsewhere.
type Account struct {
	Name            string `yaml:"name"`
	AccessKeyID     string `yaml:"accessKeyId"`
	AccessKeySecret string `yaml:"accessKeySecret"`
	SecurityToken   string `yaml:"securityToken"`
}

// Image is a source image: its ID, region, and optionally the SHA-256 of each source disk
// by device ("system", "xvdb", …) for the round-trip check of exported objects on endpoints
// without the reference control API.
type Image struct {
	ID     string            `yaml:"id"`
	Region string            `yaml:"region"`
	Disks  map[string]string `yaml:"disks"`
}

// Bucket is an OSS bucket and its region.
type Bucket struct {
	Name   string `yaml:"name"`
	Region string `yaml:"region"`
}

// ParseFixtures reads a fixtures document (YAML). Unknown keys are an error, so a typo does
// not silently skip scenarios.
func ParseFixtures(data []byte) (*Fixtures, error) {
	var f Fixtures
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	for name, img := range f.Images {
		if img.ID == "" {
			return nil, fmt.Errorf("fixtures: image %q has no id", name)
		}
	}
	for name, b := range f.Buckets {
		if b.Name == "" {
			return nil, fmt.Errorf("fixtures: bucket %q has no name", name)
		}
	}
	return &f, nil
}

// LoadFixtures reads a fixtures file.
func LoadFixtures(path string) (*Fixtures, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseFixtures(data)
}

// WithEnvAccount returns a copy of f whose account "main" comes from the standard
// environment variables (endpoint.EnvKey) when they are set.
func (f *Fixtures) WithEnvAccount(getenv func(string) string) *Fixtures {
	key, ok := endpoint.EnvKey(getenv)
	if !ok {
		return f
	}
	out := *f
	out.Accounts = make(map[string]Account, len(f.Accounts)+1)
	for k, v := range f.Accounts {
		out.Accounts[k] = v
	}
	main := out.Accounts["main"]
	main.AccessKeyID, main.AccessKeySecret, main.SecurityToken = key.ID, key.Secret, key.SecurityToken
	out.Accounts["main"] = main
	return &out
}

// missingFixture is the skip reason of a scenario whose logical resource is not mapped.
type missingFixture struct{ kind, name string }

func (m missingFixture) Error() string {
	return fmt.Sprintf("fixture %s %q is not defined in the fixtures file", m.kind, m.name)
}

func (f *Fixtures) account(name string) (Account, error) {
	a, ok := f.Accounts[name]
	if !ok || a.AccessKeyID == "" {
		return Account{}, missingFixture{"account", name}
	}
	return a, nil
}

func (f *Fixtures) image(name string) (Image, error) {
	img, ok := f.Images[name]
	if !ok {
		return Image{}, missingFixture{"image", name}
	}
	return img, nil
}

func (f *Fixtures) bucket(name string) (Bucket, error) {
	b, ok := f.Buckets[name]
	if !ok {
		return Bucket{}, missingFixture{"bucket", name}
	}
	return b, nil
}

func (f *Fixtures) region(name string) (string, error) {
	r, ok := f.Regions[name]
	if !ok || r == "" {
		return "", missingFixture{"region", name}
	}
	return r, nil
}

var placeholder = regexp.MustCompile(`\{([a-z]+)(?::([A-Za-z0-9_.-]+))?\}`)

// expand replaces the placeholders of a feature value: {image:NAME} and {image-region:NAME},
// {bucket:NAME}, {region:NAME}, {task:NAME} (fixture tasks), and the scenario's own {task}
// (the last task created) through vars. A missing fixture is a missingFixture error.
func (f *Fixtures) expand(s string, vars map[string]string) (string, error) {
	var firstErr error
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		kind, name := sub[1], sub[2]
		var v string
		var err error
		switch kind {
		case "image":
			var img Image
			img, err = f.image(name)
			v = img.ID
		case "imageregion":
			var img Image
			img, err = f.image(name)
			v = img.Region
		case "bucket":
			var b Bucket
			b, err = f.bucket(name)
			v = b.Name
		case "region":
			v, err = f.region(name)
		case "task":
			if name == "" {
				var ok bool
				if v, ok = vars["task"]; !ok {
					err = fmt.Errorf("no task was created in this scenario")
				}
				break
			}
			var ok bool
			if v, ok = f.Tasks[name]; !ok {
				err = missingFixture{"task", name}
			}
		default:
			if val, ok := vars[kind]; ok && name == "" {
				v = val
			} else {
				return m
			}
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	})
	return out, firstErr
}

// ReferenceFixtures parses the embedded features/fixtures/reference.yaml.
func ReferenceFixtures() (*Fixtures, error) {
	data, err := features.FS.ReadFile(features.ReferenceFixtures)
	if err != nil {
		return nil, err
	}
	return ParseFixtures(data)
}
