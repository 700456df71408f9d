// Package pgtest runs real PostgreSQL servers from Debian's packages for
// tests: a throw-away cluster on loopback (cluster.go) and a
// pg_auto_failover formation (failover.go).
package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// binDirs are where Debian's postgresql-NN packages put the server's
// programs, which are not on PATH.
var binDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"}

// Bin finds a PostgreSQL program (initdb, postgres, pg_autoctl, …).
func Bin(name string) (string, error) {
	for _, d := range binDirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found (install Debian's postgresql package)", name)
}

// Require returns the program or ends the test: a skip with a message
// on a developer's machine, a failure under CI=true, where .ci/run has
// installed it.
func Require(t testing.TB, name string) string {
	t.Helper()
	p, err := Bin(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; .ci/run installs it", err)
		}
		t.Skipf("%v; skipping the PostgreSQL tests", err)
	}
	return p
}

// AsPostgres makes cmd run as the postgres user when this process is
// root, since PostgreSQL refuses to run as root, and makes it die with
// this process (a test killed by its timeout leaves no server behind).
func AsPostgres(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return errors.New("running as root and there is no postgres user (install Debian's postgresql package)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	cmd.Env = append(os.Environ(), "HOME="+os.TempDir(), "USER=postgres", "LOGNAME=postgres")
	return nil
}

// Own gives dir to the postgres user when this process is root.
func Own(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}
