package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"selfserve/store/engine"
	"selfserve/store/engine/badger"
)

// The key of the sign-up codes' MACs (model.CodeRecord) lives in a file
// beside Badger's, never in the database: `selfserve backup` streams only
// Badger's records, and a copy of Badger's files without this file cannot
// check a guess at a code, let alone try all million offline (issue 10
// point 13). Whoever can read the whole directory can read the key too;
// the file is the operator's to keep out of copies made for analysis.
const codeKeyFile = "codes.key"

// ErrCodeKey says the key file exists but cannot be used; codes can be
// neither made nor checked until it is fixed or removed.
var ErrCodeKey = errors.New("the sign-up code key cannot be used")

// codeKeyring loads the key on first use, so that opening a database
// (a read-only one included) never writes the file.
type codeKeyring struct {
	once sync.Once
	key  []byte
	err  error
}

// codeKey returns the key: an in-memory store's is random and dies with
// it; a directory's is read from codes.key, made on the first code. On a
// database server the key is a record (sharedCodeKey).
func (s *Store) codeKey() ([]byte, error) {
	s.codes.once.Do(func() {
		dir, onDisk := s.eng.(interface{ Dir() string })
		switch {
		case s.opts.InMemory:
			s.codes.key = make([]byte, 32)
			_, s.codes.err = rand.Read(s.codes.key)
		case onDisk:
			s.codes.key, s.codes.err = loadCodeKey(filepath.Join(dir.Dir(), codeKeyFile))
		default:
			s.codes.key, s.codes.err = s.sharedCodeKey()
		}
	})
	return s.codes.key, s.codes.err
}

// sharedCodeKey reads the key from the database, or makes it there. Every
// server on one database must check the codes the others sent, and they
// share nothing but the database; whoever can read the table can read the
// key, so a copy of the table for analysis must leave this record out,
// as backup and migrate do (issue 13).
func (s *Store) sharedCodeKey() ([]byte, error) {
	var key []byte
	err := s.update(func(txn engine.Txn) error {
		b, err := txn.Get([]byte(kCodeKey))
		if err == nil {
			key, err = hex.DecodeString(strings.TrimSpace(string(b)))
			if err != nil || len(key) != 32 {
				return fmt.Errorf("%w: the key record is not 32 bytes of hex", ErrCodeKey)
			}
			return nil
		}
		if !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("drawing the sign-up code key: %w", err)
		}
		return txn.Set([]byte(kCodeKey), []byte(hex.EncodeToString(key)))
	})
	return key, err
}

// loadCodeKey reads the key at path, or makes it: 32 bytes from
// crypto/rand, in hex, mode 0600 whatever the umask. It is written to a
// temporary file, synced, then linked into place, so that the key file
// is whole or absent even after a crash.
func loadCodeKey(path string) ([]byte, error) {
	key, err := readCodeKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("drawing the sign-up code key: %w", err)
	}
	return writeCodeKey(path, key)
}

// writeCodeKey puts key at path, unless a key is there already, and
// returns the key that is.
func writeCodeKey(path string, key []byte) ([]byte, error) {
	tmp := path + ".new"
	os.Remove(tmp) // a leftover of a crash before the link
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("making the sign-up code key %s: %w", path, err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	os.Remove(tmp)
	if errors.Is(err, fs.ErrExist) {
		return readCodeKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("making the sign-up code key %s: %w", path, err)
	}
	if err := badger.SyncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("making the sign-up code key %s: %w", path, err)
	}
	return key, nil
}

func readCodeKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: reading %s: %w", ErrCodeKey, path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: %s holds %d bytes, not 64 hex digits", ErrCodeKey, path, len(b))
	}
	return key, nil
}
