package sshdemo

import (
	"sync"
	"testing"

	"selfserve/demo"
	"selfserve/store"
)

// Issue 11 point 14: ctrl+r pressed again while the demo data is being
// restored does not run a second restore beside the first (the second
// would empty the database under the first one's build): however many
// come at once, the data afterwards is one build's, whole.
func TestResetsRunOneAtATime(t *testing.T) {
	dns, err := demo.StartDNS("", demo.Bellows, demo.Contoso, demo.ContosoUK)
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	st, err := store.Open(t.TempDir(), store.Options{Create: true, Small: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	size := demo.Size{Directories: 40, BigUsers: 2000}
	want, err := demo.Build(st, size)
	if err != nil {
		t.Fatal(err)
	}
	_, opts := Console(dns, st, size)
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- opts.Reset()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: a reset failed: %v", round, err)
			}
		}
		if err := st.CheckInvariants(); err != nil {
			t.Fatalf("round %d: after resets at once: %v", round, err)
		}
		list, err := st.Directories("")
		if err != nil {
			t.Fatal(err)
		}
		users := 0
		for _, d := range list {
			users += int(d.Users)
		}
		if len(list) != want.Directories || users != want.Users {
			t.Fatalf("round %d: %d directories and %d users after resets at once, want one build's %d and %d", round, len(list), users, want.Directories, want.Users)
		}
	}
}
