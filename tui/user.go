package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
)

// userScreen is one user: who it is, how it came to be, and, for a user
// merged in by an external takeover, what happened to each of its grants
// (the users-to-resources mappings).
type userScreen struct {
	c     Common
	dir   string // the directory's id
	email string
	read  bool
	user  model.User
	maps  []model.Mapping
	err   error
	// names are directory names by id: mappings name the old directory
	// by id, which means nothing to a person.
	names map[string]string
	// off is the first line shown of a page taller than the screen,
	// overflow whether it is.
	off      int
	overflow bool
}

// newUserScreen shows one user of directory dir; it reads nothing until
// its Init runs.
func newUserScreen(c Common, dir, email string) *userScreen {
	return &userScreen{c: c, dir: dir, email: email}
}

// userReadMsg is the read the screen to asked for.
type userReadMsg struct {
	to    *userScreen
	user  model.User
	maps  []model.Mapping
	names map[string]string
	err   error
}

func (u *userScreen) Init() tea.Cmd {
	c, dir, email := u.c, u.dir, u.email
	return func() tea.Msg {
		m := userReadMsg{to: u, names: map[string]string{}}
		addr, err := model.ParseAddress(email)
		if err != nil {
			m.err = err
			return m
		}
		if m.user, m.maps, m.err = c.Ops.User(dir, addr); m.err != nil {
			return m
		}
		for _, id := range append([]string{dir}, oldDirs(m.maps)...) {
			m.names[id] = id
			if d, err := c.Ops.Directory(id); err == nil {
				m.names[id] = d.Name
			}
		}
		return m
	}
}

// oldDirs are the directories the mappings name, each once.
func oldDirs(maps []model.Mapping) []string {
	var out []string
	for _, m := range maps {
		if m.OldDir != "" && !slices.Contains(out, m.OldDir) {
			out = append(out, m.OldDir)
		}
	}
	return out
}

func (u *userScreen) Update(msg tea.Msg) tea.Cmd {
	km := u.c.KeyMap
	switch m := msg.(type) {
	case userReadMsg:
		if m.to == u {
			u.read, u.user, u.maps, u.names, u.err = true, m.user, m.maps, m.names, m.err
			u.View()
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(m, km.PageDown), key.Matches(m, km.Down):
			u.off += max(1, u.c.Height/2)
		case key.Matches(m, km.PageUp), key.Matches(m, km.Up):
			u.off = max(0, u.off-max(1, u.c.Height/2))
		}
	}
	return nil
}

func (u *userScreen) Title() string   { return u.email }
func (u *userScreen) Capturing() bool { return false }
func (u *userScreen) SetSize(width, height int) {
	u.c.SetSize(width, height)
	u.View() // measures the page, so the help offers pgdn when it must
}

// ShortHelp offers pgdn/pgup only where the page is taller than the
// screen.
func (u *userScreen) ShortHelp() []key.Binding {
	km := u.c.KeyMap
	if u.overflow {
		return []key.Binding{km.PageDown, km.PageUp, km.Back}
	}
	return []key.Binding{km.Back}
}

func (u *userScreen) FullHelp() [][]key.Binding { return [][]key.Binding{u.ShortHelp()} }

// helpVariant changes when the page starts or stops overflowing.
func (u *userScreen) helpVariant() int { return boolInt(u.overflow) }

// mappingStatus is a mapping's status, explained where width allows.
func (u *userScreen) mappingStatus(st model.MappingStatus, width int) string {
	long := string(st)
	switch st {
	case model.Mapped:
		long = "mapped (keeps working)"
	case model.NeedsMigration:
		long = "needs-migration (admin action)"
	case model.Dropped:
		long = "dropped (access lost)"
	}
	if len(long) > width {
		return string(st)
	}
	return long
}

var mappingColumns = []column{
	{title: "SERVICE", min: 10},
	{title: "STATUS", min: len(model.NeedsMigration)},
	{title: "MERGED FROM", min: 12, drop: 1},
	{title: "OLD ID", min: 8, drop: 2},
}

// The new id is the user's Id above, the same for every mapping: no
// column. Where it is from comes before a status's explanation.
var mappingGrowth = []growStep{{2, 24}, {1, 30}, {0, 14}, {3, 18}}

func (u *userScreen) View() string {
	s := u.c.Styles
	switch {
	case u.err != nil:
		return clip(s.Error.Render(fmt.Sprintf("Cannot open %s: %v", u.email, u.err)), u.c.Width)
	case !u.read:
		return clip(s.Muted.Render("  Reading "+u.email+"…"), u.c.Width)
	}
	lines := u.lines()
	if len(lines) > u.c.Height {
		// Too tall (60x16): the blank lines go first, then it scrolls.
		lines = slices.DeleteFunc(lines, func(l string) bool { return l == "" })
	}
	u.overflow = len(lines) > u.c.Height
	u.off = max(0, min(u.off, len(lines)-u.c.Height))
	return fitHeight(strings.Join(lines[u.off:], "\n"), u.c.Height)
}

// lines is the whole page, wrapped to the width: nothing is cut.
func (u *userScreen) lines() []string {
	s := u.c.Styles
	x := u.user
	var lines []string
	add := func(l string) { lines = append(lines, strings.Split(wrapLines(l, u.c.Width), "\n")...) }
	field := func(label, value string) {
		const indent = 19
		v := strings.ReplaceAll(wrapLines(value, max(20, u.c.Width-indent)), "\n", "\n"+strings.Repeat(" ", indent))
		add(s.Label.Render(fmt.Sprintf("  %-17s", label)) + v)
	}
	none := s.Muted.Render("-")
	orNone := func(v string) string {
		if v == "" {
			return none
		}
		return v
	}
	add(s.Title.Render(x.Email) + s.Muted.Render("  in "+u.names[u.dir]))
	add("")
	field("Address", x.Email)
	field("Id", x.ID)
	field("Kind", string(x.Kind))
	field("Creation method", string(x.CreationMethod))
	field("Services", orNone(strings.Join(x.Grants, ", ")))
	field("Created (UTC)", x.CreatedAt.UTC().Format(timeLayout))
	field("Home user", orNone(x.HomeUser))
	if x.FormerID != "" {
		field("Former id", x.FormerID+s.Muted.Render(" (before it was merged in)"))
	}
	add("")
	if len(u.maps) == 0 {
		add(s.Muted.Render("No users-to-resources mappings: this user was not merged in by a takeover."))
		return lines
	}
	add(s.ColumnHeader.Render("USERS-TO-RESOURCES MAPPINGS") + s.Muted.Render(" (from the takeover that merged it in)"))
	w := plan(mappingColumns, mappingGrowth, u.c.Width-len(marker))
	lines = append(lines, header(mappingColumns, w, s.ColumnHeader))
	for _, m := range u.maps {
		status := styled(u.mappingStatus(m.Status, w[1]), s.Verified)
		switch m.Status {
		case model.NeedsMigration:
			status = styled(u.mappingStatus(m.Status, w[1]), s.Unverified)
		case model.Dropped:
			status = styled(u.mappingStatus(m.Status, w[1]), s.Flagged)
		}
		lines = append(lines, row(mappingColumns, w, []cell{plain(m.Service), status, plain(u.names[m.OldDir]), plain(m.OldUser)}, false, s.SelectedRow))
	}
	return lines
}
