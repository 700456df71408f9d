// Package postgres is the store's engine on PostgreSQL (issue 13): one
// table kv of bytea keys and values, serializable transactions retried on
// conflict, and LISTEN/NOTIFY behind the change feed. It uses portable SQL
// only, so the same engine speaks to servers of the PostgreSQL protocol.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"selfserve/model"
	"selfserve/store/engine"
)

// Options tune Open.
type Options struct {
	// MaxConns bounds the pool; 0 keeps pgx's default (the URL's
	// pool_max_conns, else the greater of 4 and the number of CPUs).
	MaxConns int32
	// Create makes the table on first use; without it a database with
	// no table is ErrNoDatabase.
	Create bool
	// ConnectTimeout bounds each attempt to reach one host; 0 keeps the
	// URL's connect_timeout, else defaultConnectTimeout.
	ConnectTimeout time.Duration
}

// defaultConnectTimeout lets a multi-host URL move on from a dead primary
// to the next host well within the failover's time.
const defaultConnectTimeout = 5 * time.Second

// Engine is an open PostgreSQL database.
type Engine struct {
	pool *pgxpool.Pool
	// listenConfig reaches the same server as the pool, for the
	// listeners' own connections.
	listenConfig *pgx.ConnConfig
	// where names the server and database in errors: hosts and database
	// name only, never the URL, which may hold a password.
	where string
	// connectFor bounds reaching a server and its first answer:
	// ConnectTimeout for each host of the URL, and some.
	connectFor time.Duration
	retries    atomic.Uint64

	closed    atomic.Bool
	mu        sync.Mutex
	listeners map[*listener]struct{}
}

var _ engine.Engine = (*Engine)(nil)

const schemaSQL = `CREATE TABLE IF NOT EXISTS kv (k bytea PRIMARY KEY, v bytea NOT NULL)`

// Open connects to the database at rawURL (postgres://…, several hosts
// allowed) and checks that it answers and holds the table.
func Open(rawURL string, o Options) (*Engine, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: the PostgreSQL URL does not parse: %s", model.ErrInvalid, withoutPassword(err.Error(), rawURL))
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	} else if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	hosts := 1 + len(cfg.ConnConfig.Fallbacks)
	e := &Engine{
		listenConfig: cfg.ConnConfig.Copy(),
		where:        where(cfg.ConnConfig),
		connectFor:   time.Duration(hosts)*cfg.ConnConfig.ConnectTimeout + 10*time.Second,
		listeners:    map[*listener]struct{}{},
	}
	e.pool, err = pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", e.where, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.connectFor)
	defer cancel()
	if err := e.prepare(ctx, o.Create); err != nil {
		e.pool.Close()
		return nil, err
	}
	return e, nil
}

// prepare finds the table, or makes it. Finding comes first: a role
// with no right to create tables may use one that exists.
func (e *Engine) prepare(ctx context.Context, create bool) error {
	_, err := e.pool.Exec(ctx, `SELECT 1 FROM kv LIMIT 1`)
	if sqlState(err) == "42P01" {
		if !create {
			return fmt.Errorf("%w: postgres %s has no table kv", engine.ErrNoDatabase, e.where)
		}
		_, err = e.pool.Exec(ctx, schemaSQL)
		// Two processes creating the table at once: one of them fails
		// on the catalog's unique index, and the table is there.
		if c := sqlState(err); c == "23505" || c == "42P07" {
			err = nil
		}
	}
	if err != nil {
		return e.openError(err)
	}
	return nil
}

// sqlState is the SQLSTATE of a server's error, "" for other errors.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// openError says why the first statements failed.
func (e *Engine) openError(err error) error {
	var pe *pgconn.PgError
	switch {
	case !errors.As(err, &pe):
		return fmt.Errorf("%w: postgres %s: %v", engine.ErrUnreachable, e.where, err)
	case pe.Code == "3D000":
		return fmt.Errorf("%w: postgres %s: %s", engine.ErrNoDatabase, e.where, pe.Message)
	case goneCodes[pe.Code] || strings.HasPrefix(pe.Code, "08"):
		// Starting up, shutting down, or a standby where a primary is
		// needed: the server does not answer for the database yet.
		return fmt.Errorf("%w: postgres %s: %s (SQLSTATE %s)", engine.ErrUnreachable, e.where, pe.Message, pe.Code)
	}
	return fmt.Errorf("postgres %s: %s (SQLSTATE %s)", e.where, pe.Message, pe.Code)
}

var errClosed = errors.New("the database is closed")

// Close stops the listeners and closes the pool's connections, waiting
// for transactions under way.
func (e *Engine) Close() error {
	e.closed.Store(true)
	e.mu.Lock()
	ls := e.listeners
	e.listeners = nil
	e.mu.Unlock()
	for l := range ls {
		l.stop()
	}
	e.pool.Close()
	return nil
}

// where is "host:port[,host:port…]/database".
func where(c *pgx.ConnConfig) string {
	hosts := []string{hostPort(c.Host, c.Port)}
	for _, f := range c.Fallbacks {
		h := hostPort(f.Host, f.Port)
		if h != hosts[len(hosts)-1] {
			hosts = append(hosts, h)
		}
	}
	return strings.Join(hosts, ",") + "/" + c.Database
}

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return host // a Unix socket's directory
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(int(port))
}

// withoutPassword removes the URL's password from msg: pgx masks it in
// what it can parse, but a malformed URL can defeat the masking.
func withoutPassword(msg, rawURL string) string {
	var secrets []string
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	if u, err := url.Parse(rawURL); err == nil {
		if p := u.Query().Get("password"); p != "" {
			secrets = append(secrets, p)
		}
	}
	// What lies between the scheme and the last @ is a user and password
	// whichever way the URL is malformed.
	if _, rest, ok := strings.Cut(rawURL, "://"); ok {
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			if _, p, ok := strings.Cut(rest[:i], ":"); ok {
				secrets = append(secrets, p)
			}
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			return "(details withheld: they would show the password)"
		}
	}
	return msg
}
