package tui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// openTakeoverMsg asks the root to open the takeover wizard on an
// unmanaged directory; takeoverDoneMsg to go back to the (reloaded)
// directory list when it is over.
type (
	openTakeoverMsg struct{ id string }
	takeoverDoneMsg struct{}
)

// stepper is a screen with steps of its own: esc goes back one step, and
// only leaves the screen from its first (stepBack false).
type stepper interface{ stepBack() bool }

// wizStep is where the takeover wizard is.
type wizStep int

const (
	stepKind      wizStep = iota // internal or external
	stepInto                     // external: which managed directory
	stepAdmin                    // act as
	stepChallenge                // the record to publish
	stepCheck                    // the DNS check
	stepImpact                   // external: the preview
	stepRun                      // the takeover itself
)

// The wizard's results, each tagged with the wizard and the attempt it
// answers, so a late answer to a step the admin left is dropped.
type (
	challengeMsg struct {
		w   *takeoverScreen
		seq int
		res ops.ChallengeResult
		err error
	}
	publishedMsg struct {
		w   *takeoverScreen
		seq int
		err error
	}
	checkedMsg struct {
		w   *takeoverScreen
		seq int
		rep ops.VerifyReport
		err error
	}
	takenOverMsg struct {
		w   *takeoverScreen
		rep ops.VerifyReport
		err error
	}
	batchMsg struct {
		w   *takeoverScreen
		job model.Job
	}
)

// takeoverScreen walks an admin through a domain takeover with the same
// operations as `domain challenge` and `domain verify`.
type takeoverScreen struct {
	c      Common
	sum    ops.DirectorySummary // the unmanaged directory
	domain string
	// inReach is false for a directory an admin opened with :claim:
	// then even its size is not shown before the takeover.
	inReach bool
	err     error // a read that failed or a refusal, shown on its step
	note    string

	step     wizStep
	external bool
	kindPos  int
	managed  []ops.DirectorySummary
	intoPos  int
	into     ops.DirectorySummary
	admin    textinput.Model
	mode     model.ChallengeMode
	ch       *ops.ChallengeResult
	seq      int
	busy     bool
	spin     spinner.Model
	check    *ops.VerifyReport // the dry run: the check and, external, the preview
	checkErr error
	force    bool
	confirm  bool
	result   *ops.VerifyReport
	runErr   error
	ran      bool
	job      model.Job
	batches  chan tea.Msg
}

func newTakeoverScreen(c Common, id string) *takeoverScreen {
	t := &takeoverScreen{c: c, mode: model.ModeTXT}
	t.sum, t.inReach, t.err = c.Ops.Claimable(id)
	if t.err == nil && len(t.sum.Domains) > 0 {
		t.domain = t.sum.Domains[0]
	}
	in := textinput.New()
	in.Prompt = "Admin address: "
	in.PromptStyle = c.Styles.JumpPrompt
	in.TextStyle = c.Styles.JumpText
	in.PlaceholderStyle = c.Styles.Muted
	in.Cursor.Style = c.Styles.JumpCursor
	in.Cursor.TextStyle = c.Styles.JumpText
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 254
	t.admin = in
	t.spin = spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(c.Styles.JumpPrompt))
	return t
}

func (t *takeoverScreen) Init() tea.Cmd { return nil }

func (t *takeoverScreen) Title() string { return "Take over " + t.domain }

func (t *takeoverScreen) Capturing() bool {
	return t.step == stepAdmin || t.confirm
}

func (t *takeoverScreen) SetSize(width, height int) {
	t.c.SetSize(width, height)
	t.admin.Width = max(10, width-len(t.admin.Prompt)-2)
}

// stepBack goes back one step; false on the first, which leaves.
func (t *takeoverScreen) stepBack() bool {
	if t.step == stepRun && (t.busy || t.ran) {
		return true // a takeover cannot be undone from here
	}
	t.seq++ // whatever is still running answers a step left behind
	t.busy, t.err, t.note, t.confirm = false, nil, "", false
	switch t.step {
	case stepKind:
		return false
	case stepInto:
		t.step = stepKind
	case stepAdmin:
		t.admin.Blur()
		t.step = t.beforeAdmin()
	case stepChallenge:
		if !t.c.Ops.Viewer().IsOperator() {
			t.step = t.beforeAdmin() // an admin was never asked who acts
			break
		}
		t.step = stepAdmin
		t.admin.Focus()
	case stepCheck:
		t.step = stepChallenge
	case stepImpact:
		t.step = stepCheck
	case stepRun:
		t.step = stepCheck
		if t.external {
			t.step = stepImpact
		}
	}
	return true
}

