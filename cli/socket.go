package cli

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/log"
	"github.com/spf13/cobra"

	"selfserve/ops"
	"selfserve/store"
)

// While `selfserve serve` holds a database, every other selfserve command
// on it runs inside that server: the command line is sent over a Unix
// socket in the database directory, run on the server's open store, and
// its output and exit status come back as if it had run here (issue 12
// point 2). The socket is the owner's only (0600 in a 0700 directory) and
// the server checks the caller's uid too: the caller is the operator.
const socketName = "serve.sock"

func socketPath(db string) string { return filepath.Join(db, socketName) }

// commandRequest is what a client sends: its command line and working
// directory (for relative paths such as a backup's FILE).
type commandRequest struct {
	Args []string `json:"args"`
	Cwd  string   `json:"cwd"`
}

// Frames of the answer: a kind byte, a 4-byte big-endian length, then
// the payload; the exit frame ends the answer.
const (
	frameStdout = 'o'
	frameStderr = 'e'
	frameExit   = 'x'
	maxRequest  = 64 << 10
)

// notThroughSocket are commands that never run inside a server: they
// hold a database themselves (serve, demo, restore into a new one), or
// read its files directly (check).
var notThroughSocket = map[string]bool{"serve": true, "demo": true, "restore": true, "check": true, "migrate": true}

// topCommand is the command under the root that cmd belongs to.
func topCommand(cmd *cobra.Command) string {
	for cmd.HasParent() && cmd.Parent().HasParent() {
		cmd = cmd.Parent()
	}
	return cmd.Name()
}

// adminCommands are what an admin signed in over SSH may run: reads and
// the switches, each through their own session, so within their reach
// and as themselves. Everything else (sign-ups for others, challenges and
// takeovers, which the console's wizard offers, settings of the whole
// service, backups) is the operator's.
var adminCommands = map[string]bool{
	"selfserve directory list": true, "selfserve directory show": true,
	"selfserve user list": true, "selfserve user show": true,
	"selfserve domain list": true, "selfserve service list": true,
	"selfserve settings": true,
}

// refuseInServer stops a command that cannot run inside the server, or
// that the admin running it over SSH may not run.
func (a *app) refuseInServer(cmd *cobra.Command, _ []string) error {
	if name := topCommand(cmd); notThroughSocket[name] {
		return fmt.Errorf("%w: selfserve %s cannot run while selfserve serve holds the database", errInServer, name)
	}
	if !a.viewer.IsOperator() && !adminCommands[cmd.CommandPath()] {
		return fmt.Errorf("%w: %s is the operator's to run", ops.ErrOperatorOnly, cmd.CommandPath())
	}
	return nil
}

// runOverSSH is the serve's `ssh HOST COMMAND…`: the command line run
// inside the server as the key's viewer.
func runOverSSH(c *ops.Console) func(ctx context.Context, v ops.Viewer, args []string, stdout, stderr io.Writer) int {
	return func(ctx context.Context, v ops.Viewer, args []string, stdout, stderr io.Writer) int {
		a := &app{out: stdout, errw: stderr, args: args, attached: c, viewer: v}
		return run(ctx, a, args, stdout, stderr)
	}
}

// errInServer is a command refused because a server holds its database.
var errInServer = errors.New("the database is being served")

// commandServer runs commands sent over the socket.
type commandServer struct {
	ln   net.Listener
	path string
	c    *ops.Console
	log  *log.Logger
	wg   sync.WaitGroup
	// ctx ends the commands running when the server stops.
	ctx    context.Context
	cancel context.CancelFunc
}

// Deadlines of the socket: a caller has requestTimeout to send its
// command line, and each frame of output must be taken within
// writeTimeout; a caller that stops reading ends its command.
const (
	requestTimeout = 10 * time.Second
	writeTimeout   = 30 * time.Second
)

// listenCommands serves db's socket with c until Close. The caller holds
// db's lock, so a socket file already there is a dead server's.
func listenCommands(db string, c *ops.Console, logger *log.Logger) (*commandServer, error) {
	path := socketPath(db)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("command socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	s := &commandServer{ln: ln, path: path, c: c, log: logger}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *commandServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.serve(conn.(*net.UnixConn))
		}()
	}
}

// Close stops taking commands, waits for those running and removes the
// socket.
func (s *commandServer) Close() {
	s.ln.Close()
	s.cancel()
	s.wg.Wait()
	os.Remove(s.path)
}

