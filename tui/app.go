package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"selfserve/model"
	"selfserve/ops"
)

// The smallest terminal the screens are laid out for; below it they say
// so rather than draw a broken table.
const (
	MinWidth  = 60
	MinHeight = 16
)

// Options configure a console session.
type Options struct {
	// Context ends the session's background work; nil is Background.
	Context context.Context
	// Directory, when set (an id or a domain), opens that directory
	// first, with the directory list behind it.
	Directory string
	// Input and Output are the terminal; nil means stdin and stdout.
	// Only Run uses them.
	Input  io.Reader
	Output io.Writer
	// Publish, set only in the demo, puts a challenge record into the
	// demo's DNS server, standing in for the admin's DNS provider.
	Publish func(model.RecordSpec) error
	// Reset, set only in the demo, restores the demo data (ctrl+r).
	Reset func() error
	// Viewer is who the session acts for: the operator (the zero
	// value) or an admin signed in over SSH, who sees only their world.
	Viewer ops.Viewer
}

// app is the root model. It owns only what is global: the screen stack
// (the breadcrumbs), quitting, help and the terminal size; every other
// key goes to the top screen.
type app struct {
	c        Common
	stack    []screen
	help     help.Model
	fullHelp bool
	// What the top screen was last sized to and the help last drawn,
	// so a key that changes neither costs no re-layout.
	sized      screen
	sizedW     int
	sizedH     int
	helpKey    helpKey
	helpCached string
	// cmd is the `:` command line; cmdErr is what the last command
	// said was wrong, shown in place of the help until the next key.
	cmd    commandLine
	cmdErr string
}

type helpKey struct {
	top       screen
	width     int
	full      bool
	capturing bool
	variant   int
}

// helpVarier is a screen whose help changes with more than capturing
// (the takeover wizard's steps): variant names the help now shown.
type helpVarier interface{ helpVariant() int }

// New returns the console's root model over oc, styled by r. Takeovers
// check DNS with oc.DNS: the operator's configuration, or in the demo the
// demo's own DNS server.
func New(oc *ops.Console, r *lipgloss.Renderer, opts Options) tea.Model {
	c := NewCommon(opts.Context, oc.As(opts.Viewer), r)
	c.Publish, c.Reset = opts.Publish, opts.Reset
	if !opts.Viewer.IsOperator() {
		// The outbox holds everyone's sign-up codes.
		c.KeyMap.Outbox.SetEnabled(false)
	}
	h := help.New()
	h.Styles = help.Styles{
		ShortKey: c.Styles.HelpKey, ShortDesc: c.Styles.HelpDesc, ShortSeparator: c.Styles.HelpSep,
		FullKey: c.Styles.HelpKey, FullDesc: c.Styles.HelpDesc, FullSeparator: c.Styles.HelpSep,
		Ellipsis: c.Styles.HelpSep,
	}
	a := &app{c: c, help: h, stack: []screen{newDirectoriesScreen(c)}, cmd: newCommandLine(c)}
	if opts.Directory != "" {
		a.stack = append(a.stack, newDirectoryScreen(c, opts.Directory))
	}
	return a
}

// Run runs the console full-screen until the user quits or ctx ends.
func Run(ctx context.Context, oc *ops.Console, opts Options) error {
	in, out := opts.Input, opts.Output
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	opts.Context = ctx
	r := lipgloss.NewRenderer(out)
	// Ask the terminal for its background now: asked later, from the
	// first adaptive colour, the query would race Bubble Tea for the
	// terminal's input and could swallow the first keys.
	r.HasDarkBackground()
	m := New(oc, r, opts)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen(), tea.WithInput(in), tea.WithOutput(out))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		// The caller ended the session (a signal, a closed SSH
		// connection): not a failure of the console.
		return nil
	}
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// push opens s on top of the stack.
func (a *app) push(s screen) tea.Cmd {
	a.stack = append(a.stack, s)
	a.layout()
	return s.Init()
}

func (a *app) top() screen { return a.stack[len(a.stack)-1] }

func (a *app) Init() tea.Cmd {
	cmds := make([]tea.Cmd, len(a.stack))
	for i, s := range a.stack {
		cmds[i] = s.Init()
	}
	return tea.Batch(cmds...)
}

