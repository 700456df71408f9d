package tui

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// AuditChange says in one line what an entry changed; for a DNS check,
// how many servers showed the record (issue 11 point 5). The command
// line's `selfserve audit` says it the same way.
func AuditChange(e model.AuditEntry) string {
	if r, ok := ops.CheckOf(e); ok {
		return checkLine(r)
	}
	return model.ChangeSummary(e.Before, e.After)
}

// auditChange is AuditChange as a cell: a check's outcome in its colour.
func auditChange(s *Styles, e model.AuditEntry) cell {
	if r, ok := ops.CheckOf(e); ok {
		st := s.Unverified
		if r.Verified() {
			st = s.Verified
		}
		return styled(checkLine(r), st)
	}
	return plain(model.ChangeSummary(e.Before, e.After))
}

// checkLine is a check's outcome and how many of the servers asked
// said so: "found at 2 of 2 servers", "missing at 1 of 2 servers".
func checkLine(r dnscheck.Result) string {
	if len(r.Servers) == 0 {
		if r.Detail != "" {
			return string(r.Outcome) + ": " + r.Detail
		}
		return string(r.Outcome) + ": no server was asked"
	}
	n := 0
	for _, s := range r.Servers {
		if s.Outcome == r.Outcome {
			n++
		}
	}
	return fmt.Sprintf("%s at %s of %s", r.Outcome, words.Count(n), words.Plural(len(r.Servers), "server", "servers"))
}

// newAuditEntryScreen shows one entry whole: who acted and for whom,
// what changed field by field, and for a DNS check what each server
// answered.
func newAuditEntryScreen(c Common, e model.AuditEntry) *pager {
	return newPager(c, e.Action+" "+e.Target, func(s *Styles, width int) []string {
		return auditEntryLines(s, width, e)
	})
}

// auditLabelWidth lines up the entry's fields.
const auditLabelWidth = 9

func auditEntryLines(s *Styles, width int, e model.AuditEntry) []string {
	var out []string
	field := func(label, value string) {
		out = append(out, hanging(s.Label.Render(fmt.Sprintf("%-*s", auditLabelWidth, label)), auditLabelWidth, value, width)...)
	}
	field("Time", e.Time.UTC().Format(auditTimeLayout+" MST"))
	field("Actor", e.Actor)
	if e.As != "" {
		field("As", e.As+": "+e.Actor+" acted under this admin's name")
	}
	field("Action", e.Action)
	field("Target", e.Target)
	after, rest := model.Counterpart(e.Before, e.After)
	if r, ok := ops.CheckOf(e); ok {
		field("Outcome", checkLine(r))
		out = append(out, "")
		out = append(out, checkLines(s, width, r)...)
		if e.Before == nil {
			return out
		}
		// A re-check also records the domain before and after it; the
		// rest is the check, shown above.
		rest = nil
	}
	out = append(out, "")
	out = append(out, changeLines(s, width, e.Before, after)...)
	if len(rest) > 0 {
		out = append(out, "", s.Title.Render("Also recorded"))
		fs := flatten(rest)
		out = append(out, fieldLines(s, width, pathWidth(width, fs), fs)...)
	}
	return out
}

// checkLines is what each DNS server answered, then what to do.
func checkLines(s *Styles, width int, r dnscheck.Result) []string {
	zone := ""
	if r.Zone != "" {
		zone = " in zone " + r.Zone
	}
	out := hanging("", 0, fmt.Sprintf("What each DNS server answered for %s %q at %s%s:",
		strings.ToUpper(string(r.Expect.Kind)), r.Expect.Value, r.Domain, zone), width)
	const indent = 14
	for _, sv := range r.Servers {
		st := s.Unverified
		if sv.Outcome == dnscheck.Found {
			st = s.Verified
		}
		who := sv.Label()
		if sv.ParentOnly {
			who += ", named only by the parent zone's delegation"
		}
		if sv.RTT > 0 {
			who += ", in " + sv.RTT.Round(10*time.Microsecond).String()
		}
		out = append(out, hanging("  "+st.Render(fmt.Sprintf("%-*s", indent-2, sv.Outcome)), indent, who, width)...)
		answer := strings.Join(quoted(sv.Values), ", ")
		switch {
		case answer == "":
			answer = sv.Detail
		case sv.Detail != "":
			answer += " (" + sv.Detail + ")"
		}
		if answer != "" {
			out = append(out, hanging(strings.Repeat(" ", indent), indent, answer, width)...)
		}
	}
	// A lab's zone has no parent to ask; the message says when that matters.
	if d := r.Delegation; d != nil && d.Parent != "" {
		text := fmt.Sprintf("%s from %s", d.Outcome, d.Parent)
		if len(d.NS) > 0 {
			text += ": " + strings.Join(d.NS, ", ")
		}
		if d.Detail != "" {
			text += " (" + d.Detail + ")"
		}
		out = append(out, hanging("  "+fmt.Sprintf("%-*s", indent-2, "delegation"), indent, text, width)...)
	}
	return append(append(out, ""), wrap(r.Message(), width)...)
}

