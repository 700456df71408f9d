package model

import "testing"

func TestChangeSummary(t *testing.T) {
	for _, c := range []struct {
		before, after any
		want          string
	}{
		{nil, nil, "-"},
		{nil, map[string]any{"name": "flow", "takeover": "remap"}, "new flow"},
		{"a.example", nil, "removed a.example"},
		{map[string]any{"a": true, "b": false}, map[string]any{"a": true, "b": true}, "b off → on"},
		{map[string]any{"grants": []any{"rms"}}, map[string]any{"grants": []any{"rms", "flow"}}, "grants"},
		{map[string]any{"a": 1.0}, map[string]any{"a": 1.0}, "no change"},
		// A takeover records the source directory before, and after it
		// the source, the target and the job: the source is compared.
		{map[string]any{"id": "u1", "state": "unmanaged", "job": "j1"},
			map[string]any{"target": map[string]any{"id": "m1", "state": "managed"}, "source": map[string]any{"id": "u1", "state": "retired"}, "job": map[string]any{"moved": 48.0}},
			"job j1 → none, state unmanaged → retired"},
	} {
		if got := ChangeSummary(c.before, c.after); got != c.want {
			t.Errorf("ChangeSummary(%v, %v) = %q, want %q", c.before, c.after, got, c.want)
		}
	}
}
