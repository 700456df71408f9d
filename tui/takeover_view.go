package tui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"

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
	parts := make([]string, len(stops))
	for i, st := range stops {
		label := fmt.Sprintf("%d %s", i+1, st.name)
		current := false
		for _, w := range st.steps {
			current = current || w == t.step
		}
		if current {
			parts[i] = s.TabActive.Render("[" + label + "]")
		} else {
			parts[i] = s.TabInactive.Render(label)
		}
	}
	return strings.Join(parts, s.Muted.Render(" › "))
}

func (t *takeoverScreen) View() string {
	s := t.c.Styles
	if t.sum.ID == "" {
		return clip(s.Error.Render(fmt.Sprintf("Cannot open this directory: %v", t.err)), t.c.Width)
	}
	title := s.Title.Render("Take over "+t.domain) + "  " + s.State(t.sum.State).Render(string(t.sum.State))
	if t.inReach {
		title += s.Muted.Render(" · " + words.Plural(t.sum.Users, "user", "users"))
	}
	head := []string{
		title,
		t.trail(),
		"",
	}
	var body []string
	switch t.step {
	case stepKind:
		body = t.viewKind()
	case stepInto:
		body = t.viewInto(t.c.Height - len(head) - 1)
	case stepAdmin:
		body = t.viewAdmin()
	case stepChallenge:
		body = t.viewChallenge()
	case stepCheck:
		body = t.viewCheck()
	case stepImpact:
		body = t.viewImpact()
	case stepRun:
		body = t.viewRun()
	}
	lines := append(head, body...)
	for i, l := range lines {
		lines[i] = clip(l, t.c.Width)
	}
	return fitHeight(strings.Join(lines, "\n"), t.c.Height-1) + "\n" + clip(t.status(), t.c.Width)
}

func (t *takeoverScreen) status() string {
	s := t.c.Styles
	switch {
	case t.confirm:
		return s.Error.Render(fmt.Sprintf("Type y to drop %s (%s); any other key keeps them.",
			words.Plural(int64(t.blockedGrants()), "grant", "grants"), strings.Join(t.check.Impact.Blocking, ", ")))
	case t.busy:
		return t.spin.View() + " " + s.StatusBar.Render(t.busyText())
	case t.err != nil:
		return s.Error.Render(t.err.Error())
	case t.note != "":
		return s.StatusBar.Render(t.note)
	}
	return ""
}

func (t *takeoverScreen) busyText() string {
	switch t.step {
	case stepChallenge:
		if t.ch != nil {
			return "publishing to the demo DNS…"
		}
		return "issuing the challenge…"
	case stepCheck:
		return "asking every authoritative server of " + t.domain + "…"
	}
	return "taking over " + t.domain + "…"
}

func choice(selected bool, text string) string {
	if selected {
		return marker + text
	}
	return strings.Repeat(" ", len(marker)) + text
}

func (t *takeoverScreen) viewKind() []string {
	s := t.c.Styles
	return []string{
		"What kind of takeover?",
		"",
		choice(t.kindPos == 0, s.Title.Render("Internal")+": become the global admin of "+t.domain+"; it becomes managed."),
		choice(false, s.Muted.Render("   The admin must be one of its users (an address at "+t.domain+").")),
		choice(t.kindPos == 1, s.Title.Render("External")+": merge "+t.domain+" into a managed directory you administer."),
		choice(false, s.Muted.Render("   Its users move there; the impact is previewed before anything changes.")),
	}
}

