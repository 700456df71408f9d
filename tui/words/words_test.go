package words

import "testing"

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 120000: "120,000", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	if got := Plural(1, "user", "users"); got != "1 user" {
		t.Errorf("got %q", got)
	}
	if got := Plural(int64(13000), "user", "users"); got != "13,000 users" {
		t.Errorf("got %q", got)
	}
}

func TestMailState(t *testing.T) {
	for _, c := range []struct {
		state    string
		attempts int
		err      string
		want     string
	}{
		{"", 0, "", ""},
		{"queued", 0, "", "queued"},
		{"queued", 2, "451 try later", "queued, attempt 2 failed: 451 try later"},
		{"sent", 3, "", "sent"},
		{"failed", 1, "550 no such user", "failed after 1 attempt: 550 no such user"},
	} {
		if got := MailState(c.state, c.attempts, c.err); got != c.want {
			t.Errorf("MailState(%q, %d, %q) = %q, want %q", c.state, c.attempts, c.err, got, c.want)
		}
	}
}
