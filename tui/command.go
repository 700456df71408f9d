package tui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
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
	in := textinput.New()
	in.Prompt = ":"
	in.Placeholder = "dir|claim DOMAIN · dirs · audit · outbox · services · q   (tab completes)"
	in.PromptStyle = c.Styles.JumpPrompt
	in.TextStyle = c.Styles.JumpText
	in.PlaceholderStyle = c.Styles.Muted
	in.Cursor.Style = c.Styles.JumpCursor
	in.Cursor.TextStyle = c.Styles.JumpText
	in.Cursor.SetMode(cursor.CursorStatic) // see newJumpInput
	in.CharLimit = 300                     // "dir " and the longest domain
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

// runCommand does what a `:` line asks. It returns an error line for the
// user when the command is unknown or its argument finds nothing.
func (a *app) runCommand(line string) (tea.Cmd, string) {
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
		return tea.Quit, ""
	case "dirs":
		a.stack = a.stack[:1]
		a.layout()
		return a.stack[0].Init(), "" // read afresh: other sessions change it
	case "audit":
		return a.open(newAuditScreen(a.c)), ""
	case "outbox":
		if !a.c.Ops.Viewer().IsOperator() {
			return nil, "the outbox is the operator's: it holds every user's sign-up codes"
		}
		return a.open(newOutboxScreen(a.c)), ""
	case "services":
		return a.open(newServicesScreen(a.c)), ""
	case "claim":
		return a.claim(args)
	case "dir":
		if len(args) != 1 {
			return nil, "usage: :dir DOMAIN-OR-ID"
		}
		d, err := a.c.Ops.Directory(args[0])
		if err != nil {
			return nil, err.Error() // it names what was looked for
		}
		return a.open(newDirectoryScreen(a.c, d.ID)), ""
	}
	n := len(commands) - 1
	return nil, fmt.Sprintf("unknown command %q: try %s or %s", name, strings.Join(commands[:n], ", "), commands[n])
}

// claim opens the takeover wizard for the unmanaged directory of a domain
// the viewer has not proven yet: how an admin starts an external takeover
// of a directory outside their reach. It says whether the domain has a
// directory that can be taken over, as `domain challenge` does; the
// directory's users stay hidden until the takeover is done.
func (a *app) claim(args []string) (tea.Cmd, string) {
	if len(args) != 1 {
		return nil, "usage: :claim DOMAIN"
	}
	domain, err := model.NormalizeDomain(args[0])
	if err != nil {
		return nil, err.Error()
	}
	d, _, err := a.c.Ops.Claimable(domain)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return nil, fmt.Sprintf("nobody has signed up from %s: there is no directory to take over", domain)
	case err != nil:
		return nil, err.Error()
	}
	if d.State != model.Unmanaged {
		return nil, fmt.Sprintf("%s is %s: only an unmanaged directory can be taken over", domain, d.State)
	}
	return a.open(newTakeoverScreen(a.c, d.ID)), ""
}

// open pushes s, unless the top already shows the same thing (":audit"
// twice), which it replaces so the screen is read afresh.
func (a *app) open(s screen) tea.Cmd {
	if top := a.top(); len(a.stack) > 1 && fmt.Sprintf("%T|%s", top, top.Title()) == fmt.Sprintf("%T|%s", s, s.Title()) {
		a.stack = a.stack[:len(a.stack)-1]
	}
	return a.push(s)
}
