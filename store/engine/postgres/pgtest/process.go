package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// startKept starts cmd on a thread kept until it exits: Pdeathsig kills
// a child when the thread that started it ends, not the process, so a
// thread Go retires would take the server with it. exited closes when
// cmd has exited.
func startKept(cmd *exec.Cmd) (exited chan struct{}, err error) {
	started := make(chan error, 1)
	exited = make(chan struct{})
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			cmd.Wait()
			close(exited)
		}
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return exited, nil
}

// serve starts PostgreSQL on data, its socket in dir, on port of
// 127.0.0.1, with settings (-c NAME=VALUE each) as the postgres user,
// and waits until it accepts a connection, which it returns (to the
// postgres database through the socket in dir, which no other server can
// answer). errPortTaken says another process bound port first.
func serve(postgres, dir, data string, port int, settings ...string) (*exec.Cmd, chan struct{}, *pgx.Conn, error) {
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, nil, err
	}
	defer logFile.Close()
	args := []string{"-D", data, "-k", dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1"}
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	cmd := exec.Command(postgres, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := AsPostgres(cmd); err != nil {
		return nil, nil, nil, err
	}
	exited, err := startKept(cmd)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("starting postgres: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := connectAdmin(dir, port, "postgres")
		if err == nil {
			return cmd, exited, conn, nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			if strings.Contains(string(log), "already in use") {
				return nil, nil, nil, errPortTaken
			}
			return nil, nil, nil, fmt.Errorf("postgres exited: %s\n%s", cmd.ProcessState, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop(cmd, exited)
			log, _ := os.ReadFile(logPath)
			return nil, nil, nil, fmt.Errorf("postgres accepted no connection within a minute: %v\n%s", err, log)
		}
	}
}

// initCluster makes a cluster in dir/data, owned by the postgres user
// when this process is root, and returns the server program and the
// data directory. --no-sync: what initdb writes is made durable by the
// server's first checkpoint, long before a test could lose it.
func initCluster(dir string) (postgres, data string, err error) {
	initdb, err := Bin("initdb")
	if err != nil {
		return "", "", err
	}
	if postgres, err = Bin("postgres"); err != nil {
		return "", "", err
	}
	if err := Own(dir); err != nil {
		return "", "", err
	}
	data = filepath.Join(dir, "data")
	cmd := exec.Command(initdb, "--no-sync", "--no-instructions", "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "-D", data)
	cmd.Dir = dir
	if err := AsPostgres(cmd); err != nil {
		return "", "", err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return postgres, data, nil
}

// onFreePort runs a server with run on free ports: the port may be taken
// by another process before the server binds it; then the server exits
// saying so, and another port is tried.
func onFreePort(run func(port int) error) error {
	for range 5 {
		port, err := freePort()
		if err != nil {
			return err
		}
		if err := run(port); !errors.Is(err, errPortTaken) {
			return err
		}
	}
	return errPortTaken
}

var errPortTaken = errors.New("every port tried was taken before the server bound it")
