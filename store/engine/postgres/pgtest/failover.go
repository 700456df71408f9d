package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// monitorSettings go into the monitor's postgresql.conf before it
// first starts. With pg_auto_failover's defaults the standby takes
// writes 30 s and more after its primary dies; with these, seconds.
//
//   - The monitor finds a node unhealthy once its keeper has not
//     reported for node_considered_unhealthy_timeout and a health check
//     failed: health_check_max_retries+1 refused connections,
//     health_check_retry_delay apart, in rounds health_check_period
//     apart. Keepers report every second (compiled into pg_autoctl), so
//     2 s is two missed reports, not one late report on a busy machine.
//   - After telling the standby to stop replicating, the monitor waits
//     primary_demote_timeout for a primary it cannot reach to have
//     stopped itself before the standby takes writes. A primary's keeper
//     stops it after network_partition_timeout out of touch with both
//     the monitor and its standby (keeperTimeouts: 2 s); it then needs a
//     keeper round (1 s) and a fast shutdown. Unhealthy + demote
//     timeouts (2 s + 3 s) outlast that, so a primary that is cut off
//     rather than dead is down before the standby takes its place.
//   - startup_grace_period holds failovers back after the monitor
//     starts, and a test kills the primary seconds after that.
const monitorSettings = `
pgautofailover.health_check_period = 500
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 200
pgautofailover.node_considered_unhealthy_timeout = 2000
pgautofailover.primary_demote_timeout = 3000
pgautofailover.startup_grace_period = 1000
`

// keeperTimeouts are set on each node once the formation has formed,
// since pg_autoctl create takes none; see monitorSettings.
var keeperTimeouts = [][2]string{{"timeout.network_partition_timeout", "2"}}

// Formation is a pg_auto_failover formation on loopback: a monitor, a
// primary and a standby that the primary waits for at each commit
// (synchronous replication), each run by its own pg_autoctl process as
// on three machines. StartFormation starts one; it stops with the test.
// A failover test connects through URL, kills the primary with
// KillPrimary and times the standby's promotion with WaitForPrimary.
type Formation struct {
	dir     string
	autoctl string
	pgctl   string
	env     []string
	reaper  io.WriteCloser
	reaped  chan struct{} // closed when the reaper is done
	monitor *autoctl
	nodes   []*autoctl // in the order they joined: first primary, first standby
}

// Node is a PostgreSQL node of a formation.
type Node struct {
	Name string // as the monitor names it: node_1, node_2
	Port int    // on 127.0.0.1
}

// autoctl is one pg_autoctl process and the PostgreSQL it runs, all
// working in its directory (the machine) or below.
type autoctl struct {
	dir    string
	pgdata string
	port   int
	log    string
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
	killed atomic.Bool
}

// StartFormation starts a formation and returns once the monitor
// reports one node primary and the other its synchronous secondary:
// 12 s on a quiet machine with two cores, 45 s with both cores busy,
// most of it pg_autoctl bringing the standby in, step by step. A machine
// without pg_auto_failover skips the test (fails it under CI=true).
func StartFormation(t testing.TB) *Formation {
	t.Helper()
	f := &Formation{autoctl: Require(t, "pg_autoctl"), pgctl: Require(t, "pg_ctl")}
	initdb := Require(t, "initdb")
	dir, err := os.MkdirTemp("", "pgtest-formation-")
	if err != nil {
		t.Fatal(err)
	}
	f.dir = dir
	t.Cleanup(func() { f.stop(t) })

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := f.start(ctx, initdb); err != nil {
		t.Fatalf("start a pg_auto_failover formation: %v", err)
	}
	return f
}

