package tui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
)

// commands are the names the `:` line knows, in the order the error
// line lists them (k9s' command mode).
var commands = []string{"dir", "claim", "dirs", "audit", "outbox", "services", "q"}

// commandLine is the one-line `:` input the root shows in place of the
// help line. While it is open every key but ctrl+c types into it.
type commandLine struct {
	c     Common
	input textinput.Model
}

func newCommandLine(c Common) commandLine {
	in := newTextInput(c, ":", 300) // "claim " and the longest domain
	in.Placeholder = "dir|claim DOMAIN · dirs · audit · outbox · services · q   (tab completes)"
	return commandLine{c: c, input: in}
}

func (l *commandLine) active() bool { return l.input.Focused() }

func (l *commandLine) open() {
	l.input.Reset()
	l.input.Focus()
}

func (l *commandLine) close() {
	l.input.Blur()
	l.input.Reset()
}

// update types k into the line; on enter it returns what was typed and
// run; on esc the line closes.
func (l *commandLine) update(k tea.KeyMsg) (line string, run bool, cmd tea.Cmd) {
	km := l.c.KeyMap
	switch {
	case key.Matches(k, km.Accept):
		line = l.input.Value()
		l.close()
		return line, true, nil
	case key.Matches(k, km.Cancel):
		l.close()
		return "", false, nil
	case key.Matches(k, km.Complete):
		l.complete()
		return "", false, nil
	}
	l.input, cmd = l.input.Update(k)
	return "", false, cmd
}

// complete extends the command name typed so far: to the whole name when
// only one starts with it, else to what all the candidates share.
func (l *commandLine) complete() {
	v := strings.TrimLeft(l.input.Value(), " ")
	if strings.Contains(v, " ") {
		return // past the name
	}
	var match []string
	for _, c := range commands {
		if strings.HasPrefix(c, v) {
			match = append(match, c)
		}
	}
	if len(match) == 0 {
		return
	}
	common := match[0]
	for _, m := range match[1:] {
		for !strings.HasPrefix(m, common) {
			common = common[:len(common)-1]
		}
	}
	if len(match) == 1 && common == "dir" {
		common += " "
	}
	l.input.SetValue(common)
	l.input.CursorEnd()
}

func (l *commandLine) view() string { return l.input.View() }

// runCommand does what a `:` line asks. A command that opens a screen
// opens it in place of the top one (k9s' command mode), so the
// breadcrumbs say where you are rather than every command typed; the
// directory list stays at the bottom. What went wrong is said in place
// of the help.
func (a *app) runCommand(line string) tea.Cmd {
	cmd, problem := a.command(line)
	if problem != "" {
		a.say(problem, true)
	}
	return cmd
}

func (a *app) command(line string) (tea.Cmd, string) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil, ""
	}
	name, args := fields[0], fields[1:]
	if name != "dir" && name != "claim" && len(args) > 0 {
		return nil, fmt.Sprintf(":%s takes no argument", name)
	}
	switch name {
	case "q", "quit":
		return a.leave(0, func() tea.Cmd { return tea.Quit }), ""
	case "dirs":
		return a.leave(1, a.home), ""
	case "audit":
		return a.replaceTop(newAuditScreen(a.c)), ""
	case "outbox":
		if !a.c.Ops.Viewer().IsOperator() {
			return nil, "the outbox is the operator's: it holds every user's sign-up codes"
		}
		return a.replaceTop(newOutboxScreen(a.c)), ""
	case "services":
		return a.replaceTop(newServicesScreen(a.c)), ""
	case "claim":
		if len(args) != 1 {
			return nil, "usage: :claim DOMAIN"
		}
		c := a.c
		return func() tea.Msg { return claim(c, args[0]) }, ""
	case "dir":
		if len(args) != 1 {
			return nil, "usage: :dir DOMAIN-OR-ID"
		}
		c := a.c
		return func() tea.Msg { return findDirectory(c, args[0]) }, ""
	}
	n := len(commands) - 1
	return nil, fmt.Sprintf("unknown command %q: try %s or %s", name, strings.Join(commands[:n], ", "), commands[n])
}

// findDirectory looks up the directory `:dir ref` names and opens it in
// place of the top screen, or says in the console's words (not the
// store's) why it cannot.
func findDirectory(c Common, ref string) tea.Msg {
	d, err := c.Ops.Directory(ref)
	switch {
	case errors.Is(err, model.ErrForbidden):
		// An admin: the same words whether it exists or not.
		return noteMsg{fmt.Sprintf("none of the directories you administer or can take over has the domain or id %q: :dirs lists yours", ref)}
	case errors.Is(err, model.ErrNotFound):
		return noteMsg{fmt.Sprintf("no directory has the domain or id %q: :dirs lists them", ref)}
	case err != nil:
		return noteMsg{err.Error()}
	}
	return openMsg{s: newDirectoryScreen(c, d.ID), replace: true}
}

// claim opens the takeover wizard for the unmanaged directory of a domain
// the viewer has not proven yet: how an admin starts an external takeover
// of a directory outside their reach. It says whether the domain has a
// directory that can be taken over, as `domain challenge` does; the
// directory's users stay hidden until the takeover is done.
func claim(c Common, arg string) tea.Msg {
	domain, err := model.NormalizeDomain(arg)
	if err != nil {
		return noteMsg{err.Error()}
	}
	d, _, err := c.Ops.Claimable(domain)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return noteMsg{fmt.Sprintf("nobody has signed up from %s: there is no directory to take over", domain)}
	case err != nil:
		return noteMsg{err.Error()}
	}
	if d.State != model.Unmanaged {
		return noteMsg{fmt.Sprintf("%s is %s: only an unmanaged directory can be taken over", domain, d.State)}
	}
	return openMsg{s: newTakeoverScreen(c, d.ID), replace: true}
}

// replaceTop opens s in place of the top screen, or on top of the
// directory list, once the user agrees to lose any unsaved changes.
func (a *app) replaceTop(s screen) tea.Cmd {
	from := max(1, len(a.stack)-1)
	return a.leave(from, func() tea.Cmd {
		a.stack = a.stack[:from]
		return a.push(s)
	})
}