func quoted(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// maxFields bounds the fields an entry shows: a takeover's impact can
// name every user of a big directory, and `selfserve audit --json` has
// them all.
const maxFields = 2000

// changeLines lays out before and after field by field: what changed,
// then what stayed, or what was created or removed.
func changeLines(s *Styles, width int, before, after any) []string {
	if before == nil && after == nil {
		return []string{s.Muted.Render("Nothing was recorded before or after.")}
	}
	b, a := flatten(before), flatten(after)
	var keys []string
	seen := map[string]bool{}
	for _, f := range append(append([]pathValue(nil), b...), a...) {
		if !seen[f.k] {
			seen[f.k] = true
			keys = append(keys, f.k)
		}
	}
	sort.Strings(keys)
	bm, am := byPath(b), byPath(a)
	var changed, same []pathValue
	for _, k := range keys {
		bv, bok := bm[k]
		av, aok := am[k]
		switch {
		case before == nil:
			same = append(same, pathValue{k, av})
		case after == nil:
			same = append(same, pathValue{k, bv})
		case bok && aok && bv == av:
			same = append(same, pathValue{k, av})
		default:
			changed = append(changed, pathValue{k, orNone(bv) + " → " + orNone(av)})
		}
	}
	kw := pathWidth(width, append(changed, same...))
	var out []string
	switch {
	case before == nil:
		out = append(out, s.Title.Render("Created"))
	case after == nil:
		out = append(out, s.Title.Render("Removed"))
	default:
		out = append(out, s.Title.Render("Changed"))
		if len(changed) == 0 {
			out = append(out, s.Muted.Render("  nothing"))
		}
		out = append(append(out, fieldLines(s, width, kw, changed)...), "", s.Title.Render("Unchanged"))
	}
	return append(out, fieldLines(s, width, kw, same)...)
}

// pathWidth is how wide the path column of fs is: its longest path, but
// no more than two fifths of the screen.
func pathWidth(width int, fs []pathValue) int {
	w := 0
	for _, f := range fs {
		w = max(w, len(f.k))
	}
	return min(w, max(12, width*2/5))
}

// fieldLines writes each path and its value, the values lined up at kw;
// a longer path gets a line of its own rather than a cut.
func fieldLines(s *Styles, width, kw int, fs []pathValue) []string {
	var out []string
	for _, f := range fs {
		if len(f.k) > kw {
			out = append(out, "  "+s.Label.Render(f.k))
			out = append(out, hanging(strings.Repeat(" ", kw+4), kw+4, f.v, width)...)
			continue
		}
		out = append(out, hanging("  "+s.Label.Render(fmt.Sprintf("%-*s", kw, f.k))+"  ", kw+4, f.v, width)...)
	}
	return out
}

// pathValue is one recorded scalar and its path.
type pathValue struct{ k, v string }

func byPath(kvs []pathValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, x := range kvs {
		m[x.k] = x.v
	}
	return m
}

// flatten names every scalar of a recorded value by its path
// ("switches.allowAdHocSubscriptions"); a list of scalars stays one
// field. A bare scalar is the field "value".
func flatten(v any) []pathValue {
	var out []pathValue
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if len(out) >= maxFields {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(joinPath(path, k), v[k])
			}
		case []any:
			if allScalar(v) {
				parts := make([]string, len(v))
				for i, x := range v {
					parts[i] = scalarText(x)
				}
				out = append(out, pathValue{orValue(path), strings.Join(parts, ", ")})
				return
			}
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		default:
			out = append(out, pathValue{orValue(path), scalarText(v)})
		}
	}
	if v != nil {
		walk("", v)
	}
	return out
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func orValue(path string) string {
	if path == "" {
		return "value"
	}
	return path
}

func allScalar(vs []any) bool {
	for _, v := range vs {
		switch reflect.ValueOf(v).Kind() {
		case reflect.Map, reflect.Slice:
			return false
		}
	}
	return true
}

// scalarText writes a recorded scalar the way the console writes it
// everywhere: switches as on/off, whole numbers with separators.
func scalarText(v any) string {
	switch v := v.(type) {
	case nil:
		return "none"
	case bool:
		return words.OnOff(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return words.Count(int64(v))
		}
		return fmt.Sprint(v)
	case string:
		if v == "" {
			return `""`
		}
		// Times are recorded in RFC 3339 with nanoseconds; people read
		// them as the rest of the console writes them.
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC().Format(auditTimeLayout + " MST")
		}
		return v
	}
	return fmt.Sprint(v)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// hanging puts label before text wrapped to width, its later lines
// indented by indent cells, so a long value is never cut.
func hanging(label string, indent int, text string, width int) []string {
	if text == "" {
		return []string{label}
	}
	ls := strings.Split(ansi.Wrap(text, max(10, width-indent), ""), "\n")
	out := []string{label + ls[0]}
	for _, l := range ls[1:] {
		out = append(out, strings.Repeat(" ", indent)+l)
	}
	return out
}
