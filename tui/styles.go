package tui

import (
	"github.com/charmbracelet/lipgloss"

	"selfserve/model"
)

// Styles is every look the console uses, all built from one renderer so
// that each SSH session renders with its own terminal's colour profile.
// Colour only ever repeats what the text already says: states, switches
// and verification are written out, so the console reads without colour.
type Styles struct {
	Crumb        lipgloss.Style
	CrumbCurrent lipgloss.Style
	CrumbSep     lipgloss.Style

	TabActive   lipgloss.Style
	TabInactive lipgloss.Style

	ColumnHeader lipgloss.Style
	SelectedRow  lipgloss.Style

	Title lipgloss.Style
	Label lipgloss.Style
	Muted lipgloss.Style
	Error lipgloss.Style

	StateUnmanaged lipgloss.Style
	StateManaged   lipgloss.Style
	StateRetired   lipgloss.Style

	On  lipgloss.Style
	Off lipgloss.Style

	Verified   lipgloss.Style
	Unverified lipgloss.Style
	Flagged    lipgloss.Style

	StatusBar lipgloss.Style

	JumpPrompt lipgloss.Style
	JumpText   lipgloss.Style
	JumpCursor lipgloss.Style
	JumpMiss   lipgloss.Style

	HelpKey  lipgloss.Style
	HelpDesc lipgloss.Style
	HelpSep  lipgloss.Style

	TooSmall lipgloss.Style
}

// DefaultStyles builds the console's styles from r.
func DefaultStyles(r *lipgloss.Renderer) *Styles {
	color := func(light, dark string) lipgloss.TerminalColor {
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	var (
		accent = color("#5A56E0", "#7571F9")
		muted  = color("#8A8A8A", "#6C6C6C")
		green  = color("#1E8A3E", "#4FD17A")
		yellow = color("#A36A00", "#E5C07B")
		red    = color("#C0362C", "#FF6B6B")
		subtle = color("#E4E4F0", "#2E2C45")
	)
	s := r.NewStyle
	return &Styles{
		Crumb:        s().Foreground(muted),
		CrumbCurrent: s().Bold(true).Foreground(accent),
		CrumbSep:     s().Foreground(muted),

		TabActive:   s().Bold(true).Foreground(accent),
		TabInactive: s().Foreground(muted),

		ColumnHeader: s().Bold(true),
		SelectedRow:  s().Bold(true).Background(subtle),

		Title: s().Bold(true),
		Label: s().Foreground(muted),
		Muted: s().Foreground(muted),
		Error: s().Foreground(red),

		StateUnmanaged: s().Foreground(yellow),
		StateManaged:   s().Foreground(green),
		StateRetired:   s().Foreground(muted),

		On:  s().Foreground(green),
		Off: s().Foreground(red),

		Verified:   s().Foreground(green),
		Unverified: s().Foreground(yellow),
		Flagged:    s().Bold(true).Foreground(red),

		StatusBar: s().Foreground(muted),

		JumpPrompt: s().Foreground(accent),
		JumpText:   s(),
		JumpCursor: s().Reverse(true),
		JumpMiss:   s().Foreground(red),

		HelpKey:  s().Foreground(color("#4A4A4A", "#A8A8A8")),
		HelpDesc: s().Foreground(muted),
		HelpSep:  s().Foreground(color("#C8C8C8", "#4A4A4A")),

		TooSmall: s().Foreground(yellow),
	}
}

// State is the style of a directory state.
func (s *Styles) State(st model.State) lipgloss.Style {
	switch st {
	case model.Managed:
		return s.StateManaged
	case model.Retired:
		return s.StateRetired
	}
	return s.StateUnmanaged
}

// Switch is the style of a switch value.
func (s *Styles) Switch(on bool) lipgloss.Style {
	if on {
		return s.On
	}
	return s.Off
}