func (a *app) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := a.c.KeyMap
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.c.SetSize(msg.Width, msg.Height)
		a.layout()
		return a, nil
	case tea.KeyMsg:
		if key.Matches(msg, km.Interrupt) {
			return a, tea.Quit
		}
		if a.cmd.active() {
			line, run, cmd := a.cmd.update(msg)
			if run {
				cmd, a.cmdErr = a.runCommand(line)
			}
			a.layout()
			return a, cmd
		}
		if a.cmdErr != "" {
			a.cmdErr = ""
			a.layout()
		}
		if a.top().Capturing() {
			cmd := a.top().Update(msg)
			a.layout() // the help line changed with the input
			return a, cmd
		}
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
			return a, a.burst(msg)
		}
		switch {
		case key.Matches(msg, km.Command):
			a.fullHelp = false
			a.cmd.open()
			a.layout()
			return a, nil
		case key.Matches(msg, km.Quit):
			return a, tea.Quit
		case key.Matches(msg, km.Reset) && a.c.Reset != nil:
			reset := a.c.Reset
			return a, func() tea.Msg { return demoResetMsg{reset()} }
		case key.Matches(msg, km.Help):
			a.fullHelp = !a.fullHelp
			a.layout()
			return a, nil
		case key.Matches(msg, km.Back) && a.fullHelp:
			a.fullHelp = false
			a.layout()
			return a, nil
		case key.Matches(msg, km.Back) && len(a.stack) > 1:
			if b, ok := a.top().(stepper); ok && b.stepBack() {
				a.layout()
				return a, nil
			}
			a.stack = a.stack[:len(a.stack)-1]
			a.layout()
			return a, nil
		}
		cmd := a.top().Update(msg)
		a.layout()
		return a, cmd
	case openDirectoryMsg:
		return a, a.push(newDirectoryScreen(a.c, msg.id))
	case openSwitchesMsg:
		return a, a.push(newSwitchesScreen(a.c, msg.id))
	case openUserMsg:
		return a, a.push(newUserScreen(a.c, msg.dir, msg.email))
	case openAuditMsg:
		return a, a.open(newAuditScreen(a.c))
	case openOutboxMsg:
		return a, a.open(newOutboxScreen(a.c))
	case openServicesMsg:
		return a, a.open(newServicesScreen(a.c))
	case openTakeoverMsg:
		return a, a.push(newTakeoverScreen(a.c, msg.id))
	case demoResetMsg:
		// Fresh data: back to the directory list, read again.
		if msg.err != nil {
			a.cmdErr = "restoring the demo data failed: " + msg.err.Error()
		}
		a.stack = a.stack[:1]
		a.layout()
		return a, a.stack[0].Init()
	case takeoverDoneMsg:
		// Back to the directory list, read again: the directory changed
		// state (or was merged away).
		a.stack = a.stack[:1]
		a.layout()
		return a, a.stack[0].Init()
	case openMailMsg:
		return a, a.push(newMailScreen(a.c, msg.m))
	case openAuditEntryMsg:
		return a, a.push(newAuditEntryScreen(a.c, msg.e))
	case switchesSavedMsg:
		// Saved: back to where the switches were opened from; the
		// screens below reload what they show of them.
		if _, ok := a.top().(*switchesScreen); ok && len(a.stack) > 1 {
			a.stack = a.stack[:len(a.stack)-1]
		}
		var cmds []tea.Cmd
		for _, s := range a.stack {
			cmds = append(cmds, s.Update(msg))
		}
		a.layout()
		return a, tea.Batch(cmds...)
	}
	// Anything else is a result some screen asked for; each screen
	// takes only its own messages.
	var cmds []tea.Cmd
	for _, s := range a.stack {
		cmds = append(cmds, s.Update(msg))
	}
	return a, tea.Batch(cmds...)
}

