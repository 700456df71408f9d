package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/tui/words"
)

// A step's keys and its help sit side by side, one pair per step, so the
// help line offers exactly the keys the step handles (issue 11 point 8:
// no dead footer) and each step reads on its own (point 3).
type stepKeys struct {
	key  func(*takeoverScreen, tea.KeyMsg) tea.Cmd
	help func(*takeoverScreen) []key.Binding
}

var wizardKeys = [...]stepKeys{
	stepKind:      {(*takeoverScreen).keyKind, (*takeoverScreen).helpKind},
	stepInto:      {(*takeoverScreen).keyInto, (*takeoverScreen).helpInto},
	stepAdmin:     {(*takeoverScreen).keyAdmin, (*takeoverScreen).helpAdmin},
	stepChallenge: {(*takeoverScreen).keyChallenge, (*takeoverScreen).helpChallenge},
	stepCheck:     {(*takeoverScreen).keyCheck, (*takeoverScreen).helpCheck},
	stepImpact:    {(*takeoverScreen).keyImpact, (*takeoverScreen).helpImpact},
	stepRun:       {(*takeoverScreen).keyRun, (*takeoverScreen).helpRun},
}

func (t *takeoverScreen) key(k tea.KeyMsg) tea.Cmd {
	switch {
	case t.confirm:
		return t.keyConfirm(k)
	case t.step == stepAdmin:
		return t.keyAdmin(k) // typing, also while nothing runs
	case t.busy:
		return nil // one operation at a time; esc is the root's
	case t.err != nil:
		return t.keyMend(k)
	}
	return wizardKeys[t.step].key(t, k)
}

func (t *takeoverScreen) ShortHelp() []key.Binding {
	switch {
	case t.confirm:
		return []key.Binding{t.c.KeyMap.DropYes}
	case t.step == stepAdmin:
		return t.helpAdmin()
	case t.busy:
		return nil
	case t.err != nil:
		return t.helpMend()
	}
	return wizardKeys[t.step].help(t)
}

// back is esc on every step but the last: the root handles it through
// stepBack.
func (t *takeoverScreen) back() []key.Binding {
	if t.step == stepRun {
		return nil
	}
	return []key.Binding{t.c.KeyMap.Back}
}

// keyMend offers, after a failure, the keys its advice names: r does
// again what failed, p publishes the record and checks again, c issues a
// new challenge. The takeover done, enter still leaves.
func (t *takeoverScreen) keyMend(k tea.KeyMsg) tea.Cmd {
	km, can := t.c.KeyMap, advice(t.c, t.err).keys
	switch {
	case key.Matches(k, km.Retry) && can&retry != 0 && t.redo != nil:
		return t.redo()
	case key.Matches(k, km.Publish) && can&publish != 0 && t.record() != nil:
		return t.publishAndCheck()
	case key.Matches(k, km.Reissue) && can&reissue != 0 && t.sum.ID != "":
		return t.reissue()
	case key.Matches(k, km.Next) && t.ran:
		return done
	}
	return nil
}

func (t *takeoverScreen) helpMend() []key.Binding {
	km, can := t.c.KeyMap, advice(t.c, t.err).keys
	var keys []key.Binding
	if t.ran {
		keys = append(keys, leave(km))
	}
	if can&retry != 0 && t.redo != nil {
		r := km.Retry
		if t.step != stepCheck && t.step != stepRun {
			r.SetHelp("r", "try again")
		}
		keys = append(keys, r)
	}
	if can&publish != 0 && t.record() != nil {
		keys = append(keys, km.Publish)
	}
	if can&reissue != 0 && t.sum.ID != "" {
		keys = append(keys, km.Reissue)
	}
	return append(keys, t.back()...)
}

func done() tea.Msg { return takeoverDoneMsg{} }

// leave is enter once the takeover is over: back to the directory list.
func leave(km *KeyMap) key.Binding {
	b := km.Next
	b.SetHelp("enter", "directory list")
	return b
}

func (t *takeoverScreen) keyConfirm(k tea.KeyMsg) tea.Cmd {
	t.confirm = false
	if key.Matches(k, t.c.KeyMap.DropYes) {
		t.force = true
	} else {
		t.note = "Not forced."
	}
	return nil
}

func (t *takeoverScreen) keyKind(k tea.KeyMsg) tea.Cmd {
	km := t.c.KeyMap
	switch {
	case key.Matches(k, km.Up), key.Matches(k, km.Down):
		t.kindPos = 1 - t.kindPos
	case key.Matches(k, km.Next):
		return t.toKind()
	}
	return nil
}

func (t *takeoverScreen) helpKind() []key.Binding {
	return append([]key.Binding{t.c.KeyMap.Move, t.c.KeyMap.Next}, t.back()...)
}

