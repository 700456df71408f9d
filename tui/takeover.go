package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/ops"
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
	// claimableMsg is the directory read when the wizard opens and
	// again after the takeover, for its header.
	claimableMsg struct {
		w       *takeoverScreen
		sum     ops.DirectorySummary
		inReach bool
		err     error
	}
	managedMsg struct {
		w    *takeoverScreen
		seq  int
		list []ops.DirectorySummary
		err  error
	}
	// prefillMsg offers an address for the Act as step.
	prefillMsg struct {
		w    *takeoverScreen
		seq  int
		addr string
	}
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
	id     string               // the directory asked for
	sum    ops.DirectorySummary // the unmanaged directory, once read
	domain string
	// inReach is false for a directory an admin opened with :claim:
	// then even its size is not shown before the takeover.
	inReach bool
	// err is the failure of the current step (a read, a refusal, a
	// check that found nothing), shown once, on its step, with advice;
	// redo repeats what failed (the r key).
	err  error
	redo func() tea.Cmd
	note string

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
	checks   int               // checks answered, so r visibly checks again
	force    bool
	confirm  bool
	result   *ops.VerifyReport
	ran      bool
	job      model.Job
	batches  chan tea.Msg
}

// newTakeoverScreen builds the wizard for directory id; it reads nothing
// until Init (issue 11 point 1: screens read in a command).
func newTakeoverScreen(c Common, id string) *takeoverScreen {
	t := &takeoverScreen{c: c, id: id, mode: model.ModeTXT, busy: true}
	t.admin = newTextInput(c, "Admin address: ", 254)
	t.spin = spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(c.Styles.JumpPrompt))
	return t
}

// Init reads the directory, once: the wizard keeps its place if the
// root asks again.
func (t *takeoverScreen) Init() tea.Cmd {
	if t.sum.ID != "" {
		return nil
	}
	t.redo, t.busy, t.err = t.Init, true, nil
	return t.readClaimable()
}

// readClaimable reads the directory: when the wizard opens, and after the
// takeover for the state it left the directory in.
func (t *takeoverScreen) readClaimable() tea.Cmd {
	c, id := t.c.Ops, t.id
	return func() tea.Msg {
		sum, inReach, err := c.Claimable(id)
		return claimableMsg{w: t, sum: sum, inReach: inReach, err: err}
	}
}

// Title is the crumb; the domain is on the screen's own first line, so a
// long one does not push the trail off the breadcrumbs.
func (t *takeoverScreen) Title() string { return "Take over" }

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
		return t.key(msg)
	case spinner.TickMsg:
		if !t.busy {
			return nil
		}
		var cmd tea.Cmd
		t.spin, cmd = t.spin.Update(msg)
		return cmd
	case claimableMsg:
		if msg.w != t {
			return nil
		}
		if t.sum.ID != "" {
			if msg.err == nil {
				t.sum = msg.sum // its state after the takeover, for the header
			}
			return nil
		}
		t.busy, t.sum, t.inReach, t.err = false, msg.sum, msg.inReach, msg.err
		if len(t.sum.Domains) > 0 {
			t.domain = t.sum.Domains[0]
		}
		return nil
	case managedMsg:
		if msg.w != t || msg.seq != t.seq {
			return nil
		}
		t.busy, t.managed, t.err = false, msg.list, msg.err
		t.intoPos = min(t.intoPos, max(0, len(t.managed)-1))
		return nil
	case prefillMsg:
		if msg.w != t || msg.seq != t.seq {
			return nil
		}
		t.busy = false
		return t.toAdmin(msg.addr)
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
		t.busy, t.checks = false, t.checks+1
		t.check, t.err = &msg.rep, msg.err
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
		t.result, t.err = &msg.rep, msg.err
		if msg.rep.Job != nil {
			t.job = *msg.rep.Job
		}
		return t.readClaimable()
	}
	return nil
}

// start begins an operation of the current step: a new attempt (a late
// answer to an earlier one is dropped), with the spinner going, and what
// r repeats should it fail.
func (t *takeoverScreen) start(redo func() tea.Cmd) int {
	t.seq++
	t.busy, t.err, t.note, t.redo = true, nil, "", redo
	return t.seq
}