func (s *commandServer) serve(conn *net.UnixConn) {
	if err := sameUser(conn); err != nil {
		s.log.Warn("command socket: caller refused", "err", err)
		return
	}
	var req commandRequest
	conn.SetReadDeadline(time.Now().Add(requestTimeout))
	line, err := bufio.NewReader(io.LimitReader(conn, maxRequest)).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &req)
	}
	if err != nil {
		writeFrame(conn, frameStderr, []byte("selfserve: the command could not be read\n"))
		writeFrame(conn, frameExit, []byte("2"))
		return
	}
	// The command ends with the server, or when the caller hangs up
	// (ctrl+c on `domain verify --wait` must not take over hours later):
	// the caller sends nothing more, so a read returns only then.
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	conn.SetReadDeadline(time.Time{})
	go func() {
		conn.Read(make([]byte, 1))
		cancel()
	}()
	mu := &sync.Mutex{}
	out, errw := &frameWriter{mu: mu, w: conn, kind: frameStdout}, &frameWriter{mu: mu, w: conn, kind: frameStderr}
	code := runAttached(ctx, req, s.c, out, errw)
	conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	writeFrame(conn, frameExit, []byte(strconv.Itoa(code)))
}

// sameUser refuses a caller that is neither the server's user nor root.
func sameUser(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return credErr
	}
	if me := os.Getuid(); int(cred.Uid) != me && cred.Uid != 0 {
		return fmt.Errorf("uid %d is not the server's (%d)", cred.Uid, me)
	}
	return nil
}

// frameWriter sends what a command writes as frames of one kind; frames
// of both kinds share the connection, so writes are one frame each.
type frameWriter struct {
	mu   *sync.Mutex
	w    io.Writer
	kind byte
}

func (f *frameWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.w.(net.Conn); ok {
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	if err := writeFrame(f.w, f.kind, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func writeFrame(w io.Writer, kind byte, p []byte) error {
	head := make([]byte, 5)
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(p)))
	_, err := w.Write(append(head, p...))
	return err
}

// forward runs args in the server serving db, when one is: ok is false
// (and nothing was written) when no server answers on db's socket.
func forward(ctx context.Context, db string, args []string, stdout, stderr io.Writer) (code int, ok bool, err error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "unix", socketPath(db))
	if err != nil {
		return 0, false, nil // no server: the command opens the database itself
	}
	defer conn.Close()
	cwd, _ := os.Getwd()
	req, _ := json.Marshal(commandRequest{Args: args, Cwd: cwd})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return 0, true, fmt.Errorf("the server at %s: %w", socketPath(db), err)
	}
	r := bufio.NewReader(conn)
	head := make([]byte, 5)
	for {
		if _, err := io.ReadFull(r, head); err != nil {
			return 1, true, fmt.Errorf("the server at %s ended the command without its exit status: %w", socketPath(db), err)
		}
		p := make([]byte, binary.BigEndian.Uint32(head[1:]))
		if _, err := io.ReadFull(r, p); err != nil {
			return 1, true, fmt.Errorf("the server at %s: %w", socketPath(db), err)
		}
		switch head[0] {
		case frameStdout:
			stdout.Write(p)
		case frameStderr:
			stderr.Write(p)
		case frameExit:
			code, err := strconv.Atoi(string(p))
			return code, true, err
		}
	}
}

// runAttached runs a command line sent over the socket on the server's
// console, as the operator.
func runAttached(ctx context.Context, req commandRequest, c *ops.Console, stdout, stderr io.Writer) int {
	a := &app{out: stdout, errw: stderr, args: req.Args, attached: c, cwd: req.Cwd}
	return run(ctx, a, req.Args, stdout, stderr)
}

// forwarded is a command a server ran: its output is written, code is
// the exit status to end with.
type forwarded struct{ code int }

func (f forwarded) Error() string { return "exit status " + strconv.Itoa(f.code) }

// forward sends this command to the server holding --db, if one does
// (forwarded carries its exit status); nil means no server answered and
// the command opens the database itself.
//
// A database server needs no socket: every process opens it at once.
func (a *app) forward(cmd *cobra.Command) error {
	if notThroughSocket[topCommand(cmd)] || a.args == nil || store.IsURL(a.db) {
		return nil
	}
	code, ok, err := forward(cmd.Context(), a.db, a.args, a.out, a.errw)
	if !ok {
		return nil
	}
	if err != nil {
		return err
	}
	return forwarded{code}
}