func (f *Formation) start(ctx context.Context, initdb string) error {
	if err := f.startReaper(); err != nil {
		return err
	}
	ports, err := loopbackPorts(3)
	if err != nil {
		return err
	}
	for _, d := range []string{"config", "share", "run", "monitor", "node1", "node2"} {
		if err := os.Mkdir(filepath.Join(f.dir, d), 0o700); err != nil {
			return err
		}
	}
	if err := Own(f.dir); err != nil {
		return err
	}
	// pg_autoctl keeps its files under XDG directories and finds each
	// server's socket through PGHOST: all inside the formation.
	f.env = []string{
		"HOME=" + f.dir,
		"XDG_CONFIG_HOME=" + filepath.Join(f.dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(f.dir, "share"),
		"XDG_RUNTIME_DIR=" + filepath.Join(f.dir, "run"),
		"PGHOST=" + f.dir,
		"PATH=" + filepath.Dir(f.pgctl) + ":/usr/bin:/bin",
	}
	for i, name := range []string{"monitor", "node1", "node2"} {
		dir := filepath.Join(f.dir, name)
		a := &autoctl{dir: dir, pgdata: filepath.Join(dir, "pgdata"), port: ports[i]}
		if i == 0 {
			f.monitor = a
		} else {
			f.nodes = append(f.nodes, a)
		}
	}

	// One initdb serves the monitor and the primary: a copy costs far
	// less than a second one, and pg_autoctl clones the standby from
	// the primary.
	primary := f.nodes[0]
	if err := f.run(ctx, initdb, "--no-sync", "--auth=trust", "--username=postgres", "--pgdata="+primary.pgdata); err != nil {
		return err
	}
	// Sockets and dynamic shared memory in the formation rather than in
	// Debian's /var/run/postgresql and /dev/shm, where a killed server
	// leaves its segments; less memory than pg_autoctl's tuning (a
	// quarter of the machine's for each server); and checkpoints
	// unpaced, or pg_basebackup waits seconds for the one it starts
	// with. pg_basebackup copies these into the standby.
	if err := appendFile(filepath.Join(primary.pgdata, "postgresql.conf"), fmt.Sprintf(`
unix_socket_directories = '%s'
dynamic_shared_memory_type = mmap
shared_buffers = 32MB
maintenance_work_mem = 16MB
checkpoint_completion_target = 0
`, f.dir)); err != nil {
		return err
	}
	if err := f.run(ctx, "cp", "-a", primary.pgdata, f.monitor.pgdata); err != nil {
		return err
	}
	if err := appendFile(filepath.Join(f.monitor.pgdata, "postgresql.conf"), monitorSettings); err != nil {
		return err
	}

	if err := f.spawn(f.monitor, "create", "monitor", "--pgdata", f.monitor.pgdata, "--pgctl", f.pgctl,
		"--pgport", strconv.Itoa(f.monitor.port), "--listen", "127.0.0.1", "--hostname", "127.0.0.1",
		"--auth", "trust", "--no-ssl", "--run"); err != nil {
		return err
	}
	if err := f.await(ctx, "the monitor", func(ctx context.Context) bool {
		_, err := f.states(ctx)
		return err == nil
	}); err != nil {
		return err
	}
	for i, n := range f.nodes {
		if err := f.spawn(n, "create", "postgres", "--pgdata", n.pgdata, "--pgctl", f.pgctl,
			"--pghost", f.dir, "--pgport", strconv.Itoa(n.port), "--listen", "127.0.0.1", "--hostname", "127.0.0.1",
			"--auth", "trust", "--no-ssl", "--maximum-backup-rate", "1024M",
			"--monitor", f.monitorURL("autoctl_node", "pg_auto_failover"), "--run"); err != nil {
			return err
		}
		// The second, empty, node comes once the first is registered,
		// or it could become the primary; it waits for the first to be
		// ready before it copies it.
		what, ready := "the first node to register", func(s nodeStates) bool { return len(s) == 1 }
		if i == 1 {
			what, ready = "a primary and a secondary", func(s nodeStates) bool { return s.are("primary", "secondary") }
		}
		if err := f.await(ctx, what, func(ctx context.Context) bool {
			s, err := f.states(ctx)
			return err == nil && ready(s)
		}); err != nil {
			return err
		}
	}
	for _, n := range f.nodes {
		for _, kv := range keeperTimeouts {
			// A running pg_autoctl rereads its configuration when this
			// changes it.
			if err := f.run(ctx, f.autoctl, "config", "set", "--pgdata", n.pgdata, kv[0], kv[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// URL is a connection string for database db that lists both nodes
// and asks for the one that takes writes, as applications behind
// pg_auto_failover connect (pg_autoctl show uri gives this form): pgx
// tries the hosts in turn.
func (f *Formation) URL(db string) string {
	hosts := make([]string, len(f.nodes))
	for i, n := range f.nodes {
		hosts[i] = fmt.Sprintf("127.0.0.1:%d", n.port)
	}
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		strings.Join(hosts, ","), db)
}

// CreateDatabase creates a database on the primary; replication
// carries it to the standby.
func (f *Formation) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, f.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// Primary is the node that the monitor reports as primary, or as
// primary without a standby (as after a failover).
func (f *Formation) Primary(ctx context.Context) (Node, error) {
	s, err := f.states(ctx)
	if err != nil {
		return Node{}, err
	}
	for _, n := range s {
		if n.reported == n.goal && (n.goal == "primary" || n.goal == "wait_primary" || n.goal == "single") {
			return n.Node, nil
		}
	}
	return Node{}, fmt.Errorf("no primary: %s", s)
}

// KillPrimary kills the primary as when its machine dies: its
// pg_autoctl, PostgreSQL and every backend with SIGKILL, nothing
// flushed, nobody told. It returns the node once none of its processes
// is left.
func (f *Formation) KillPrimary(ctx context.Context) (Node, error) {
	p, err := f.Primary(ctx)
	if err != nil {
		return Node{}, err
	}
	return p, f.node(p.Port).kill(ctx)
}

// WaitForPrimary waits until the monitor reports a node other than
// the one on port notPort as primary and that node commits a
// transaction. It returns the node and how long it waited.
func (f *Formation) WaitForPrimary(ctx context.Context, notPort int) (Node, time.Duration, error) {
	start := time.Now()
	var p Node
	err := f.await(ctx, "another node to take writes", func(ctx context.Context) bool {
		var err error
		p, err = f.Primary(ctx)
		return err == nil && p.Port != notPort && commits(ctx, p.Port) == nil
	})
	return p, time.Since(start), err
}

// commits runs a transaction that writes a commit record, one that
// waits for a synchronous standby if the node still has one.
func commits(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "SELECT pg_current_xact_id()")
	return err
}

// nodeState is a node as the monitor sees it.
type nodeState struct {
	Node
	reported, goal string
}

type nodeStates []nodeState

// are reports whether the nodes, in the order they joined, are in
// the given states and expected to stay there.
func (s nodeStates) are(states ...string) bool {
	if len(s) != len(states) {
		return false
	}
	for i, n := range s {
		if n.reported != states[i] || n.goal != states[i] {
			return false
		}
	}
	return true
}

func (s nodeStates) String() string {
	var b strings.Builder
	for i, n := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (port %d) %s, going %s", n.Name, n.Port, n.reported, n.goal)
	}
	return b.String()
}

// states asks the monitor for the nodes' states.
func (f *Formation) states(ctx context.Context) (nodeStates, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, f.monitorURL("postgres", "pg_auto_failover"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, _ := conn.Query(ctx, `SELECT nodename, nodeport, reportedstate::text, goalstate::text
		FROM pgautofailover.node WHERE formationid = 'default' ORDER BY nodeid`)
	var s nodeStates
	var n nodeState
	_, err = pgx.ForEachRow(rows, []any{&n.Name, &n.Port, &n.reported, &n.goal}, func() error {
		s = append(s, n)
		return nil
	})
	return s, err
}

func (f *Formation) monitorURL(user, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, f.monitor.port, db)
}

func (f *Formation) node(port int) *autoctl {
	for _, n := range f.nodes {
		if n.port == port {
			return n
		}
	}
	panic(fmt.Sprintf("no node on port %d", port))
}

// await polls cond until it holds, ctx ends, or a pg_autoctl that
// was not killed exits.
func (f *Formation) await(ctx context.Context, what string, cond func(context.Context) bool) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond(ctx) {
		for _, a := range f.started() {
			select {
			case <-a.exited:
				if a.cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					return fmt.Errorf("waiting for %s: pg_autoctl for %s exited: %v", what, a.pgdata, a.cmd.ProcessState)
				}
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// started is every pg_autoctl started so far.
func (f *Formation) started() []*autoctl {
	var all []*autoctl
	for _, a := range append([]*autoctl{f.monitor}, f.nodes...) {
		if a != nil && a.cmd != nil {
			all = append(all, a)
		}
	}
	return all
}

// spawn starts a long-lived pg_autoctl, its output going to a file.
func (f *Formation) spawn(a *autoctl, args ...string) error {
	a.log = filepath.Join(a.dir, "pg_autoctl.log")
	out, err := os.Create(a.log)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := f.command(context.Background(), f.autoctl, args...)
	cmd.Dir = a.dir
	cmd.Stdout, cmd.Stderr = out, out
	exited, err := startKept(cmd)
	if err != nil {
		return err
	}
	a.cmd, a.exited = cmd, exited
	return nil
}

// startReaper starts a process that outlives a test that dies (its
// timeout's panic, a kill) to end what the formation started and
// remove its files. Pdeathsig ends pg_autoctl with the test, but not
// the services it starts nor their PostgreSQL. When its input closes
// without the line that stop writes, it kills every process working in
// the formation's directory, as killAll does.
func (f *Formation) startReaper() error {
	cmd := exec.Command("/bin/sh", "-c", `read -r _ && exit
for pass in 1 2 3 4 5 6 7 8 9 10; do
	killed=
	for p in /proc/[0-9]*; do
		case $(readlink "$p/cwd" 2>/dev/null) in
		"$0" | "$0"/*) kill -KILL "${p#/proc/}" 2>/dev/null && killed=1 ;;
		esac
	done
	[ -n "$killed" ] || break
done
rm -rf "$0"`, f.dir)
	// Its own process group, so that ^C reaches the test but not it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	f.reaper, f.reaped = in, make(chan struct{})
	go func() {
		cmd.Wait()
		close(f.reaped)
	}()
	return nil
}

// kill kills every process of the machine, and removes the System V
// segment its PostgreSQL leaves behind, named in postmaster.pid: a
// dead machine's memory goes with it, and nothing would remove this
// one before a PostgreSQL started again in the same directory.
// PostgreSQL's other shared memory is in the data directory
// (dynamic_shared_memory_type) or dies with its processes.
func (a *autoctl) kill(ctx context.Context) error {
	a.killed.Store(true)
	pid, _ := os.ReadFile(filepath.Join(a.pgdata, "postmaster.pid"))
	if err := killAll(ctx, a.dir); err != nil {
		return err
	}
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 7 {
		return nil
	}
	key := strings.Fields(lines[6]) // "key id"
	if len(key) != 2 {
		return nil
	}
	if id, err := strconv.Atoi(key[1]); err == nil {
		const ipcRmid = 0
		syscall.Syscall(syscall.SYS_SHMCTL, uintptr(id), ipcRmid, 0)
	}
	return nil
}

// killAll kills every process working in dir or below it and returns
// once none is left. PostgreSQL's children each start a session of
// their own, so no process group holds a node, but they all work in its
// data directory.
func killAll(ctx context.Context, dir string) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		procs, err := os.ReadDir("/proc")
		if err != nil {
			return err
		}
		left := false
		for _, p := range procs {
			pid, err := strconv.Atoi(p.Name())
			if err != nil {
				continue
			}
			// A process that has exited has no working directory.
			cwd, err := os.Readlink(filepath.Join("/proc", p.Name(), "cwd"))
			if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
				syscall.Kill(pid, syscall.SIGKILL)
				left = true
			}
		}
		if !left {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes in %s outlive SIGKILL: %w", dir, ctx.Err())
		case <-tick.C:
		}
	}
}

// run runs a program as the postgres user to its end.
func (f *Formation) run(ctx context.Context, name string, args ...string) error {
	cmd := f.command(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

func (f *Formation) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	AsPostgres(cmd) // cannot fail: Require found PostgreSQL, whose package makes the user
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, f.env...)
	cmd.Dir = f.dir
	return cmd
}

// stop kills every machine of the formation, as KillPrimary kills one
// (a clean shutdown would take seconds and prove nothing), and removes
// its files. When the test failed it first logs what the monitor saw
// and what pg_autoctl said.
func (f *Formation) stop(t testing.TB) {
	if t.Failed() {
		f.report(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, a := range f.started() {
		if a.killed.Load() {
			continue
		}
		if err := a.kill(ctx); err != nil {
			t.Error(err)
		}
	}
	if f.reaper != nil {
		io.WriteString(f.reaper, "stopped\n")
		f.reaper.Close()
		<-f.reaped
	}
	if err := os.RemoveAll(f.dir); err != nil {
		t.Errorf("remove the formation: %v", err)
	}
}

// report logs the monitor's events and the end of each pg_autoctl's
// output.
func (f *Formation) report(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if f.monitor == nil {
		return
	}
	if conn, err := pgx.Connect(ctx, f.monitorURL("postgres", "pg_auto_failover")); err == nil {
		rows, _ := conn.Query(ctx, `SELECT eventtime::time::text, nodename, reportedstate::text, goalstate::text, description
			FROM pgautofailover.event ORDER BY eventid`)
		var b strings.Builder
		var at, node, reported, goal, desc string
		pgx.ForEachRow(rows, []any{&at, &node, &reported, &goal, &desc}, func() error {
			fmt.Fprintf(&b, "%s %s %s, going %s: %s\n", at, node, reported, goal, desc)
			return nil
		})
		t.Logf("monitor events:\n%s", b.String())
		conn.Close(ctx)
	}
	for _, a := range f.started() {
		out, _ := os.ReadFile(a.log)
		if len(out) > 8000 {
			out = out[len(out)-8000:]
		}
		t.Logf("%s:\n%s", a.log, out)
	}
}

// loopbackPorts finds n ports free on 127.0.0.1.
func loopbackPorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func appendFile(name, text string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}