func (t *takeoverScreen) viewInto(height int) []string {
	s := t.c.Styles
	lines := []string{"Merge " + t.domain + " into which managed directory?", ""}
	if t.err != nil {
		return lines
	}
	if len(t.managed) == 0 {
		return append(lines, s.Muted.Render("  No managed directory yet: an external takeover needs one. esc to go back."))
	}
	rows := max(1, height-len(lines))
	from := max(0, min(t.intoPos-rows/2, len(t.managed)-rows))
	for i := from; i < min(len(t.managed), from+rows); i++ {
		m := t.managed[i]
		admins := "no global admin"
		if len(m.GlobalAdmins) > 0 {
			admins = "admin " + strings.Join(m.GlobalAdmins, ", ")
		}
		lines = append(lines, choice(i == t.intoPos, fmt.Sprintf("%-28s %s", m.Name, s.Muted.Render(words.Plural(m.Users, "user", "users")+" · "+admins))))
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
	return []string{who, "", t.admin.View(), "",
		s.Muted.Render("enter issues the DNS challenge for this address.")}
}

// viewRecord is the record to create, plain text so it can be copied.
func (t *takeoverScreen) viewChallenge() []string {
	s := t.c.Styles
	mode := func(m model.ChallengeMode, label string) string {
		if t.mode == m {
			return s.TabActive.Render("[" + label + "]")
		}
		return s.TabInactive.Render(label)
	}
	lines := []string{"Record type: " + mode(model.ModeTXT, "TXT") + " " + mode(model.ModeMX, "MX") + s.Muted.Render("  (m switches)"), ""}
	if t.err != nil {
		return append(lines, s.Error.Render("Refused: "+t.err.Error()), "", s.Muted.Render(whatToDo(t.err)))
	}
	if t.ch == nil {
		return lines
	}
	if t.ch.ParentProof != "" {
		return append(lines, "No record needed: the verified parent domain "+t.ch.ParentProof+" proves "+t.domain+".",
			"", s.Muted.Render("enter goes on to the check."))
	}
	r := t.record()
	label := func(l string) string { return s.Label.Render(fmt.Sprintf("  %-11s", l)) }
	lines = append(lines, "Create this record at the DNS provider of "+t.domain+":", "",
		label("Name")+r.Name+s.Muted.Render("  (the domain itself: host blank or @)"),
		label("Type")+r.Type,
		label("Value")+r.Value,
		label("TTL")+fmt.Sprint(r.TTL))
	zone := fmt.Sprintf("%s %d IN TXT %q", r.Name, r.TTL, r.Value)
	if r.Type == "MX" {
		lines = append(lines, label("Preference")+fmt.Sprint(r.Preference))
		zone = fmt.Sprintf("%s %d IN MX %d %s", r.Name, r.TTL, r.Preference, r.Value)
	}
	lines = append(lines, "", s.Muted.Render("As a zone-file line:"), zone)
	if t.ch.Replaced != nil {
		lines = append(lines, "", s.Muted.Render("This replaces the earlier "+strings.ToUpper(string(t.ch.Replaced.Mode))+" challenge: remove that record."))
	}
	return lines
}

// whatToDo says how to get past a refusal.
func whatToDo(err error) string {
	switch {
	case errors.Is(err, model.ErrForbidden):
		return "esc to type another address (step 2) or pick the other kind of takeover (step 1)."
	case errors.Is(err, model.ErrInvalid):
		return "esc to correct the address."
	case errors.Is(err, model.ErrTryAgain):
		return "Wait a little, then press r to try again."
	case errors.Is(err, model.ErrConflict), errors.Is(err, model.ErrRefused):
		return "This domain cannot be taken over this way; esc to go back."
	}
	return "esc to go back, or r to try again."
}

func (t *takeoverScreen) viewCheck() []string {
	s := t.c.Styles
	if t.check == nil && t.checkErr == nil {
		if t.busy {
			return []string{"Checking the challenge at every authoritative server of " + t.domain + "…"}
		}
		return []string{"enter checks the challenge in DNS."}
	}
	var lines []string
	if t.check != nil && t.check.ParentProof != "" {
		lines = append(lines, "Proven by the verified parent domain "+t.check.ParentProof+".")
	}
	if t.check != nil && t.check.Check != nil {
		lines = append(lines, t.serverTable(*t.check.Check)...)
		lines = append(lines, "")
		lines = append(lines, wrap(t.check.Check.Message(), t.c.Width)...)
	}
	switch {
	case t.checkErr != nil && errors.Is(t.checkErr, model.ErrNotVerified):
		lines = append(lines, "", s.Error.Render("Not verified yet.")+" Fix or publish the record, then r to check again.")
	case t.checkErr != nil:
		lines = append(lines, "", s.Error.Render("Refused: "+t.checkErr.Error()), s.Muted.Render(whatToDo(t.checkErr)))
	case t.external:
		lines = append(lines, "", s.Verified.Render("Verified.")+" enter shows what the merge would do.")
	default:
		lines = append(lines, "")
		lines = append(lines, wrap(s.Verified.Render("Verified.")+" enter makes "+strings.TrimSpace(t.admin.Value())+" the global admin of "+t.domain+".", t.c.Width)...)
	}
	return lines
}

// serverTable is the per-nameserver result: who was asked, what it said.
func (t *takeoverScreen) serverTable(r dnscheck.Result) []string {
	s := t.c.Styles
	cols := []column{{title: "SERVER", min: 16}, {title: "OUTCOME", min: 11}, {title: "ANSWER", min: 10}}
	w := plan(cols, []growStep{{2, 46}, {0, 48}, {2, 0}}, t.c.Width-len(marker))
	lines := []string{header(cols, w, s.ColumnHeader)}
	for _, sv := range r.Servers {
		st := s.Unverified
		if sv.Outcome == dnscheck.Found {
			st = s.Verified
		}
		answer := strings.Join(sv.Values, ", ")
		if answer == "" {
			answer = sv.Detail
		}
		lines = append(lines, row(cols, w, []cell{plain(sv.Label()), styled(string(sv.Outcome), st), plain(answer)}, false, s.SelectedRow))
	}
	if len(r.Servers) == 0 {
		lines = append(lines, s.Muted.Render("  no server answered"))
	}
	return lines
}

func (t *takeoverScreen) viewImpact() []string {
	s := t.c.Styles
	if t.check == nil || t.check.Impact == nil {
		return []string{"Nothing to preview."}
	}
	im := t.check.Impact
	lines := append(wrap(fmt.Sprintf("Merging %s into %s: %s move, keeping their sign-in addresses.",
		t.domain, t.into.Name, words.Plural(int64(im.Users), "user", "users")), t.c.Width), "")
	lines = append(lines, t.impactTable(im, false)...)
	if len(im.Blocking) > 0 {
		lines = append(lines, "", s.Error.Render("Blocked by "+strings.Join(im.Blocking, ", ")+"."))
		if len(im.LosingAccess) > 0 {
			lines = append(lines, wrap("Would lose access if forced: "+strings.Join(im.LosingAccess, ", "), t.c.Width)...)
		}
		if t.force {
			lines = append(lines, s.Error.Render("Forced:")+fmt.Sprintf(" %s will be dropped. enter takes over.", words.Plural(int64(t.blockedGrants()), "grant", "grants")))
		} else {
			lines = append(lines, "f forces it (drops those grants); esc goes back.")
		}
	} else {
		lines = append(lines, "", "Nothing blocks the merge. enter takes over.")
	}
	return lines
}

func (t *takeoverScreen) impactTable(im *model.Impact, done bool) []string {
	s := t.c.Styles
	cols := []column{{title: "SERVICE", min: 10}, {title: "POLICY", min: 7}, {title: "USERS", min: 5, right: true}, {title: "WHAT HAPPENS", min: 20}}
	w := plan(cols, []growStep{{0, 14}, {3, 0}}, t.c.Width-len(marker))
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
			plain(fmt.Sprint(sv.Users)), plain(sv.Policy.Effect(t.force || done))}, false, s.SelectedRow))
	}
	if len(im.Services) == 0 {
		lines = append(lines, s.Muted.Render("  no service in use"))
	}
	return lines
}

