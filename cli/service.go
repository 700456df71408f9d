package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/log"

	"selfserve/ops"
	"selfserve/ops/metrics"
	"selfserve/store"
	"selfserve/tui/sshconsole"
	"selfserve/web"
)

// serveFlags are serve's own flags.
type serveFlags struct {
	http      string
	publicURL string
	trusted   []string
	proxies   []netip.Prefix
	ssh       sshFlags
	keys      string
}

// readyWait is how long /readyz waits for the database to answer a read:
// a load balancer's probe should hear back well inside its own timeout.
const readyWait = time.Second

// drainHTTP is how long requests in flight may take to finish when the
// server stops.
const drainHTTP = 5 * time.Second

// serve runs every part of the service on one open database until ctx
// ends, then stops them in order: no new requests (readiness off first),
// requests in flight finished, SSH sessions told goodbye, the courier's
// current mail finished, the socket closed, the database closed.
func (a *app) serve(ctx context.Context, f serveFlags) error {
	// A fresh --db becomes a database: a new service starts empty.
	st, err := store.Open(a.db, store.Options{Create: true, LockWait: a.lock, MaxConns: a.pool})
	if err != nil {
		return err
	}
	defer st.Close()
	dns, err := st.DNSConfig()
	if err != nil {
		return err
	}
	if f.ssh.addr != "" {
		if _, err := sshconsole.ReadKeys(f.keys); err != nil {
			return err // a missing or broken file stops the start, with its message
		}
	}
	logger := log.NewWithOptions(a.out, log.Options{ReportTimestamp: true})
	m := metrics.New()
	c := &ops.Console{Store: st, DNS: ops.DNSChecker(dns), Metrics: m}
	if a.smtp != "" {
		c.Mail, c.Queue = ops.SMTP{Addr: a.smtp, From: a.from}, true
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	failed := make(chan error, 4) // one per part run below: none blocks
	run := func(fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				failed <- err
				cancel()
			}
		}()
	}

	var httpSrv *http.Server
	var ready atomic.Bool
	if f.http != "" {
		ln, err := net.Listen("tcp", f.http)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		if c.SignupURL = f.publicURL; c.SignupURL == "" {
			c.SignupURL = "http://" + ln.Addr().String() + "/"
		}
		httpSrv = web.Server(web.New(c, web.Options{Log: logger.WithPrefix("http"), Ready: func() bool { return ready.Load() && st.Answers(readyWait) },
			TrustedProxies: f.proxies, Metrics: m}), web.Timeouts{})
		fmt.Fprintf(a.out, "selfserve sign-up page on %s (API under /v1, metrics at /metrics)\n", c.SignupURL)
		run(func() error {
			if err := httpSrv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("http: %w", err)
			}
			return nil
		})
	}
	if !store.IsURL(a.db) {
		// Commands on a directory come in through the server, which
		// holds its lock; on a database server they open it themselves.
		sock, err := listenCommands(a.db, c, logger.WithPrefix("socket"))
		if err != nil {
			return err
		}
		defer sock.Close()
	}
	m.Database(st.Stats)
	m.MailOverdue(func() time.Duration {
		next, ok, err := st.NextMail()
		if err != nil || !ok {
			return 0
		}
		return time.Since(next)
	})
	if c.Mail != nil {
		courier := &ops.Courier{Store: st, Mail: c.Mail, Metrics: m, Log: logger.WithPrefix("mail")}
		run(func() error { return courier.Run(ctx) })
	}
	schedule := &ops.Schedule{Console: c, PerCheck: a.timeout, Log: logger.WithPrefix("schedule")}
	run(func() error { schedule.Run(ctx); return nil })
	if f.ssh.addr != "" {
		cfg := f.ssh.config(a, a.beside(hostKeyFile))
		cfg.Banner = "selfserve: sign in with a key listed by the operator.\r\n"
		cfg.Keys = func() (*sshconsole.Keys, error) { return sshconsole.ReadKeys(f.keys) }
		cfg.Command = runOverSSH(c)
		cfg.Sessions = m.SSHSession
		cfg.Open = func() (sshconsole.Console, error) {
			// One shared console: every session sees the others' changes.
			return sshconsole.Console{Ops: c, Close: func() {}}, nil
		}
		run(func() error {
			return a.serveSSH(ctx, f.ssh.addr, cfg, "selfserve", "database "+store.Describe(a.db)+", keys "+f.keys, "admin")
		})
	}
	ready.Store(true)
	<-ctx.Done()
	ready.Store(false)
	if httpSrv != nil {
		dctx, dcancel := context.WithTimeout(context.Background(), drainHTTP)
		httpSrv.Shutdown(dctx)
		dcancel()
	}
	wg.Wait()
	select {
	case err := <-failed:
		return err
	default:
	}
	logger.Info("stopped")
	return nil
}

// serveHTTPBeside serves the sign-up page and API on a.httpAddr with oc
// while the console runs on the same store (demo --http): sign-ups made
// in a browser show up in the console. Mail stays in the outbox (`:outbox`
// in the console holds the codes). stop shuts the server down.
func (a *app) serveHTTPBeside(oc *ops.Console) (stop func(), err error) {
	ln, err := net.Listen("tcp", a.httpAddr)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	oc.SignupURL = "http://" + ln.Addr().String() + "/"
	// The console owns the terminal: the server logs nowhere.
	srv := web.Server(web.New(oc, web.Options{Log: log.New(io.Discard)}), web.Timeouts{})
	go srv.Serve(ln)
	fmt.Fprintf(a.errw, "selfserve sign-up page on %s; codes are in the console's :outbox\n", oc.SignupURL)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), drainHTTP)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
