package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/ops/ratelimit"
	"selfserve/store"
)

// mailbox is a relay in memory: the courier hands it each queued mail,
// and a client waits there for the code sent to its address. The codes
// thus come from the store's queue, as in a real server.
type mailbox struct {
	mu    sync.Mutex
	codes map[string]chan string
}

var subjectCode = regexp.MustCompile(`\d{6,12}$`)

func (m *mailbox) box(to string) chan string {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.codes[to]
	if !ok {
		c = make(chan string, 1)
		m.codes[to] = c
	}
	return c
}

func (m *mailbox) Send(_ context.Context, msg model.Message) error {
	m.box(msg.To) <- subjectCode.FindString(msg.Subject)
	return nil
}

// BenchmarkHTTPSignup64 is the end-to-end sign-up rate over real HTTP on
// loopback: 64 clients, each sign-up a POST to start it and, once the
// courier delivered the queued code, a POST to verify it. Compared in
// .ci/bench with store's BenchmarkSignup (the same sign-up without HTTP)
// of the same run; p99 of each request is reported beside the rate.
func BenchmarkHTTPSignup64(b *testing.B) {
	st, err := store.Open(b.TempDir(), store.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	box := &mailbox{codes: map[string]chan string{}}
	c := &ops.Console{Store: st, Mail: box, Queue: true}
	ctx, cancel := context.WithCancel(context.Background())
	courierDone := make(chan error)
	go func() { courierDone <- (&ops.Courier{Store: st, Mail: box}).Run(ctx) }()
	defer func() { cancel(); <-courierDone }()
	// One client address sends everything here: no per-client limit.
	unlimited := ratelimit.Rate{Count: 1 << 30, Period: time.Second}
	srv := httptest.NewServer(New(c, Options{StartRate: unlimited, VerifyRate: unlimited}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	post := func(path string, v any) (int, time.Duration, error) {
		body, _ := json.Marshal(v)
		t0 := time.Now()
		resp, err := client.Post(srv.URL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(t0), nil
	}
	const clients = 64
	var mu sync.Mutex
	var starts, verifies []time.Duration
	next := make(chan int)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				// A new domain for most, joiners for some, as sign-ups
				// arrive at a real service.
				addr := fmt.Sprintf("user%d@co%d.example", i, i/4)
				code, d1, err := post("/v1/signups", startRequest{Email: addr, Service: "rms"})
				if err == nil && code != http.StatusAccepted {
					err = fmt.Errorf("start %s: %d", addr, code)
				}
				if err != nil {
					errs <- err
					return
				}
				got := <-box.box(addr)
				code, d2, err := post("/v1/signups/verify", verifyRequest{Email: addr, Code: got})
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("verify %s: %d", addr, code)
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				starts, verifies = append(starts, d1), append(verifies, d2)
				mu.Unlock()
			}
		}()
	}
	func() {
		defer close(next)
		for i := range b.N {
			select {
			case next <- i:
			case err := <-errs:
				b.Fatal(err)
			}
		}
	}()
	wg.Wait()
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(p99(starts).Seconds()*1000, "p99-start-ms")
	b.ReportMetric(p99(verifies).Seconds()*1000, "p99-verify-ms")
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[(len(d)*99)/100]
}