func (t *takeoverScreen) viewRun() []string {
	s := t.c.Styles
	var lines []string
	if t.busy {
		lines = append(lines, "Taking over "+t.domain+": checking DNS again, then making the change.")
		if t.external {
			lines = append(lines, "", progressBar(t.job.Moved, t.job.Total, t.c.Width-len(marker)-2))
		}
		return lines
	}
	if t.runErr != nil {
		lines = append(lines, s.Error.Render("The takeover did not happen: "+t.runErr.Error()))
		if errors.Is(t.runErr, model.ErrNotVerified) {
			lines = append(lines, "The record is gone from DNS since the check; publish it again and start over.")
		}
		return append(lines, "", "enter returns to the directory list.")
	}
	rep := t.result
	if d := rep.Directory; d != nil && d.ID != "" {
		if rep.Kind == model.External {
			lines = append(lines, wrap(s.Verified.Render("Merged.")+fmt.Sprintf(" %s is now a verified domain of managed directory %s.", t.domain, d.Name), t.c.Width)...)
		} else {
			lines = append(lines, wrap(s.Verified.Render("Done.")+fmt.Sprintf(" Directory %s is now managed, with %s verified.", d.Name, t.domain), t.c.Width)...)
		}
		lines = append(lines, "Global admins: "+strings.Join(d.GlobalAdmins, ", "))
	}
	if j := rep.Job; j != nil {
		lines = append(lines, "", progressBar(j.Moved, j.Total, t.c.Width-len(marker)-2),
			fmt.Sprintf("Moved %s (job %s); %s dropped.", words.Plural(int64(j.Moved), "user", "users"), j.ID, words.Plural(int64(j.Dropped), "grant", "grants")))
		if rep.Impact != nil && len(rep.Impact.LosingAccess) > 0 && j.Dropped > 0 {
			lines = append(lines, wrap("Lost access (forced): "+strings.Join(rep.Impact.LosingAccess, ", "), t.c.Width)...)
		}
		lines = append(lines, s.Muted.Render(fmt.Sprintf("%s is retired, read-only for 10 days.", t.domain)))
	} else if rep.Kind != model.External {
		lines = append(lines, "Users, grants and switches are kept.")
	}
	return append(lines, "", "enter returns to the directory list.")
}

