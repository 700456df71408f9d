// Package tui is selfserve's terminal console: the operator browses every
// directory and its users; each screen reads Badger a page at a time, so a
// directory of a million users moves as fast as one of ten.
package tui

import (
	"context"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"selfserve/model"
	"selfserve/ops"
)

// Common is what every screen shares: one value per session, so a later
// SSH server can give each visitor their own renderer (colour profile),
// size and console without any global state.
type Common struct {
	ctx      context.Context
	Width    int
	Height   int
	Styles   *Styles
	KeyMap   *KeyMap
	Renderer *lipgloss.Renderer
	// Ops is the console's only way to the data (soft-serve's backend),
	// as the session's viewer: every read is filtered for them and every
	// change is audited under their name.
	Ops *ops.Session
	// Publish (the demo only) puts a challenge record into the demo's
	// DNS server.
	Publish func(model.RecordSpec) error
	// Reset (the demo only) restores the demo data.
	Reset func() error
}

// NewCommon builds the shared value; every style comes from r.
func NewCommon(ctx context.Context, oc *ops.Session, r *lipgloss.Renderer) Common {
	if ctx == nil {
		ctx = context.Background()
	}
	return Common{ctx: ctx, Styles: DefaultStyles(r), KeyMap: DefaultKeyMap(), Renderer: r, Ops: oc}
}

// Context ends with the session (the program's context).
func (c Common) Context() context.Context { return c.ctx }

// The largest screen the console draws: a client may ask for any size (an
// SSH PTY of 65535×65535 made one keystroke render 135 MB), and beyond
// this a bigger terminal just shows the console in its top-left corner.
const (
	maxWidth  = 500
	maxHeight = 200
)

// SetSize records the space a component may draw in.
func (c *Common) SetSize(width, height int) {
	c.Width, c.Height = min(width, maxWidth), min(height, maxHeight)
}

// screen is one page of the console. Screens are pointers updated in
// place: the root routes keys to the top screen only, so no screen needs
// to know about another.
type screen interface {
	help.KeyMap
	Init() tea.Cmd
	Update(tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
	// Title is the screen's crumb in the breadcrumb trail.
	Title() string
	// Capturing is true while a text input has focus: then every key
	// (q, ?, esc) belongs to the screen, not to the root.
	Capturing() bool
}
