package storetest

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files describes every file under dir, one line each in path order: its
// mode, size, modification time and a hash of its content, so that a
// command that only reads, or an open refused as damaged, can be shown to
// have changed none of them (issue 10 points 1 and 3).
func Files(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		sum := ""
		if info.Mode().IsRegular() {
			content, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(content))
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %v %d %d %s\n", rel, info.Mode(), info.Size(), info.ModTime().UnixNano(), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Unchanged fails the test, naming each line that differs, when dir's
// files are no longer as before described them.
func Unchanged(t testing.TB, dir, before string) {
	t.Helper()
	after := Files(t, dir)
	if after == before {
		return
	}
	was := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		was[l] = true
	}
	is := map[string]bool{}
	for _, l := range strings.Split(after, "\n") {
		is[l] = true
		if !was[l] {
			t.Errorf("%s: now %s", dir, l)
		}
	}
	for _, l := range strings.Split(before, "\n") {
		if !is[l] {
			t.Errorf("%s: was %s", dir, l)
		}
	}
}
