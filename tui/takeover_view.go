package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/tui/words"
)

// The wizard's steps as the trail shows them; Impact only for external.
func (t *takeoverScreen) trail() string {
	s := t.c.Styles
	type stop struct {
		name  string
		steps []wizStep
	}
	stops := []stop{{"Kind", []wizStep{stepKind, stepInto}}}
	if t.c.Ops.Viewer().IsOperator() {
		stops = append(stops, stop{"Act as", []wizStep{stepAdmin}})
	}
	stops = append(stops, stop{"Challenge", []wizStep{stepChallenge}}, stop{"Check", []wizStep{stepCheck}})
	if t.external || t.step < stepAdmin {
		stops = append(stops, stop{"Impact", []wizStep{stepImpact}})
	}
	stops = append(stops, stop{"Take over", []wizStep{stepRun}})
	// Too wide for the window, the steps not current show their numbers
	// only: the trail is never cut.
	for _, named := range []bool{true, false} {
		parts := make([]string, len(stops))
		for i, st := range stops {
			label := fmt.Sprint(i + 1)
			current := slices.Contains(st.steps, t.step)
			if named || current {
				label += " " + st.name
			}
			if current {
				parts[i] = s.TabActive.Render("[" + label + "]")
			} else {
				parts[i] = s.TabInactive.Render(label)
			}
		}
		if line := strings.Join(parts, s.Muted.Render(" › ")); !named || textWidth(line) <= t.c.Width {
			return line
		}
	}
	return ""
}

func (t *takeoverScreen) View() string {
	s := t.c.Styles
	// The status line wraps too: a note is never cut.
	status := wrap(t.status(), t.c.Width)
	if len(status) == 0 {
		status = []string{""}
	}
	height := max(1, t.c.Height-len(status))
	frame := func(lines []string) string {
		return fitHeight(strings.Join(lines, "\n"), height) + "\n" + strings.Join(status, "\n")
	}
	var lines []string
	if t.sum.ID == "" {
		if t.err != nil {
			lines = t.viewFailure("Cannot open this directory: ")
		}
		return frame(lines)
	}
	title := s.Title.Render("Take over "+t.domain) + "  " + s.State(t.sum.State).Render(string(t.sum.State))
	if t.inReach {
		title += s.Muted.Render(" · " + words.Plural(t.sum.Users, "user", "users"))
	}
	lines = append(wrap(title, t.c.Width), t.trail(), "")
	room := height - len(lines) // for the step's own lines
	switch t.step {
	case stepKind:
		lines = append(lines, t.viewKind()...)
	case stepInto:
		lines = append(lines, t.viewInto(room)...)
	case stepAdmin:
		lines = append(lines, t.viewAdmin()...)
	case stepChallenge:
		lines = append(lines, t.viewChallenge()...)
	case stepCheck:
		lines = append(lines, t.viewCheck()...)
	case stepImpact:
		lines = append(lines, t.viewImpact(room)...)
	case stepRun:
		lines = append(lines, t.viewRun(room)...)
	}
	// Every line is made to fit (wrapped, or a table planned for the
	// width); clip only guards the edge.
	for i, l := range lines {
		lines[i] = clip(l, t.c.Width)
	}
	return frame(lines)
}

// viewFailure is the failure of the current step, said once: what
// happened after lead, then what to do, both wrapped, never cut.
func (t *takeoverScreen) viewFailure(lead string) []string {
	s := t.c.Styles
	lines := paragraph(s.Error, lead+capital(t.err.Error()), t.c.Width)
	if say := advice(t.c, t.err).say; say != "" {
		lines = append(append(lines, ""), wrap(say, t.c.Width)...)
	}
	return lines
}