// progressBar draws done of total in width cells, with the count.
func progressBar(done, total, width int) string {
	label := fmt.Sprintf(" %d / %d users", done, total)
	bar := min(60, max(10, width-len(label)-2))
	fill := 0
	if total > 0 {
		fill = min(bar, done*bar/total)
	}
	return "  " + strings.Repeat("█", fill) + strings.Repeat("░", bar-fill) + label
}

// wrap breaks text at spaces into lines of at most width cells.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && textWidth(line)+1+textWidth(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func (t *takeoverScreen) ShortHelp() []key.Binding {
	km := t.c.KeyMap
	if t.confirm {
		return []key.Binding{km.DropYes}
	}
	back := km.Back
	switch t.step {
	case stepKind, stepInto:
		return []key.Binding{km.Move, km.Next, back}
	case stepAdmin:
		return []key.Binding{km.Next, back}
	case stepChallenge:
		keys := []key.Binding{km.Next, km.Mode}
		if t.c.Publish != nil {
			keys = append(keys, km.Publish)
		}
		return append(keys, back)
	case stepCheck:
		return []key.Binding{km.Next, km.Retry, back}
	case stepImpact:
		if t.blocked() && !t.force {
			return []key.Binding{km.Force, back}
		}
		return []key.Binding{km.Next, back}
	case stepRun:
		if t.ran {
			return []key.Binding{km.Next}
		}
	}
	return nil
}

// helpVariant changes whenever ShortHelp may: the step and its state.
func (t *takeoverScreen) helpVariant() int {
	v := int(t.step) << 4
	for i, b := range []bool{t.confirm, t.ran, t.force, t.blocked(), t.busy} {
		if b {
			v |= 1 << i
		}
	}
	return v
}

func (t *takeoverScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{t.ShortHelp()}
}
