package reference

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// WithAccessKeys gives each extra access key, "ID:SECRET", an account of its own that can
// export at once: the export role, a bucket per exporting region (eic-keyN in cn-hangzhou,
// eic-keyN-sg in ap-southeast-1) and two custom images (m-keyN-custom, m-keyN-sg-custom),
// N counting the keys from 1. It is eic serve's --access-key.
func WithAccessKeys(keys ...string) Option {
	return func(c *config) error {
		doc, err := keyAccounts(keys)
		if err != nil {
			return err
		}
		c.extend = append(c.extend, doc)
		return nil
	}
}

// keyAccounts builds the fixtures extension of WithAccessKeys.
func keyAccounts(keys []string) ([]byte, error) {
	type kv = map[string]any
	var accounts []kv
	for i, k := range keys {
		id, secret, ok := strings.Cut(k, ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("--access-key %q: want ID:SECRET", k)
		}
		n := i + 1
		name := fmt.Sprintf("key%d", n)
		accounts = append(accounts, kv{
			"name": name,
			"id":   fmt.Sprintf("2%015d", n),
			"keys": []kv{{"id": id, "secret": secret}},
			"roles": []kv{{"name": "AliyunECSImageExportDefaultRole", "trust": "ecs.aliyuncs.com",
				"policies": []string{"AliyunECSImageExportRolePolicy"}}},
			"buckets": []kv{
				{"name": "eic-" + name, "region": "cn-hangzhou"},
				{"name": "eic-" + name + "-sg", "region": "ap-southeast-1"},
			},
			"images": []kv{
				{"id": "m-" + name + "-custom", "region": "cn-hangzhou", "name": name + "-custom",
					"systemDisk": kv{"size": 20, "dataMiB": 4, "seed": 1000 + n}},
				{"id": "m-" + name + "-sg-custom", "region": "ap-southeast-1", "name": name + "-sg-custom",
					"systemDisk": kv{"size": 20, "dataMiB": 4, "seed": 2000 + n}},
			},
		})
	}
	return yaml.Marshal(kv{"accounts": accounts})
}
