package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key the console knows, with the help text shown for it.
// One map, so the help line and the handlers cannot disagree.
type KeyMap struct {
	// Move only stands for Up and Down in the short help line.
	Move     key.Binding
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
	Jump     key.Binding
	Open     key.Binding
	Back     key.Binding
	Filter   key.Binding
	// Switches opens a directory's switches and their decision table.
	Switches key.Binding
	// Command opens the `:` command line; Complete completes a command
	// name in it. Audit, Outbox and Services open those screens from the
	// directory list.
	Command key.Binding
	// Reset restores the demo data (only in the demo).
	Reset    key.Binding
	Complete key.Binding
	Audit    key.Binding
	Outbox   key.Binding
	Services key.Binding
	// Toggle flips the focused switch; Save asks to write the switches,
	// and Yes/No answer that question.
	Toggle key.Binding
	Save   key.Binding
	Yes    key.Binding
	No     key.Binding
	Help   key.Binding
	Quit   key.Binding
	// Interrupt quits even while an input has focus, where q types.
	Interrupt key.Binding
	// Accept and Cancel end the prefix input.
	Accept key.Binding
	Cancel key.Binding
	// Takeover opens the takeover wizard on an unmanaged directory; in
	// it, Next goes on, Mode switches TXT/MX, Publish puts the record
	// into the demo DNS, Retry checks again, Reissue replaces a challenge
	// that expired or no longer counts, and Force arms --force.
	Takeover key.Binding
	Next     key.Binding
	Mode     key.Binding
	Publish  key.Binding
	Retry    key.Binding
	Reissue  key.Binding
	Force    key.Binding
	DropYes  key.Binding
}

// DefaultKeyMap is the console's key map.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Move:      key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "move")),
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+f", " "), key.WithHelp("pgdn", "page down")),
		Home:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/home", "first")),
		End:       key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G/end", "last")),
		Jump:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "jump to prefix")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Filter:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "filter by state")),
		Switches:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "switches")),
		Command:   key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		Reset:     key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "restore demo data")),
		Complete:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
		Audit:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "audit log")),
		Outbox:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "outbox")),
		Services:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "services")),
		Toggle:    key.NewBinding(key.WithKeys(" ", "enter"), key.WithHelp("space/enter", "toggle")),
		Save:      key.NewBinding(key.WithKeys("ctrl+s", "w"), key.WithHelp("ctrl+s/w", "save")),
		Yes:       key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, save")),
		No:        key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c")),
		Accept:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Takeover:  key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "take over")),
		Next:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Mode:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "TXT/MX")),
		Publish:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "publish to demo DNS")),
		Retry:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again")),
		Reissue:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "new challenge")),
		Force:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "force")),
		DropYes:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, drop them")),
	}
}