func (t *takeoverScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if t.sum.ID == "" {
			return nil
		}
		return t.key(msg)
	case spinner.TickMsg:
		if !t.busy {
			return nil
		}
		var cmd tea.Cmd
		t.spin, cmd = t.spin.Update(msg)
		return cmd
	case challengeMsg:
		if msg.w != t || msg.seq != t.seq {
			return nil
		}
		t.busy = false
		if msg.err != nil {
			t.err = msg.err
			return nil
		}
		t.ch = &msg.res
		return nil
	case publishedMsg:
		if msg.w != t || msg.seq != t.seq {
			return nil
		}
		t.busy = false
		if msg.err != nil {
			t.err = fmt.Errorf("publishing to the demo DNS failed: %w", msg.err)
			return nil
		}
		t.note = "Published to the demo DNS (standing in for the DNS provider). Press enter to check it."
		return nil
	case checkedMsg:
		if msg.w != t || msg.seq != t.seq {
			return nil
		}
		t.busy = false
		t.check, t.checkErr = &msg.rep, msg.err
		return nil
	case batchMsg:
		if msg.w != t {
			return nil
		}
		if t.busy {
			t.job = msg.job
		}
		return t.listen()
	case takenOverMsg:
		if msg.w != t {
			return nil
		}
		t.busy, t.ran = false, true
		t.result, t.runErr = &msg.rep, msg.err
		if msg.rep.Job != nil {
			t.job = *msg.rep.Job
		}
		if sum, _, err := t.c.Ops.Claimable(t.sum.ID); err == nil {
			t.sum = sum // its state now, for the header
		}
		return nil
	}
	return nil
}

func (t *takeoverScreen) key(k tea.KeyMsg) tea.Cmd {
	km := t.c.KeyMap
	if t.confirm {
		t.confirm = false
		if key.Matches(k, km.DropYes) {
			t.force = true
			t.note = fmt.Sprintf("Force armed: %s will be dropped. Press enter to take over.", words.Plural(int64(t.blockedGrants()), "grant", "grants"))
		} else {
			t.note = "Not forced."
		}
		return nil
	}
	if t.step == stepAdmin {
		switch {
		case key.Matches(k, km.Back):
			t.stepBack()
			return nil
		case key.Matches(k, km.Next):
			return t.toChallenge()
		}
		var cmd tea.Cmd
		t.admin, cmd = t.admin.Update(k)
		return cmd
	}
	if t.busy {
		return nil // one operation at a time; esc is the root's
	}
	switch t.step {
	case stepKind:
		switch {
		case key.Matches(k, km.Up), key.Matches(k, km.Down):
			t.kindPos = 1 - t.kindPos
		case key.Matches(k, km.Next):
			t.err = nil
			t.external = t.kindPos == 1
			if !t.external {
				return t.toAdmin(t.firstUser())
			}
			t.managed, t.err = t.c.Ops.Directories(model.Managed)
			t.intoPos = min(t.intoPos, max(0, len(t.managed)-1))
			t.step = stepInto
		}
	case stepInto:
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
	case stepChallenge:
		switch {
		case key.Matches(k, km.Mode):
			if t.mode == model.ModeTXT {
				t.mode = model.ModeMX
			} else {
				t.mode = model.ModeTXT
			}
			return t.issue()
		case key.Matches(k, km.Publish) && t.c.Publish != nil && t.record() != nil:
			return t.publish()
		case key.Matches(k, km.Next) && t.ch != nil:
			t.step, t.check, t.checkErr, t.note = stepCheck, nil, nil, ""
			return t.runCheck()
		case key.Matches(k, km.Retry) && t.ch == nil:
			return t.issue()
		}
	case stepCheck:
		switch {
		case key.Matches(k, km.Retry), key.Matches(k, km.Next) && (t.check == nil || t.checkErr != nil):
			return t.runCheck()
		case key.Matches(k, km.Next) && t.external:
			t.step, t.force, t.note = stepImpact, false, ""
		case key.Matches(k, km.Next):
			return t.run()
		}
	case stepImpact:
		switch {
		case key.Matches(k, km.Force) && t.blocked() && !t.force:
			t.confirm = true
		case key.Matches(k, km.Next) && t.blocked() && !t.force:
			t.note = "Blocked: press f to force, which drops the grants of " + strings.Join(t.check.Impact.Blocking, ", ") + "."
		case key.Matches(k, km.Next):
			return t.run()
		}
	case stepRun:
		if t.ran && key.Matches(k, km.Next) {
			return func() tea.Msg { return takeoverDoneMsg{} }
		}
	}
	return nil
}

// firstUser is the directory's first user in address order: someone who
// signed up with an address at the domain, as an internal takeover needs.
func (t *takeoverScreen) firstUser() string {
	us, err := t.c.Ops.Users(t.sum.ID, "", 1)
	if err != nil || len(us) == 0 {
		return ""
	}
	return us[0].Email
}

