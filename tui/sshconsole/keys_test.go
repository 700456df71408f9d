package sshconsole

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/ssh"

	"selfserve/model"
)

// Two fixed test keys (public halves only).
const (
	key1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICxJBDqZIWAjoaxUZOI7DcEv5x1/MFBHAo+8Ag+FSqXu"
	key2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPHzya0vCDq39PuvaR1PtTSsx4hZkVF+VWsCSBwMNyom"
)

func pub(t *testing.T, line string) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keysFile(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadKeys(t *testing.T) {
	k, err := ReadKeys(keysFile(t, "# comment", "", "operator "+key1+" ops laptop", "  Ann@Contoso.COM   "+key2))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := k.Lookup(pub(t, key1)); !ok || !v.IsOperator() {
		t.Errorf("key1 = %+v, %v; want the operator", v, ok)
	}
	if v, ok := k.Lookup(pub(t, key2)); !ok || v.Actor() != "ann@contoso.com" {
		t.Errorf("key2 = %+v, %v; want ann@contoso.com", v, ok)
	}
	if _, ok := k.Lookup(nil); ok {
		t.Error("no key signs in")
	}
	only1, err := ReadKeys(keysFile(t, "operator "+key1))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := only1.Lookup(pub(t, key2)); ok {
		t.Error("an unlisted key signs in")
	}
}

func TestReadKeysRefusesMistakes(t *testing.T) {
	for _, tc := range []struct {
		name, line, want string
	}{
		{"no key", "operator", "line 1: want IDENTITY followed by a public key"},
		{"bad identity", "root " + key1, "identity \"root\" is neither"},
		{"bad key", "operator ssh-ed25519 AAAAnotakey", "line 1: public key"},
		{"options", "operator command=\"x\" " + key1, "options (command=\"x\") are not supported"},
		{"key without identity", key1, "identity \"ssh-ed25519\" is neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadKeys(keysFile(t, tc.line))
			if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	_, err := ReadKeys(keysFile(t, "operator "+key1, "ann@contoso.com "+key1))
	if err == nil || !strings.Contains(err.Error(), "line 2: this key is already listed for operator") {
		t.Errorf("a key listed twice: %v", err)
	}
	_, err = ReadKeys(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), "no authorized keys file at") {
		t.Errorf("missing file: %v", err)
	}
}

// Issue 10 point 7: an authorized-keys file that group or others may
// write is refused with its path: whoever can write it can add a key.
func TestReadKeysRefusesAFileOthersCanWrite(t *testing.T) {
	for _, mode := range []os.FileMode{0o620, 0o602, 0o666} {
		p := keysFile(t, "operator "+key1)
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadKeys(p); !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "writable by others") {
			t.Errorf("mode %#o: err = %v, want ErrInvalid naming %s", mode, err, p)
		}
	}
	p := keysFile(t, "operator "+key1)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeys(p); err != nil {
		t.Errorf("a file others may only read: %v", err)
	}
}
