package web

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/charmbracelet/log"

	"selfserve/ops"
	"selfserve/ops/metrics"
	"selfserve/ops/ratelimit"
)

// Options are what the handler needs besides the operations.
type Options struct {
	// Log receives failures that are not refusals (a disk, a relay).
	Log *log.Logger
	// Ready reports whether the server may take sign-ups (/readyz): false
	// while it starts or shuts down, or its database does not answer.
	Ready func() bool
	// StartRate and VerifyRate bound each client's sign-up requests
	// (zero: DefaultStartRate, DefaultVerifyRate).
	StartRate, VerifyRate ratelimit.Rate
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client.
	TrustedProxies []netip.Prefix
	// Now is the limiters' clock (nil: time.Now).
	Now func() time.Time
	// Metrics, when set, is served at /metrics and times every request.
	Metrics *metrics.Metrics
}

// New is the HTTP handler of the sign-up service on oc.
func New(oc *ops.Console, opt Options) http.Handler {
	if opt.Log == nil {
		opt.Log = log.Default()
	}
	mux := http.NewServeMux()
	if opt.StartRate == (ratelimit.Rate{}) {
		opt.StartRate = DefaultStartRate
	}
	if opt.VerifyRate == (ratelimit.Rate{}) {
		opt.VerifyRate = DefaultVerifyRate
	}
	// One limiter per step, shared by the API and the page: a client
	// cannot double its rate by switching between them.
	start, verify := ratelimit.New(opt.StartRate, opt.Now), ratelimit.New(opt.VerifyRate, opt.Now)
	a := &api{ops: oc, log: opt.Log}
	pg := &page{ops: oc, log: opt.Log}
	a.start = limited(start, opt.TrustedProxies, a.startSignup, apiTooMany)
	a.verify = limited(verify, opt.TrustedProxies, a.verifySignup, apiTooMany)
	pg.send = limited(start, opt.TrustedProxies, pg.sendAddress, pg.tooMany("start"))
	pg.verify = limited(verify, opt.TrustedProxies, pg.verifyCode, pg.tooMany("code"))
	all := append(routes(a, opt), pg.routes()...)
	if opt.Metrics != nil {
		all = append(all, route{"GET", "/metrics", opt.Metrics.Handler().ServeHTTP})
	}
	for _, rt := range all {
		pattern := rt.method + " " + rt.path
		mux.HandleFunc(pattern, timed(opt.Metrics, pattern, rt.handle))
	}
	// Browsers say where a request comes from (Sec-Fetch-Site, Origin):
	// a form posted from another site is refused, so nobody can sign a
	// visitor up, or try codes, from their own page.
	return secure(http.NewCrossOriginProtection().Handler(mux))
}

// A route is one operation the server answers; the OpenAPI document
// must list exactly the API's (TestOpenAPIMatchesRoutes).
type route struct {
	method, path string
	handle       http.HandlerFunc
}

func routes(a *api, opt Options) []route {
	return []route{
		{"POST", "/v1/signups", a.start},
		{"POST", "/v1/signups/verify", a.verify},
		{"GET", "/v1/services", a.services},
		{"GET", "/v1/openapi.json", openapi},
		{"GET", "/v1/problems/{name}", problemPage},
		{"GET", "/healthz", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, status{"ok"})
		}},
		{"GET", "/readyz", func(w http.ResponseWriter, _ *http.Request) {
			if opt.Ready != nil && !opt.Ready() {
				writeJSON(w, http.StatusServiceUnavailable, status{"not ready"})
				return
			}
			writeJSON(w, http.StatusOK, status{"ready"})
		}},
	}
}

type status struct {
	Status string `json:"status"`
}

// timed records how long each request under pattern took.
func timed(m *metrics.Metrics, pattern string, next http.HandlerFunc) http.HandlerFunc {
	if m == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next(sw, r)
		m.HTTP(pattern, sw.status, time.Since(start))
	}
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// secure sets the headers every answer carries: nothing here may be
// framed, sniffed or load anything from elsewhere.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