// capital starts a message with a capital letter, as the first words of
// a sentence on screen.
func capital(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// paragraph is text wrapped to width, each line in st.
func paragraph(st lipgloss.Style, text string, width int) []string {
	lines := wrap(text, width)
	for i, l := range lines {
		lines[i] = st.Render(l)
	}
	return lines
}

func (t *takeoverScreen) status() string {
	s := t.c.Styles
	switch {
	case t.confirm:
		return s.Error.Render(t.confirmText())
	case t.busy:
		return t.spin.View() + " " + s.StatusBar.Render(t.busyText())
	case t.note != "":
		return s.StatusBar.Render(t.note)
	}
	return ""
}

func (t *takeoverScreen) busyText() string {
	switch {
	case t.sum.ID == "" || t.step == stepKind:
		return "reading the directory…"
	case t.step == stepInto:
		return "reading the managed directories…"
	case t.step == stepChallenge && t.ch != nil:
		return "publishing to the demo DNS…"
	case t.step == stepChallenge:
		return "issuing the challenge…"
	case t.step == stepCheck:
		return "asking every authoritative server of " + t.domain + "…"
	}
	return "taking over " + t.domain + "…"
}

// choice is an option of a list, wrapped under its own first word, so
// a narrow window still shows all of it.
func choice(selected bool, text string, width int) []string {
	lines := hang(len(marker), text, width)
	if selected {
		lines[0] = marker + lines[0][len(marker):]
	}
	return lines
}

func (t *takeoverScreen) viewKind() []string {
	s, w := t.c.Styles, t.c.Width
	lines := []string{"What kind of takeover?", ""}
	lines = append(lines, choice(t.kindPos == 0, s.Title.Render("Internal")+": become the global admin of "+t.domain+"; it becomes managed.", w)...)
	lines = append(lines, hang(5, s.Muted.Render("The admin must be one of its users (an address at "+t.domain+")."), w)...)
	lines = append(lines, choice(t.kindPos == 1, s.Title.Render("External")+": merge "+t.domain+" into a managed directory you administer.", w)...)
	return append(lines, hang(5, s.Muted.Render("Its users move there; the impact is previewed before anything changes."), w)...)
}

func (t *takeoverScreen) viewInto(height int) []string {
	s := t.c.Styles
	lines := wrap("Merge "+t.domain+" into which managed directory?", t.c.Width)
	lines = append(lines, "")
	switch {
	case t.err != nil:
		return append(lines, t.viewFailure("Cannot list the managed directories: ")...)
	case t.busy:
		return lines
	case len(t.managed) == 0:
		return append(lines, wrap("No managed directory yet: an external takeover needs one to merge into.", t.c.Width)...)
	}
	name := 0
	for _, m := range t.managed {
		name = max(name, textWidth(m.Name))
	}
	rows := max(1, height-len(lines))
	from := max(0, min(t.intoPos-rows/2, len(t.managed)-rows))
	for i := from; i < min(len(t.managed), from+rows); i++ {
		m := t.managed[i]
		admins := "no global admin"
		if n := len(m.GlobalAdmins); n > 0 {
			admins = "admin " + m.GlobalAdmins[0]
			if n > 1 {
				admins += fmt.Sprintf(" +%s", words.Count(n-1))
			}
		}
		lines = append(lines, choice(i == t.intoPos, fmt.Sprintf("%-*s  %s", name, m.Name, s.Muted.Render(words.Plural(m.Users, "user", "users")+" · "+admins)), t.c.Width)...)
	}
	return lines
}

func (t *takeoverScreen) viewAdmin() []string {
	s := t.c.Styles
	var who string
	if t.external {
		who = "A global admin of " + t.into.Name + ": the address to act as."
	} else {
		who = "A user of " + t.domain + " who becomes its global admin."
	}
	lines := append(wrap(who, t.c.Width), "", t.admin.View(), "")
	return append(lines, paragraph(s.Muted, "enter issues the DNS challenge for this address.", t.c.Width)...)
}

// viewChallenge is the record to create, plain text so it can be copied.
func (t *takeoverScreen) viewChallenge() []string {
	s, w := t.c.Styles, t.c.Width
	if t.err != nil && t.ch == nil {
		return t.viewFailure("")
	}
	if t.ch == nil {
		return nil
	}
	var lines []string
	if t.ch.ParentProof != "" {
		lines = wrap("No record needed: the verified parent domain "+t.ch.ParentProof+" proves "+t.domain+".", w)
		return append(append(lines, ""), paragraph(s.Muted, "enter goes on to the check.", w)...)
	}
	mode := func(m model.ChallengeMode, label string) string {
		if t.mode == m {
			return s.TabActive.Render("[" + label + "]")
		}
		return s.TabInactive.Render(label)
	}
	lines = append(lines, "Record type: "+mode(model.ModeTXT, "TXT")+" "+mode(model.ModeMX, "MX")+s.Muted.Render("  (m switches)"), "")
	r := t.record()
	label := func(l string) string { return s.Label.Render(fmt.Sprintf("  %-11s", l)) }
	// The TTL and preference are values to type, not counts: no
	// thousands separator.
	lines = append(lines, wrap("Create this record at the DNS provider of "+t.domain+":", w)...)
	lines = append(lines, "")
	name, hint := label("Name")+r.Name, s.Muted.Render("(the domain itself: host blank or @)")
	if textWidth(name+"  "+hint) <= w {
		lines = append(lines, name+"  "+hint)
	} else {
		lines = append(append(lines, name), hang(textWidth(label("")), hint, w)...)
	}
	lines = append(lines,
		label("Type")+r.Type,
		label("Value")+r.Value,
		label("TTL")+fmt.Sprint(r.TTL))
	zone := fmt.Sprintf("%s %d IN TXT %q", r.Name, r.TTL, r.Value)
	if r.Type == "MX" {
		lines = append(lines, label("Preference")+fmt.Sprint(r.Preference))
		zone = fmt.Sprintf("%s %d IN MX %d %s", r.Name, r.TTL, r.Preference, r.Value)
	}
	// A zone-file line broken in two would not paste: too wide, it is
	// left out (the fields above say the same).
	if textWidth(zone) <= w {
		lines = append(lines, "", s.Muted.Render("As a zone-file line:"), zone)
	}
	if t.ch.Replaced != nil {
		lines = append(lines, "")
		lines = append(lines, paragraph(s.Muted, "This replaces the earlier "+strings.ToUpper(string(t.ch.Replaced.Mode))+" challenge: remove that record.", w)...)
	}
	if t.err != nil { // publishing failed
		lines = append(append(lines, ""), t.viewFailure("")...)
	}
	return lines
}

// viewCheck leads with the verdict and what to do, then each server's
// answer: in a small window the details give way first.
func (t *takeoverScreen) viewCheck() []string {
	s, w := t.c.Styles, t.c.Width
	if t.check == nil && t.err == nil {
		if t.busy {
			return wrap("Checking the challenge at every authoritative server of "+t.domain+"…", w)
		}
		return wrap("enter checks the challenge in DNS.", w)
	}
	var lines []string
	if t.check != nil && t.check.ParentProof != "" {
		lines = append(lines, wrap("Proven by the verified parent domain "+t.check.ParentProof+".", w)...)
	}
	var res *dnscheck.Result
	if t.check != nil {
		res = t.check.Check
	}
	switch {
	case t.err != nil && errors.Is(t.err, model.ErrNotVerified) && res != nil:
		verdict := "Not verified yet."
		if t.checks > 1 {
			verdict = fmt.Sprintf("Not verified yet (check %s).", words.Count(t.checks))
		}
		lines = append(lines, paragraph(s.Error, verdict, w)...)
		lines = append(lines, wrap(res.Message(), w)...)
		lines = append(append(lines, ""), wrap(advice(t.c, t.err).say, w)...)
	case t.err != nil:
		lines = append(lines, t.viewFailure("")...)
	default:
		verdict := s.Verified.Render("Verified.")
		if res != nil {
			verdict += " " + res.Message()
		}
		lines = append(lines, wrap(verdict, w)...)
		next := "enter shows what the merge would do."
		if !t.external {
			next = "enter makes " + strings.TrimSpace(t.admin.Value()) + " the global admin of " + t.domain + "."
		}
		lines = append(lines, wrap(next, w)...)
	}
	if res != nil {
		lines = append(append(lines, ""), t.servers(*res)...)
	}
	return lines
}

// servers is each nameserver's answer: a table when every label and
// answer fits whole, otherwise one server per paragraph, never cut (a
// cut token or address cannot be compared with the record).
func (t *takeoverScreen) servers(r dnscheck.Result) []string {
	s := t.c.Styles
	if len(r.Servers) == 0 {
		return []string{s.Muted.Render("  no server answered")}
	}
	answer := func(sv dnscheck.ServerResult) string {
		if a := strings.Join(sv.Values, ", "); a != "" {
			return a
		}
		return sv.Detail
	}
	outcome := func(sv dnscheck.ServerResult) cell {
		if sv.Outcome == dnscheck.Found {
			return styled(string(sv.Outcome), s.Verified)
		}
		return styled(string(sv.Outcome), s.Unverified)
	}
	cols := []column{{title: "SERVER", min: 6}, {title: "OUTCOME", min: 7}, {title: "ANSWER", min: 6}}
	for _, sv := range r.Servers {
		cols[0].min = max(cols[0].min, textWidth(sv.Label()))
		cols[1].min = max(cols[1].min, len(sv.Outcome))
		cols[2].min = max(cols[2].min, textWidth(answer(sv)))
	}
	if need := len(marker) + cols[0].min + cols[1].min + cols[2].min + 2*len(gap); need <= t.c.Width {
		w := []int{cols[0].min, cols[1].min, cols[2].min}
		lines := []string{header(cols, w, s.ColumnHeader)}
		for _, sv := range r.Servers {
			lines = append(lines, row(cols, w, []cell{plain(sv.Label()), outcome(sv), plain(answer(sv))}, false, s.SelectedRow))
		}
		return lines
	}
	var lines []string
	for _, sv := range r.Servers {
		o := outcome(sv)
		lines = append(lines, choice(false, sv.Label()+": "+o.style.Render(o.text), t.c.Width)...)
		lines = append(lines, hang(len(marker)+2, answer(sv), t.c.Width)...)
	}
	return lines
}

// viewImpact is the merge's preview in room lines: the summary, each
// service, then what blocks it; the names of those who would lose access
// take what room is left, and the rest are counted.
func (t *takeoverScreen) viewImpact(room int) []string {
	s, w := t.c.Styles, t.c.Width
	if t.check == nil || t.check.Impact == nil {
		return []string{"Nothing to preview."}
	}
	im := t.check.Impact
	lines := append(wrap(fmt.Sprintf("Merging %s into %s: %s move, keeping their sign-in addresses.",
		t.domain, t.into.Name, words.Plural(int64(im.Users), "user", "users")), w), "")
	lines = append(lines, t.impactTable(im, false)...)
	lines = append(lines, "")
	if len(im.Blocking) == 0 {
		return append(lines, wrap("Nothing blocks the merge. enter takes over.", w)...)
	}
	losing := ""
	if n := len(im.LosingAccess); n > 0 {
		losing = ", and " + words.Plural(n, "user loses", "users lose") + " access"
	}
	if t.force {
		lines = append(lines, wrap(s.Error.Render("Forced:")+fmt.Sprintf(" %s will be dropped%s. enter takes over.", t.blockedText(), losing), w)...)
	} else {
		lines = append(lines, wrap(s.Error.Render("Blocked by "+strings.Join(im.Blocking, ", ")+".")+
			fmt.Sprintf(" Forcing the merge (f) drops %s%s.", t.blockedText(), losing), w)...)
	}
	// Who they are takes the room that is left; the count above stays.
	if room -= len(lines); room > 0 && len(im.LosingAccess) > 0 {
		lines = append(lines, names("Losing access: ", im.LosingAccess, w, room)...)
	}
	return lines
}

// names lists who in at most n lines of width, counting those left out.
func names(lead string, who []string, width, n int) []string {
	// Only as many as n lines could hold are tried: a forced merge of a
	// big directory may name a million.
	most, budget := 0, n*width-textWidth(lead)
	for most < len(who) && budget > 0 {
		budget -= textWidth(who[most]) + len(", ")
		most++
	}
	for shown := most; shown > 0; shown-- {
		text := lead + strings.Join(who[:shown], ", ")
		if rest := len(who) - shown; rest > 0 {
			text += fmt.Sprintf(" and %s more", words.Count(rest))
		}
		if lines := wrap(text, width); len(lines) <= n {
			return lines
		}
	}
	return wrap(lead+words.Plural(len(who), "user", "users"), width)
}

func (t *takeoverScreen) impactTable(im *model.Impact, done bool) []string {
	s := t.c.Styles
	// Every column as wide as its widest value: a number or an effect
	// cut short would hide what the merge does.
	cols := []column{{title: "SERVICE", min: 7}, {title: "POLICY", min: 7}, {title: "USERS", min: 5, right: true}, {title: "WHAT HAPPENS", min: 12}}
	for _, sv := range im.Services {
		cols[0].min = max(cols[0].min, textWidth(sv.Service))
		cols[2].min = max(cols[2].min, len(words.Count(sv.Users)))
		cols[3].min = max(cols[3].min, textWidth(sv.Policy.Effect(t.force || done)))
	}
	w := plan(cols, []growStep{{0, 14}}, t.c.Width-len(marker))
	lines := []string{header(cols, w, s.ColumnHeader)}
	for _, sv := range im.Services {
		st := s.Verified
		switch sv.Policy {
		case model.Migrate:
			st = s.Unverified
		case model.Block:
			st = s.Error
		}
		lines = append(lines, row(cols, w, []cell{plain(sv.Service), styled(string(sv.Policy), st),
			plain(words.Count(sv.Users)), plain(sv.Policy.Effect(t.force || done))}, false, s.SelectedRow))
	}
	if len(im.Services) == 0 {
		lines = append(lines, s.Muted.Render("  no service in use"))
	}
	return lines
}

func (t *takeoverScreen) viewRun(room int) []string {
	s, w := t.c.Styles, t.c.Width
	var lines []string
	if t.busy {
		lines = wrap("Taking over "+t.domain+": checking DNS again, then making the change.", w)
		if t.external {
			lines = append(lines, "", progressBar(t.job.Moved, t.job.Total, w-len(marker)))
		}
		return lines
	}
	if t.err != nil {
		return t.viewFailure("The takeover did not happen: ")
	}
	rep := t.result
	if d := rep.Directory; d != nil && d.ID != "" {
		if rep.Kind == model.External {
			lines = append(lines, wrap(s.Verified.Render("Merged.")+fmt.Sprintf(" %s is now a verified domain of managed directory %s.", t.domain, d.Name), w)...)
		} else {
			lines = append(lines, wrap(s.Verified.Render("Done.")+fmt.Sprintf(" Directory %s is now managed, with %s verified.", d.Name, t.domain), w)...)
		}
		lines = append(lines, wrap("Global admins: "+strings.Join(d.GlobalAdmins, ", "), w)...)
	}
	if j := rep.Job; j != nil {
		lines = append(lines, "", progressBar(j.Moved, j.Total, w-len(marker)))
		lines = append(lines, wrap(fmt.Sprintf("Moved %s (job %s); %s dropped.", words.Plural(int64(j.Moved), "user", "users"), j.ID, words.Plural(int64(j.Dropped), "grant", "grants")), w)...)
		if rep.Impact != nil && len(rep.Impact.LosingAccess) > 0 && j.Dropped > 0 {
			// What follows takes three lines.
			lines = append(lines, names("Lost access (forced): ", rep.Impact.LosingAccess, w, max(1, room-len(lines)-3))...)
		}
		lines = append(lines, paragraph(s.Muted, t.domain+" is retired, read-only for 10 days.", w)...)
	} else if rep.Kind != model.External {
		lines = append(lines, "Users, grants and switches are kept.")
	}
	return append(lines, "", "enter returns to the directory list.")
}

// progressBar draws done of total in width cells, with the count.
func progressBar(done, total, width int) string {
	label := " " + words.Count(done) + " / " + words.Count(total) + " users"
	bar := min(60, max(10, width-len(label)-2))
	fill := 0
	if total > 0 {
		fill = min(bar, done*bar/total)
	}
	return "  " + strings.Repeat("█", fill) + strings.Repeat("░", bar-fill) + label
}

// wrap breaks text at spaces into lines of at most width cells, keeping
// its spacing; a word longer than a line (a token, an address) is broken,
// never cut.
func wrap(text string, width int) []string {
	if text == "" {
		return nil
	}
	return strings.Split(ansi.Wrap(text, max(1, width), ""), "\n")
}

// hang is text wrapped to width with every line indented by indent cells.
func hang(indent int, text string, width int) []string {
	pad := strings.Repeat(" ", indent)
	lines := wrap(text, width-indent)
	for i := range lines {
		lines[i] = pad + lines[i]
	}
	return lines
}
