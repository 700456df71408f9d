package sshconsole

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/ssh"

	"selfserve/model"
	"selfserve/ops"
)

// Keys maps public keys to who they sign in as. It is read from a file
// whose lines are
//
//	IDENTITY KEY-TYPE BASE64 [COMMENT]
//
// where IDENTITY is "operator" or an admin's email address, and the rest
// is a line of OpenSSH's authorized_keys format. Blank lines and lines
// starting with # are skipped.
type Keys struct {
	entries []keyEntry
}

type keyEntry struct {
	key    ssh.PublicKey
	viewer ops.Viewer
}

// ReadKeys reads an authorized-keys file; every malformed line is an
// error naming its line number, so a typo never silently locks an admin
// out or lets a line mean something else.
func ReadKeys(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: no authorized keys file at %s; create it with lines \"operator ssh-ed25519 AAAA…\" or \"admin@example.com ssh-ed25519 AAAA…\"", model.ErrInvalid, path)
		}
		return nil, err
	}
	defer f.Close()
	// Whoever can write this file can sign in as the operator: like
	// OpenSSH's StrictModes, a file others may write is refused (issue 10
	// point 7).
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return nil, fmt.Errorf("%w: %s is writable by others (mode %#o); make it writable by its owner only (chmod go-w %s)", model.ErrInvalid, path, perm, path)
	}
	k := &Keys{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<10) // RSA keys of 16k bits are long lines
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseKeyLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %v", model.ErrInvalid, path, n, err)
		}
		if v, dup := k.Lookup(e.key); dup {
			// One key, two identities: which one would sign in is a guess.
			return nil, fmt.Errorf("%w: %s line %d: this key is already listed for %s", model.ErrInvalid, path, n, v.Actor())
		}
		k.entries = append(k.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return k, nil
}

func parseKeyLine(line string) (keyEntry, error) {
	who, rest, ok := strings.Cut(line, " ")
	if !ok {
		return keyEntry{}, errors.New("want IDENTITY followed by a public key")
	}
	var v ops.Viewer
	if who != "operator" {
		a, err := model.ParseAddress(who)
		if err != nil {
			return keyEntry{}, fmt.Errorf("identity %q is neither \"operator\" nor an email address: %v", who, err)
		}
		v.Admin = a
	}
	key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
	if err != nil {
		return keyEntry{}, fmt.Errorf("public key: %v", err)
	}
	if len(options) > 0 {
		// authorized_keys options (command=, from=, …) would be silently
		// ignored here; refusing them says so.
		return keyEntry{}, fmt.Errorf("authorized_keys options (%s) are not supported", strings.Join(options, ","))
	}
	return keyEntry{key: key, viewer: v}, nil
}

// Lookup returns who key signs in as.
func (k *Keys) Lookup(key ssh.PublicKey) (ops.Viewer, bool) {
	if key == nil {
		return ops.Viewer{}, false
	}
	for _, e := range k.entries {
		if ssh.KeysEqual(e.key, key) {
			return e.viewer, true
		}
	}
	return ops.Viewer{}, false
}
