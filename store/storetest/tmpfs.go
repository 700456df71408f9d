package storetest

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size bytes on a new temporary directory and
// unmounts it when the test ends. Mounting needs root: elsewhere the test
// is skipped, except under CI=true, where the disk-full tests must run.
func Mount(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)+",mode=0700"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a %d-byte tmpfs on %s: %v (CI must run the disk-full tests as root)", size, dir, err)
		}
		t.Skipf("cannot mount a tmpfs on %s (%v): the disk-full test needs root", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Free is the space left for an unprivileged writer on the file system
// holding path.
func Free(t testing.TB, path string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// Ballast writes a file at path that fills the file system but for
// leave bytes.
func Ballast(t testing.TB, path string, leave int64) {
	t.Helper()
	n := Free(t, filepath.Dir(path)) - leave
	if n <= 0 {
		t.Fatalf("the file system of %s has less than %d bytes free", path, leave)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, n); err != nil {
		t.Fatalf("fill %s with %d bytes: %v", path, n, err)
	}
}