func (t *takeoverScreen) keyInto(k tea.KeyMsg) tea.Cmd {
	km := t.c.KeyMap
	switch {
	case key.Matches(k, km.Up):
		t.intoPos = max(0, t.intoPos-1)
	case key.Matches(k, km.Down):
		t.intoPos = min(max(0, len(t.managed)-1), t.intoPos+1)
	case key.Matches(k, km.Next) && len(t.managed) > 0:
		t.into = t.managed[t.intoPos]
		admin := ""
		if len(t.into.GlobalAdmins) > 0 {
			admin = t.into.GlobalAdmins[0]
		}
		return t.toAdmin(admin)
	}
	return nil
}

func (t *takeoverScreen) helpInto() []key.Binding {
	if len(t.managed) == 0 {
		return t.back()
	}
	return append([]key.Binding{t.c.KeyMap.Move, t.c.KeyMap.Next}, t.back()...)
}

func (t *takeoverScreen) keyAdmin(k tea.KeyMsg) tea.Cmd {
	km := t.c.KeyMap
	switch {
	case key.Matches(k, km.Back):
		t.stepBack()
		return nil
	case key.Matches(k, km.Next):
		return t.toChallenge()
	}
	t.note = ""
	var cmd tea.Cmd
	t.admin, cmd = t.admin.Update(k)
	return cmd
}

func (t *takeoverScreen) helpAdmin() []key.Binding {
	return []key.Binding{t.c.KeyMap.Next, t.c.KeyMap.Back}
}

func (t *takeoverScreen) keyChallenge(k tea.KeyMsg) tea.Cmd {
	km := t.c.KeyMap
	switch {
	case t.ch == nil:
	case key.Matches(k, km.Mode):
		if t.mode == model.ModeTXT {
			t.mode = model.ModeMX
		} else {
			t.mode = model.ModeTXT
		}
		return t.issue()
	case key.Matches(k, km.Publish) && t.c.Publish != nil && t.record() != nil:
		return t.publish()
	case key.Matches(k, km.Next):
		return t.runCheck()
	}
	return nil
}

func (t *takeoverScreen) helpChallenge() []key.Binding {
	km := t.c.KeyMap
	if t.ch == nil {
		return t.back()
	}
	keys := []key.Binding{km.Next}
	if t.record() != nil {
		keys = append(keys, km.Mode)
		if t.c.Publish != nil {
			keys = append(keys, km.Publish)
		}
	}
	return append(keys, t.back()...)
}

// keyCheck is the Check step without a failure: a check that found the
// record (a failed one is keyMend's), or none run yet.
func (t *takeoverScreen) keyCheck(k tea.KeyMsg) tea.Cmd {
	km := t.c.KeyMap
	switch {
	case !key.Matches(k, km.Next):
	case t.check == nil:
		return t.runCheck()
	case t.external:
		t.step, t.force, t.note = stepImpact, false, ""
	default:
		return t.run()
	}
	return nil
}

func (t *takeoverScreen) helpCheck() []key.Binding {
	next := t.c.KeyMap.Next
	if t.check == nil {
		next.SetHelp("enter", "check")
	}
	return append([]key.Binding{next}, t.back()...)
}

func (t *takeoverScreen) keyImpact(k tea.KeyMsg) tea.Cmd {
	km := t.c.KeyMap
	switch {
	case t.blocked() && !t.force:
		if key.Matches(k, km.Force) {
			t.confirm, t.note = true, ""
		}
	case key.Matches(k, km.Next):
		return t.run()
	}
	return nil
}

func (t *takeoverScreen) helpImpact() []key.Binding {
	km := t.c.KeyMap
	if t.blocked() && !t.force {
		return append([]key.Binding{km.Force}, t.back()...)
	}
	next := km.Next
	next.SetHelp("enter", "take over")
	return append([]key.Binding{next}, t.back()...)
}

func (t *takeoverScreen) keyRun(k tea.KeyMsg) tea.Cmd {
	if t.ran && key.Matches(k, t.c.KeyMap.Next) {
		return done
	}
	return nil
}

func (t *takeoverScreen) helpRun() []key.Binding {
	if t.ran {
		return []key.Binding{leave(t.c.KeyMap)}
	}
	return nil
}

// confirmText is the force question, asked in the status line.
func (t *takeoverScreen) confirmText() string {
	return fmt.Sprintf("Type y to drop %s; any other key keeps them.", t.blockedText())
}

// blockedText names what a forced merge drops: "6 grants (powerbi)".
func (t *takeoverScreen) blockedText() string {
	return fmt.Sprintf("%s (%s)", words.Plural(int64(t.blockedGrants()), "grant", "grants"), strings.Join(t.check.Impact.Blocking, ", "))
}

// helpVariant changes whenever ShortHelp may: the step and its state.
func (t *takeoverScreen) helpVariant() int {
	v := int(t.step) << 16
	for i, b := range []bool{t.confirm, t.ran, t.force, t.blocked(), t.busy, t.err != nil, t.ch != nil, t.check != nil,
		t.record() != nil, len(t.managed) > 0, t.redo != nil, t.sum.ID != ""} {
		if b {
			v |= 1 << i
		}
	}
	if t.err != nil {
		v |= int(advice(t.c, t.err).keys) << 12
	}
	return v
}

func (t *takeoverScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{t.ShortHelp()}
}
