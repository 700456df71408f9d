package model

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// ChangeSummary says in one line what an entry changed: the fields that
// differ between before and after, or what was created or removed.
// Before and after are whatever the store recorded, read back from JSON.
func ChangeSummary(before, after any) string {
	switch {
	case before == nil && after == nil:
		return "-"
	case before == nil:
		return "new " + short(after)
	case after == nil:
		return "removed " + short(before)
	}
	after, _ = Counterpart(before, after)
	b, bok := before.(map[string]any)
	a, aok := after.(map[string]any)
	if !bok || !aok {
		if reflect.DeepEqual(before, after) {
			return "no change"
		}
		return short(before) + " → " + short(after)
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if reflect.DeepEqual(b[k], a[k]) {
			continue
		}
		if scalar(b[k]) && scalar(a[k]) {
			parts = append(parts, fmt.Sprintf("%s %s → %s", k, short(b[k]), short(a[k])))
		} else {
			parts = append(parts, k)
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

func scalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, float64:
		return true
	}
	return false
}

// short names a recorded value: a scalar as itself, a record by the field
// that names it.
func short(v any) string {
	switch v := v.(type) {
	case nil:
		return "none"
	case string:
		return v
	case bool:
		if v {
			return "on"
		}
		return "off"
	case float64:
		return fmt.Sprint(v)
	case []any:
		if len(v) == 1 {
			return "1 item"
		}
		return fmt.Sprintf("%d items", len(v))
	case map[string]any:
		for _, k := range []string{"name", "email", "domain", "id"} {
			if s, ok := v[k].(string); ok && s != "" {
				return s
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, ", ")
	}
	return fmt.Sprint(v)
}

// Acting is how the audit log names a change made by by under admin's
// name: by alone when it is admin (or unknown), else by acting as admin.
func Acting(by, admin string) (actor, as string) {
	if by == "" || by == admin {
		return admin, ""
	}
	return by, admin
}

// Who names an entry's actor for people: "operator as dan@example.com"
// when they acted under another's name.
func (e AuditEntry) Who() string {
	if e.As == "" {
		return e.Actor
	}
	return e.Actor + " as " + e.As
}

// Counterpart finds what in after stands for before, so the two compare
// field by field: after itself, or, when after wraps records (a
// takeover's {"source", "target", "job"}, a re-check's {"domain",
// "check"}), the one with the most fields still as before (the same id,
// name, creation time). rest is what else after holds.
func Counterpart(before, after any) (same any, rest map[string]any) {
	b, bok := before.(map[string]any)
	a, aok := after.(map[string]any)
	if !bok || !aok {
		return after, nil
	}
	best, most := "", shared(b, a)
	for k, v := range a {
		if m, ok := v.(map[string]any); ok {
			if n := shared(b, m); n > most || n == most && n > 0 && k < best {
				best, most = k, n
			}
		}
	}
	if best == "" {
		return after, nil
	}
	rest = make(map[string]any, len(a)-1)
	for k, v := range a {
		if k != best {
			rest[k] = v
		}
	}
	return a[best], rest
}

// shared counts the fields two records both have with the same value.
func shared(a, b map[string]any) int {
	n := 0
	for k, v := range a {
		if w, ok := b[k]; ok && reflect.DeepEqual(v, w) {
			n++
		}
	}
	return n
}