func (t *takeoverScreen) beforeAdmin() wizStep {
	if t.external {
		return stepInto
	}
	return stepKind
}

// toAdmin asks who acts, offering prefill; an admin signed in with their
// key acts as themselves, with nothing to ask.
func (t *takeoverScreen) toAdmin(prefill string) tea.Cmd {
	if !t.c.Ops.Viewer().IsOperator() {
		t.admin.SetValue(t.c.Ops.Viewer().Actor())
		return t.toChallenge()
	}
	t.step, t.err, t.note = stepAdmin, nil, ""
	t.admin.SetValue(prefill)
	t.admin.CursorEnd()
	return t.admin.Focus()
}

func (t *takeoverScreen) toChallenge() tea.Cmd {
	if strings.TrimSpace(t.admin.Value()) == "" {
		t.err = errors.New("type the admin's address")
		return nil
	}
	t.admin.Blur()
	t.step, t.err, t.note = stepChallenge, nil, ""
	return t.issue()
}

// into is the target directory's id for an external takeover.
func (t *takeoverScreen) target() string {
	if t.external {
		return t.into.ID
	}
	return ""
}

// issue asks for the challenge in the current mode (again after a mode
// change, which replaces the earlier one).
func (t *takeoverScreen) issue() tea.Cmd {
	t.seq++
	t.ch, t.err, t.note, t.busy = nil, nil, "", true
	c, seq, domain, admin, mode, into := t.c.Ops, t.seq, t.domain, strings.TrimSpace(t.admin.Value()), t.mode, t.target()
	return tea.Batch(t.spin.Tick, func() tea.Msg {
		res, err := c.Challenge(domain, admin, mode, into)
		return challengeMsg{w: t, seq: seq, res: res, err: err}
	})
}

func (t *takeoverScreen) record() *model.RecordSpec {
	if t.ch == nil || t.ch.Challenge == nil {
		return nil
	}
	r := t.ch.Challenge.Record()
	return &r
}

func (t *takeoverScreen) publish() tea.Cmd {
	t.seq++
	t.busy, t.err, t.note = true, nil, ""
	rec, seq, pub := *t.record(), t.seq, t.c.Publish
	return func() tea.Msg { return publishedMsg{w: t, seq: seq, err: pub(rec)} }
}

// runCheck checks DNS and previews without changing anything: Verify's
// dry run, which is exactly what the takeover will check again.
func (t *takeoverScreen) runCheck() tea.Cmd {
	t.seq++
	t.busy, t.check, t.checkErr, t.err, t.note = true, nil, nil, nil, ""
	c, ctx, seq, domain, admin := t.c.Ops, t.c.Context(), t.seq, t.domain, strings.TrimSpace(t.admin.Value())
	return tea.Batch(t.spin.Tick, func() tea.Msg {
		rep, err := c.Verify(ctx, domain, admin, ops.VerifyOptions{DryRun: true})
		return checkedMsg{w: t, seq: seq, rep: rep, err: err}
	})
}

// run takes over for real. Verify checks DNS again, previews again and
// acts; an external takeover reports each batch of users it moves on a
// channel that listen turns into messages. The channel holds only the
// latest batch: a progress bar needs no history, and the mover never
// waits for the screen.
func (t *takeoverScreen) run() tea.Cmd {
	t.step, t.busy, t.ran, t.err, t.note = stepRun, true, false, nil, ""
	t.job = model.Job{}
	ch := make(chan tea.Msg, 1)
	t.batches = ch
	c, ctx, domain, admin := t.c.Ops, t.c.Context(), t.domain, strings.TrimSpace(t.admin.Value())
	opt := ops.VerifyOptions{Force: t.force, OnBatch: func(j model.Job) {
		msg := batchMsg{w: t, job: j}
		select {
		case ch <- msg:
		default:
			select { // replace the unread batch with this later one
			case <-ch:
			default:
			}
			select {
			case ch <- msg:
			default:
			}
		}
	}}
	work := func() tea.Msg {
		rep, err := c.Verify(ctx, domain, admin, opt)
		close(ch)
		return takenOverMsg{w: t, rep: rep, err: err}
	}
	// The work goes first: a runner that runs commands in order must not
	// wait on the channel before anything can fill it.
	return tea.Batch(work, t.listen(), t.spin.Tick)
}

func (t *takeoverScreen) listen() tea.Cmd {
	ch := t.batches
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

func (t *takeoverScreen) blocked() bool {
	return t.check != nil && t.check.Impact != nil && len(t.check.Impact.Blocking) > 0
}

// blockedGrants counts the grants a forced takeover drops.
func (t *takeoverScreen) blockedGrants() int {
	if !t.blocked() {
		return 0
	}
	n := 0
	for _, s := range t.check.Impact.Services {
		if s.Policy == model.Block {
			n += s.Users
		}
	}
	return n
}
