package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

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
	// Static keeps the console from following others' changes (live.go):
	// for tests that run its commands one at a time, where waiting for
	// the next change would never return.
	Static bool
}

// app is the root model. It owns only what is global: the screen stack
// (the breadcrumbs), quitting, help, questions and the terminal size;
// every other key goes to the top screen.
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
	// cmd is the `:` command line.
	cmd commandLine
	// note is what the last command or action said (an error when
	// noteErr), shown in place of the help until the next key.
	note    string
	noteErr bool
	// ask is a yes/no question shown in place of the help; while it is
	// open y runs yes and any other key drops it.
	ask *question
	// resetting is true while the demo data is being restored: one
	// restore at a time.
	resetting bool
	// watcher brings what others change (live.go), unless static.
	watcher *ops.Watcher
	static  bool
}

type question struct {
	text string
	yes  func() tea.Cmd
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

// helpNoter is a screen whose full help explains more than keys (the
// directory list's abbreviated column titles).
type helpNoter interface{ helpNotes() []string }

// unsaved is a screen holding changes that leaving it would lose; what
// it returns names them ("" when there are none).
type unsaved interface{ unsavedChanges() string }

// openMsg asks the root to open a screen on top of the current one, or
// with replace in its place (a `:` command): every screen opens another
// this one way.
type openMsg struct {
	s       screen
	replace bool
}

// noteMsg asks the root to say text in place of the help until the next
// key: why a key or a `:` command did nothing. The help line wraps it,
// so it is never cut.
type noteMsg struct{ text string }

// saying is the command that says why a key did nothing.
func saying(why string) tea.Cmd { return func() tea.Msg { return noteMsg{why} } }

// opening is the command that opens s. s must not have read anything
// yet: it reads in its Init, which the root runs when it opens it.
func opening(s screen) tea.Cmd { return func() tea.Msg { return openMsg{s: s} } }

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
	a := &app{c: c, help: h, stack: []screen{newDirectoriesScreen(c)}, cmd: newCommandLine(c), static: opts.Static}
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
	cmds := []tea.Cmd{a.startWatching()}
	for _, s := range a.stack {
		cmds = append(cmds, s.Init())
	}
	return tea.Batch(cmds...)
}

func (a *app) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.c.SetSize(msg.Width, msg.Height)
		a.layout()
		return a, nil
	case tea.KeyMsg:
		cmd := a.key(msg)
		a.layout() // the help line may have changed with the key
		return a, cmd
	case openMsg:
		if msg.replace {
			return a, a.replaceTop(msg.s)
		}
		return a, a.push(msg.s)
	case changedMsg:
		return a, a.changed(msg.ch)
	case noteMsg:
		a.say(msg.text, true)
		a.layout()
		return a, nil
	case demoResetMsg:
		a.resetting = false
		if msg.err != nil {
			a.say("restoring the demo data failed: "+msg.err.Error(), true)
		} else {
			a.say("Demo data restored: every change since the demo started, and every record published to its DNS, is gone.", false)
		}
		return a, a.home()
	case takeoverDoneMsg:
		// The directory changed state (or was merged away).
		return a, a.home()
	case switchesSavedMsg:
		// Saved: back to where the switches were opened from; the
		// screens below reload what they show of them.
		if _, ok := a.top().(*switchesScreen); ok && len(a.stack) > 1 {
			a.stack = a.stack[:len(a.stack)-1]
			a.layout()
		}
	}
	// Anything else is a result some screen asked for; each screen
	// takes only its own messages.
	var cmds []tea.Cmd
	for _, s := range a.stack {
		cmds = append(cmds, s.Update(msg))
	}
	return a, tea.Batch(cmds...)
}

// key handles a key: the global ones here, every other one by the top
// screen.
func (a *app) key(msg tea.KeyMsg) tea.Cmd {
	km := a.c.KeyMap
	switch {
	case key.Matches(msg, km.Interrupt):
		return tea.Quit
	case a.ask != nil:
		q := a.ask
		a.ask = nil
		if key.Matches(msg, km.Yes) {
			return q.yes()
		}
		return nil
	case a.cmd.active():
		line, run, cmd := a.cmd.update(msg)
		if run {
			cmd = a.runCommand(line)
		}
		return cmd
	}
	a.note = ""
	if a.top().Capturing() {
		return a.top().Update(msg)
	}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
		return a.burst(msg)
	}
	switch {
	case key.Matches(msg, km.Command):
		a.fullHelp = false
		a.cmd.open()
	case key.Matches(msg, km.Quit):
		return a.leave(0, func() tea.Cmd { return tea.Quit })
	case key.Matches(msg, km.Reset) && a.c.Reset != nil && !a.resetting:
		a.ask = &question{
			text: "Restore the demo data? Every change made since the demo started is lost. y/n",
			yes:  a.reset,
		}
	case key.Matches(msg, km.Help):
		a.fullHelp = !a.fullHelp
	case key.Matches(msg, km.Back) && a.fullHelp:
		a.fullHelp = false
	case key.Matches(msg, km.Back) && len(a.stack) > 1:
		if b, ok := a.top().(stepper); ok && b.stepBack() {
			return nil
		}
		return a.leave(len(a.stack)-1, func() tea.Cmd {
			a.stack = a.stack[:len(a.stack)-1]
			return nil
		})
	default:
		return a.top().Update(msg)
	}
	return nil
}

// leave runs then, which closes the screens from stack[from] up, once
// the user agrees to lose what any of them holds unsaved.
func (a *app) leave(from int, then func() tea.Cmd) tea.Cmd {
	for _, s := range a.stack[from:] {
		if u, ok := s.(unsaved); ok && u.unsavedChanges() != "" {
			a.ask = &question{text: "Discard " + u.unsavedChanges() + "? y/n", yes: then}
			return nil
		}
	}
	return then()
}

