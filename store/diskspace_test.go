package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/engine/badger"
	"selfserve/store/storetest"
)

// Issue 10 point 5: a full disk crashed with SIGBUS inside Badger's
// mmapped memtable log. The test fills a small tmpfs with sign-ups in a
// child process (this test binary re-executed) until the store refuses,
// then reopens the database and looks for every acknowledged sign-up.

const diskFullEnvDB = "SELFSERVE_DISKFULL_DB"

// diskFullHeadroom is how much the child may write before it meets the
// reserve: with Small's 2 MiB memtables, enough for several memtable
// rotations and flushes, so the test crosses Badger's own background
// writes, yet quick to fill under -race. The reserve follows the options,
// so the production sizes meet the same rule at their own scale.
const diskFullHeadroom = 4 << 20

// nearlyFullDisk makes a new database on a small tmpfs whose other files
// fill it but for the database's reserve and some headroom, the usual way
// a disk fills up.
func nearlyFullDisk(t *testing.T) string {
	t.Helper()
	dir := storetest.Mount(t, 64<<20)
	db := filepath.Join(dir, "db")
	s := openTest(t, db, Options{Small: true})
	reserve := s.eng.(*badger.Engine).Reserve()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.Ballast(t, filepath.Join(dir, "ballast"), int64(reserve)+diskFullHeadroom)
	return db
}

func TestDiskFullRefusesAndKeepsAcknowledged(t *testing.T) {
	badgerOnly(t)
	db := nearlyFullDisk(t)

	cmd := child("TestDiskFullChild", diskFullEnvDB+"="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(5*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var acked []string
	var refusal string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if email, ok := strings.CutPrefix(line, "acked "); ok {
			acked = append(acked, email)
		} else if r, ok := strings.CutPrefix(line, "refused "); ok {
			refusal = r
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child ended with %v, want exit status 1 (disk full); stderr:\n%s", err, tail(stderr.String()))
	}
	if !strings.Contains(refusal, "disk full") {
		t.Fatalf("child exited 1 without refusing for a full disk (refusal %q); stderr:\n%s", refusal, tail(stderr.String()))
	}
	if strings.Contains(stderr.String(), "SIGBUS") || strings.Contains(stderr.String(), "fault") {
		t.Fatalf("child faulted:\n%s", tail(stderr.String()))
	}
	if len(acked) < 100 {
		t.Fatalf("only %d sign-ups before the refusal: the headroom was not used", len(acked))
	}
	t.Logf("%d sign-ups acknowledged, then: %s", len(acked), refusal)

	s := openTest(t, db, Options{Small: true})
	checkInvariants(t, s)
	for _, email := range acked {
		if _, _, err := s.User(addr(t, email).Domain, addr(t, email)); err != nil {
			t.Fatalf("acknowledged sign-up %s is gone: %v", email, err)
		}
	}
}

// TestDiskFullChild signs up until the store refuses; it does nothing in a
// normal run. Exit 1 is a refusal for a full disk, 3 any other error.
func TestDiskFullChild(t *testing.T) {
	badgerOnly(t)
	db := os.Getenv(diskFullEnvDB)
	if db == "" {
		t.Skip("runs only as the child of TestDiskFullRefusesAndKeepsAcknowledged")
	}
	s, err := Open(db, Options{Small: true})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		email := fmt.Sprintf("user%07d@d%02d.example", i, i%40)
		if _, err := signup(t, s, email, "rms"); err != nil {
			if !errors.Is(err, ErrDiskFull) {
				fmt.Println("error", err)
				os.Exit(3)
			}
			fmt.Println("refused", err)
			// Closing flushes the memtable: it must fit in the reserve.
			if err := s.Close(); err != nil {
				fmt.Println("error closing", err)
				os.Exit(3)
			}
			os.Exit(1)
		}
		fmt.Println("acked", email)
	}
}

// tail is the end of a child's stderr, where a crash puts its reason.
func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

const bulkFullEnvDB = "SELFSERVE_BULKFULL_DB"

// A demo build (the Loader's WriteBatch) on a disk that fills up says
// "disk full" like a sign-up does, instead of dying of SIGBUS in Badger's
// mmapped files.
func TestBulkLoadOnFullDiskRefuses(t *testing.T) {
	badgerOnly(t)
	db := nearlyFullDisk(t)
	cmd := child("TestBulkLoadChild", bulkFullEnvDB+"="+db)
	timer := time.AfterFunc(5*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "disk full") {
		t.Fatalf("bulk load on a full disk ended with %v, want exit status 1 and disk full:\n%s", err, tail(string(out)))
	}
	// A bulk load is not one transaction (a refused demo build is built
	// again from scratch), but the database must still open (read-only:
	// a writing open's first transaction would meet the reserve too).
	s, err := Open(db, Options{Small: true, ReadOnly: true})
	if err != nil {
		t.Fatalf("open after a bulk load met a full disk: %v", err)
	}
	s.Close()
}

// TestBulkLoadChild loads users until the Loader fails; it does nothing
// in a normal run. Exit 1 is a refusal for a full disk, 3 anything else.
func TestBulkLoadChild(t *testing.T) {
	badgerOnly(t)
	db := os.Getenv(bulkFullEnvDB)
	if db == "" {
		t.Skip("runs only as the child of TestBulkLoadOnFullDiskRefuses")
	}
	s, err := Open(db, Options{Small: true})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	l := s.NewLoader()
	now := time.Now()
	on := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	d := model.Directory{ID: "bulk", Name: "bulk.example", Domains: []string{"bulk.example"}, State: model.Unmanaged, Switches: on, CreatedAt: now}
	l.Directory(d)
	for i := 0; i < 2_000_000; i++ {
		l.User(model.User{ID: fmt.Sprintf("%016x", i), Directory: d.ID, Email: fmt.Sprintf("user%07d@bulk.example", i),
			Kind: model.Member, CreationMethod: model.EmailVerified, Grants: []string{"rms"}, CreatedAt: now})
		if i%10_000 == 0 && l.err != nil {
			break
		}
	}
	err = l.Flush()
	fmt.Println("load ended:", err)
	// Closing flushes the memtable: it must fit in the reserve, and then
	// the parent's read-only open finds no log a writer must replay.
	if cerr := s.Close(); cerr != nil {
		fmt.Println("error closing", cerr)
		os.Exit(3)
	}
	if errors.Is(err, ErrDiskFull) {
		os.Exit(1)
	}
	os.Exit(3)
}
