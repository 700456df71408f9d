package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// jumpInput is the `/` prefix input both lists share. It jumps as you
// type (a phone book, not a filter): the list stays whole and the cursor
// lands on the first row starting with the prefix, which a store seek
// finds without reading the rows before it.
type jumpInput struct {
	c     Common
	input textinput.Model
	noun  string // what the prefix names: "domain", "address"
	miss  bool   // nothing starts with the prefix; the cursor did not move
}

// jumpEvent says what a key did to the input.
type jumpEvent int

const (
	jumpNone    jumpEvent = iota
	jumpChanged           // the prefix changed: jump to it
	jumpAccept            // enter: stay where the jump landed
	jumpCancel            // esc: go back to where the jump started
)

func newJumpInput(c Common, noun string) jumpInput {
	in := newTextInput(c, "Jump to "+noun+": ", 254) // the longest address (RFC 5321)
	in.Placeholder = "type its first letters"
	in.CompletionStyle = c.Styles.Muted
	return jumpInput{c: c, input: in, noun: noun}
}

// newTextInput is the one look of every line the console types into
// (the prefix jump, the : command line, the wizard's admin address).
func newTextInput(c Common, prompt string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.PromptStyle = c.Styles.JumpPrompt
	in.TextStyle = c.Styles.JumpText
	in.PlaceholderStyle = c.Styles.Muted
	in.Cursor.Style = c.Styles.JumpCursor
	in.Cursor.TextStyle = c.Styles.JumpText
	// A blinking cursor would wake the program twice a second for
	// nothing, and keep an idle SSH session alive.
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = limit
	return in
}

func (j *jumpInput) active() bool { return j.input.Focused() }

// prefix is what was typed, lower-cased: domains and address keys are
// stored lower-case.
func (j *jumpInput) prefix() string { return strings.ToLower(strings.TrimSpace(j.input.Value())) }

func (j *jumpInput) open() {
	j.input.Reset()
	j.miss = false
	j.input.Focus()
}

func (j *jumpInput) close() {
	j.input.Blur()
	j.input.Reset()
	j.miss = false
}

func (j *jumpInput) update(msg tea.KeyMsg) (jumpEvent, tea.Cmd) {
	switch {
	case key.Matches(msg, j.c.KeyMap.Accept):
		j.close()
		return jumpAccept, nil
	case key.Matches(msg, j.c.KeyMap.Cancel):
		j.close()
		return jumpCancel, nil
	}
	before := j.input.Value()
	var cmd tea.Cmd
	j.input, cmd = j.input.Update(msg)
	if j.input.Value() != before {
		return jumpChanged, cmd
	}
	return jumpNone, cmd
}

// view is the input line; a miss says so in words.
func (j *jumpInput) view() string {
	s := j.input.View()
	if j.miss {
		s += "  " + j.c.Styles.JumpMiss.Render(fmt.Sprintf("no %s starts with %q", j.noun, j.prefix()))
	}
	return s
}

func (j *jumpInput) help() []key.Binding {
	return []key.Binding{j.c.KeyMap.Accept, j.c.KeyMap.Cancel}
}