// burst handles runes that arrived in one read (a held key repeating,
// fast typing, tmux send-keys), which Bubble Tea delivers as one key:
// each rune is a key of its own, so "jjj" moves three rows and "/bel"
// opens the prefix input and types "bel" into it. A paste is text, not
// commands: outside an input it is ignored (pasting a "q" must not quit).
func (a *app) burst(msg tea.KeyMsg) tea.Cmd {
	if msg.Paste {
		return nil
	}
	var cmds []tea.Cmd
	for _, r := range msg.Runes {
		_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// layout gives the top screen the space between the breadcrumbs and the
// help. Only the top screen is sized: the ones below are resized when
// they come back on top.
func (a *app) layout() {
	if a.tooSmall() {
		return
	}
	a.help.Width = a.c.Width
	top := a.top()
	h := a.c.Height - 1 - lipgloss.Height(a.helpView())
	if top == a.sized && a.sizedW == a.c.Width && a.sizedH == h {
		return
	}
	a.sized, a.sizedW, a.sizedH = top, a.c.Width, h
	top.SetSize(a.c.Width, h)
}

func (a *app) tooSmall() bool { return a.c.Width < MinWidth || a.c.Height < MinHeight }

func (a *app) helpView() string {
	// The command line and its error take the help line's place; they
	// change with every key, so they are not cached.
	switch {
	case a.cmd.active():
		return clip(a.cmd.view(), a.c.Width)
	case a.cmdErr != "":
		return clip(a.c.Styles.Error.Render(a.cmdErr), a.c.Width)
	}
	k := helpKey{top: a.top(), width: a.c.Width, full: a.fullHelp, capturing: a.top().Capturing()}
	if v, ok := a.top().(helpVarier); ok {
		k.variant = v.helpVariant()
	}
	if k != a.helpKey || a.helpCached == "" {
		a.helpKey, a.helpCached = k, a.renderHelp()
	}
	return a.helpCached
}

func (a *app) renderHelp() string {
	top := a.top()
	km := a.c.KeyMap
	if a.fullHelp {
		// The global keys join the screen's last column: a column of
		// their own would not fit in 80 columns.
		groups := top.FullHelp()
		last := append([]key.Binding(nil), groups[len(groups)-1]...)
		if len(a.stack) > 1 {
			last = append(last, km.Back)
		}
		groups[len(groups)-1] = append(last, km.Command, km.Help, km.Quit)
		return clipLines(a.help.FullHelpView(groups), a.c.Width)
	}
	// The screen's keys give way, last first, so that help and quit
	// are always shown. Measured unbounded: at its width the help model
	// cuts the line with an ellipsis, which would always "fit".
	width := a.help.Width
	a.help.Width = 0
	defer func() { a.help.Width = width }()
	// The `:` hint gives way before any of them: the screen's own keys
	// are what its user needs, and ? lists the command line anyway.
	own := top.ShortHelp()
	var global, cmdGlobal []key.Binding
	if !top.Capturing() {
		global = []key.Binding{km.Help, km.Quit}
		cmdGlobal = []key.Binding{km.Command, km.Help, km.Quit}
	}
	fits := func(s string) bool { return lipgloss.Width(s) <= a.c.Width }
	if s := a.help.ShortHelpView(append(own[:len(own):len(own)], cmdGlobal...)); fits(s) {
		return s
	}
	for n := len(own); n > 0; n-- {
		if s := a.help.ShortHelpView(append(own[:n:n], global...)); fits(s) {
			return s
		}
	}
	return a.help.ShortHelpView(global)
}

func (a *app) breadcrumbs() string {
	s := a.c.Styles
	parts := make([]string, len(a.stack))
	for i, sc := range a.stack {
		if i == len(a.stack)-1 {
			parts[i] = s.CrumbCurrent.Render(sc.Title())
		} else {
			parts[i] = s.Crumb.Render(sc.Title())
		}
	}
	crumbs := strings.Join(parts, s.CrumbSep.Render(" › "))
	if !a.c.Ops.Viewer().IsOperator() {
		crumbs += s.Muted.Render("  · signed in as " + a.c.Ops.Viewer().Actor())
	}
	return crumbs
}

func (a *app) View() string {
	if a.c.Width == 0 || a.c.Height == 0 {
		return "" // no size yet: the first WindowSizeMsg is on its way
	}
	if a.tooSmall() {
		msg := fmt.Sprintf("This window is %dx%d.\nselfserve needs at least %dx%d:\nenlarge it, or press q to quit.",
			a.c.Width, a.c.Height, MinWidth, MinHeight)
		return a.c.Renderer.Place(a.c.Width, a.c.Height, lipgloss.Center, lipgloss.Center,
			a.c.Styles.TooSmall.Render(msg))
	}
	hv := a.helpView()
	body := fitHeight(a.top().View(), a.c.Height-1-lipgloss.Height(hv))
	return clip(a.breadcrumbs(), a.c.Width) + "\n" + body + "\n" + hv
}

// demoResetMsg reports that the demo data was restored (or why not).
type demoResetMsg struct{ err error }