// reset restores the demo data in the background.
func (a *app) reset() tea.Cmd {
	a.resetting = true
	a.say("Restoring the demo data…", false)
	reset := a.c.Reset
	return func() tea.Msg { return demoResetMsg{reset()} }
}

// home goes back to the directory list and reads it afresh.
func (a *app) home() tea.Cmd {
	a.stack = a.stack[:1]
	a.layout()
	return a.stack[0].Init()
}

// say shows text in place of the help until the next key.
func (a *app) say(text string, isErr bool) { a.note, a.noteErr = text, isErr }

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
	// Under a full help that covers it, the screen keeps the least it
	// is laid out for (see View).
	h := max(minBody, a.c.Height-1-lipgloss.Height(a.helpView()))
	if top == a.sized && a.sizedW == a.c.Width && a.sizedH == h {
		return
	}
	a.sized, a.sizedW, a.sizedH = top, a.c.Width, h
	top.SetSize(a.c.Width, h)
}

func (a *app) tooSmall() bool { return a.c.Width < MinWidth || a.c.Height < MinHeight }

func (a *app) helpView() string {
	// The command line, a question and a note take the help line's
	// place; they change with every key, so they are not cached.
	st := a.c.Styles
	switch {
	case a.cmd.active():
		return clip(a.cmd.view(), a.c.Width)
	case a.ask != nil:
		return wrapLines(st.Unverified.Render(a.ask.text), a.c.Width)
	case a.note != "" && a.noteErr:
		return wrapLines(st.Error.Render(a.note), a.c.Width)
	case a.note != "":
		return wrapLines(st.StatusBar.Render(a.note), a.c.Width)
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

// fullHelpGroups is the full help: the screen's keys, then the global
// ones, each key once (a screen may list esc itself).
func (a *app) fullHelpGroups() [][]key.Binding {
	km := a.c.KeyMap
	// The global keys join the screen's last column: a column of their
	// own would not fit in 80 columns.
	groups := slices.Clone(a.top().FullHelp())
	last := slices.Clone(groups[len(groups)-1])
	if len(a.stack) > 1 {
		last = append(last, km.Back)
	}
	if a.c.Reset != nil {
		last = append(last, km.Reset)
	}
	groups[len(groups)-1] = append(last, km.Command, km.Help, km.Quit)
	seen := map[string]bool{}
	for i, g := range groups {
		groups[i] = slices.DeleteFunc(slices.Clone(g), func(b key.Binding) bool {
			k := b.Help().Key
			dup := seen[k]
			seen[k] = true
			return dup
		})
	}
	return groups
}

// fullHelpView is the full help in the screen's columns or, where they
// are wider than the terminal (60 columns), the same keys reflowed into
// as many columns as fit.
func (a *app) fullHelpView() string {
	// Measured unbounded: at its width the help model cuts a column.
	width := a.help.Width
	a.help.Width = 0
	defer func() { a.help.Width = width }()
	groups := a.fullHelpGroups()
	s := a.help.FullHelpView(groups)
	var keys []key.Binding
	for _, g := range groups {
		for _, b := range g {
			if b.Enabled() {
				keys = append(keys, b)
			}
		}
	}
	for cols := len(groups) - 1; cols > 0 && lipgloss.Width(s) > a.c.Width; cols-- {
		rows := (len(keys) + cols - 1) / cols
		var flowed [][]key.Binding
		for i := 0; i < len(keys); i += rows {
			flowed = append(flowed, keys[i:min(i+rows, len(keys))])
		}
		s = a.help.FullHelpView(flowed)
	}
	return clipLines(s, a.c.Width)
}

func (a *app) renderHelp() string {
	top := a.top()
	km := a.c.KeyMap
	if a.fullHelp {
		full := a.fullHelpView()
		if n, ok := top.(helpNoter); ok {
			full += "\n"
			for _, l := range n.helpNotes() {
				full += "\n" + wrapLines(a.c.Styles.HelpDesc.Render(l), a.c.Width)
			}
		}
		// Taller than the terminal, the help covers the screen.
		return fitHeight(full, min(lipgloss.Height(full), a.c.Height-1))
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

// breadcrumbs are the stack's titles; too wide for the terminal, the
// oldest give way to "…" first, so the current screen's title is whole.
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
	who := ""
	if !a.c.Ops.Viewer().IsOperator() {
		who = s.Muted.Render("  · signed in as " + a.c.Ops.Viewer().Actor())
	}
	sep := s.CrumbSep.Render(" › ")
	crumbs := strings.Join(parts, sep) + who
	for i := 0; i < len(parts)-1 && lipgloss.Width(crumbs) > a.c.Width; i++ {
		crumbs = strings.Join(append([]string{s.Crumb.Render("…")}, parts[i+1:]...), sep) + who
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
	crumbs := clip(a.breadcrumbs(), a.c.Width)
	switch h := a.c.Height - 1 - lipgloss.Height(hv); {
	case h >= minBody:
		return crumbs + "\n" + fitHeight(a.top().View(), h) + "\n" + hv
	case h > 0:
		return crumbs + "\n" + fitHeight("", h) + "\n" + hv
	}
	return crumbs + "\n" + hv // the full help covers the screen
}

// minBody is the fewest lines a screen is drawn in; a full help that
// leaves fewer covers the screen.
const minBody = 3

// wrapLines wraps free text (which may hold styles) to width, breaking
// words only when one is longer than a line: a message is never cut.
func wrapLines(s string, width int) string { return ansi.Wrap(s, width, "") }

// demoResetMsg reports that the demo data was restored (or why not).
type demoResetMsg struct{ err error }
