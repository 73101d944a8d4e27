package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/exportimage/eic/reference/ecs"
)

// FileName is the state file inside a --store directory. It starts with '.', which no bucket
// name does, so the object store never mistakes it for a bucket.
const FileName = ".eic-state.db"

// schemaVersion is written once; a file of another version is refused rather than misread.
const schemaVersion = "1"

var (
	bucketMeta   = []byte("meta")
	bucketTasks  = []byte("tasks")
	bucketQuotas = []byte("quotas")
	keyVersion   = []byte("version")
	keyClock     = []byte("clock")
)

// ErrInUse is returned by Open when another process holds the file.
var ErrInUse = errors.New("journal: the state file is in use by another process")

// lockWait is how long Open waits for another process to release the file.
const lockWait = 250 * time.Millisecond

// Bolt is an ecs.Journal on one bbolt file. Each Save is one fsynced transaction.
type Bolt struct {
	db *bolt.DB
}

var _ ecs.Journal = (*Bolt)(nil)

// Open opens (creating if needed) the state file FileName in dir.
func Open(dir string) (*Bolt, error) {
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (is another eic serve using --store %s?)", ErrInUse, path, dir)
	}
	if err != nil {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			return nil, fmt.Errorf("journal: %w", err) // it names the path already
		}
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketTasks, bucketQuotas} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("schema version %q, this eic reads %q", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// Path is the state file.
func (b *Bolt) Path() string { return b.db.Path() }

// Close releases the file (and its lock).
func (b *Bolt) Close() error { return b.db.Close() }

// Load implements ecs.Journal.
func (b *Bolt) Load() (ecs.State, error) {
	var st ecs.State
	err := b.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyClock); v != nil {
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				return fmt.Errorf("clock %q: %w", v, err)
			}
			st.Clock = t
		}
		err := tx.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
			var r ecs.TaskRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("task %s: %w", k, err)
			}
			st.Tasks = append(st.Tasks, r)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketQuotas).ForEach(func(k, v []byte) error {
			var q ecs.QuotaRecord
			if err := json.Unmarshal(v, &q); err != nil {
				return fmt.Errorf("quota %s: %w", k, err)
			}
			st.Quotas = append(st.Quotas, q)
			return nil
		})
	})
	if err != nil {
		return ecs.State{}, fmt.Errorf("journal: load %s: %w", b.db.Path(), err)
	}
	return st, nil
}

// Save implements ecs.Journal.
func (b *Bolt) Save(c ecs.Change) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		if c.Wipe {
			if err := recreate(tx, bucketTasks); err != nil {
				return err
			}
		}
		if c.Wipe || c.Quotas != nil {
			if err := recreate(tx, bucketQuotas); err != nil {
				return err
			}
		}
		tasks, quotas := tx.Bucket(bucketTasks), tx.Bucket(bucketQuotas)
		for _, r := range c.Tasks {
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := tasks.Put([]byte(r.ID), data); err != nil {
				return err
			}
		}
		for _, q := range c.Quotas {
			data, err := json.Marshal(q)
			if err != nil {
				return err
			}
			if err := quotas.Put([]byte(q.Account+"\x00"+q.Region), data); err != nil {
				return err
			}
		}
		if !c.Clock.IsZero() {
			return tx.Bucket(bucketMeta).Put(keyClock, []byte(c.Clock.UTC().Format(time.RFC3339Nano)))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal: save %s: %w", b.db.Path(), err)
	}
	return nil
}

func recreate(tx *bolt.Tx, name []byte) error {
	if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	_, err := tx.CreateBucket(name)
	return err
}