// toKind leaves the Kind step for the chosen kind: external reads the
// managed directories to merge into; internal offers the directory's
// first user in address order (someone who signed up with an address at
// the domain, as an internal takeover needs) as the one who acts.
func (t *takeoverScreen) toKind() tea.Cmd {
	t.external = t.kindPos == 1
	if t.external {
		t.step = stepInto
		return t.readManaged()
	}
	if !t.c.Ops.Viewer().IsOperator() {
		return t.toAdmin("")
	}
	seq := t.start(t.toKind)
	c, id := t.c.Ops, t.sum.ID
	return func() tea.Msg {
		us, err := c.Users(id, "", 1)
		if err != nil || len(us) == 0 {
			return prefillMsg{w: t, seq: seq} // the operator types one
		}
		return prefillMsg{w: t, seq: seq, addr: us[0].Email}
	}
}

func (t *takeoverScreen) readManaged() tea.Cmd {
	seq := t.start(t.readManaged)
	c := t.c.Ops
	return func() tea.Msg {
		list, err := c.Directories(model.Managed)
		return managedMsg{w: t, seq: seq, list: list, err: err}
	}
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
		t.note = "Type the address of the admin who acts."
		return nil
	}
	t.admin.Blur()
	t.step = stepChallenge
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
// change, which replaces the earlier one; after expiry, a new one).
func (t *takeoverScreen) issue() tea.Cmd {
	t.ch = nil
	seq := t.start(t.issue)
	c, domain, admin, mode, into := t.c.Ops, t.domain, strings.TrimSpace(t.admin.Value()), t.mode, t.target()
	return tea.Batch(t.spin.Tick, func() tea.Msg {
		res, err := c.Challenge(domain, admin, mode, into)
		return challengeMsg{w: t, seq: seq, res: res, err: err}
	})
}

// reissue goes back to the Challenge step for a new challenge: the one
// checked expired, was replaced, or was never issued.
func (t *takeoverScreen) reissue() tea.Cmd {
	t.step, t.check, t.ran, t.force = stepChallenge, nil, false, false
	return t.issue()
}

func (t *takeoverScreen) record() *model.RecordSpec {
	if t.ch == nil || t.ch.Challenge == nil {
		return nil
	}
	r := t.ch.Challenge.Record()
	return &r
}

func (t *takeoverScreen) publish() tea.Cmd {
	seq := t.start(t.publish)
	rec, pub := *t.record(), t.c.Publish
	return tea.Batch(t.spin.Tick, func() tea.Msg { return publishedMsg{w: t, seq: seq, err: pub(rec)} })
}

// runCheck checks DNS and previews without changing anything: Verify's
// dry run, which is exactly what the takeover will check again. It
// starts on the Check step, also from a takeover that did not happen.
func (t *takeoverScreen) runCheck() tea.Cmd { return t.checkAfter(nil, t.runCheck) }

// publishAndCheck is p after a check that found nothing (the demo only):
// the record goes into the demo DNS, then the check runs again.
func (t *takeoverScreen) publishAndCheck() tea.Cmd {
	pub, rec := t.c.Publish, *t.record()
	return t.checkAfter(func() error {
		if err := pub(rec); err != nil {
			return fmt.Errorf("publishing to the demo DNS failed: %w", err)
		}
		return nil
	}, t.publishAndCheck)
}

func (t *takeoverScreen) checkAfter(first func() error, redo func() tea.Cmd) tea.Cmd {
	t.step, t.check, t.ran, t.force = stepCheck, nil, false, false
	seq := t.start(redo)
	c, ctx, domain, admin := t.c.Ops, t.c.Context(), t.domain, strings.TrimSpace(t.admin.Value())
	return tea.Batch(t.spin.Tick, func() tea.Msg {
		if first != nil {
			if err := first(); err != nil {
				return checkedMsg{w: t, seq: seq, err: err}
			}
		}
		rep, err := c.Verify(ctx, domain, admin, ops.VerifyOptions{DryRun: true})
		return checkedMsg{w: t, seq: seq, rep: rep, err: err}
	})
}

// run takes over for real. Verify checks DNS again, previews again and
// acts; an external takeover reports each batch of users it moves on a
// channel that listen turns into messages. The channel holds only the
// latest batch: a progress bar needs no history, and the mover never
// waits for the screen. Should it fail, r goes back to the check: the
// takeover is never repeated blind.
func (t *takeoverScreen) run() tea.Cmd {
	t.step, t.ran = stepRun, false
	t.start(t.runCheck)
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
