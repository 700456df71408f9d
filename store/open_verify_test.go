package store

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Issue 10 point 2: damage is found only in the key ranges reads note
// (checkedDB), so every read of the store goes through lookup or
// newIterator; a direct Badger read would bring back silent short answers.
func TestEveryReadIsNoted(t *testing.T) {
	direct := regexp.MustCompile(`\b(txn|tx|t)\.(Get|NewIterator|NewKeyIterator)\(`)
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") || name == "codec.go" {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if direct.MatchString(line) {
				t.Errorf("%s:%d reads Badger directly (use lookup or newIterator): %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}
