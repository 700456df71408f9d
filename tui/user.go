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
	if m, ok := msg.(userReadMsg); ok && m.to == u {
		u.read, u.user, u.maps, u.names, u.err = true, m.user, m.maps, m.names, m.err
	}
	return nil
}

func (u *userScreen) Title() string             { return u.email }
func (u *userScreen) Capturing() bool           { return false }
func (u *userScreen) SetSize(width, height int) { u.c.SetSize(width, height) }
func (u *userScreen) ShortHelp() []key.Binding  { return []key.Binding{u.c.KeyMap.Back} }
func (u *userScreen) FullHelp() [][]key.Binding { return [][]key.Binding{{u.c.KeyMap.Back}} }
func (u *userScreen) mappingStatus(st model.MappingStatus) string {
	switch st {
	case model.Mapped:
		return "mapped (keeps working)"
	case model.NeedsMigration:
		return "needs-migration (admin action)"
	case model.Dropped:
		return "dropped (access lost)"
	}
	return string(st)
}

var mappingColumns = []column{
	{title: "SERVICE", min: 10},
	{title: "STATUS", min: 15},
	{title: "MERGED FROM", min: 12, drop: 1},
	{title: "OLD ID", min: 8, drop: 2},
}

// The new id is the user's Id above, the same for every mapping: no column.
var mappingGrowth = []growStep{{1, 30}, {2, 24}, {0, 14}, {3, 18}}

func (u *userScreen) View() string {
	s := u.c.Styles
	switch {
	case u.err != nil:
		return clip(s.Error.Render(fmt.Sprintf("Cannot open %s: %v", u.email, u.err)), u.c.Width)
	case !u.read:
		return clip(s.Muted.Render("  Reading "+u.email+"…"), u.c.Width)
	}
	x := u.user
	var lines []string
	add := func(l string) { lines = append(lines, clip(l, u.c.Width)) }
	field := func(label, value string) { add(s.Label.Render(fmt.Sprintf("  %-17s", label)) + value) }
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
	} else {
		add(s.ColumnHeader.Render("USERS-TO-RESOURCES MAPPINGS") + s.Muted.Render(" (from the takeover that merged it in)"))
		w := plan(mappingColumns, mappingGrowth, u.c.Width-len(marker))
		add(header(mappingColumns, w, s.ColumnHeader))
		for _, m := range u.maps {
			status := styled(u.mappingStatus(m.Status), s.Verified)
			switch m.Status {
			case model.NeedsMigration:
				status = styled(u.mappingStatus(m.Status), s.Unverified)
			case model.Dropped:
				status = styled(u.mappingStatus(m.Status), s.Flagged)
			}
			add(row(mappingColumns, w, []cell{plain(m.Service), status, plain(u.names[m.OldDir]), plain(m.OldUser)}, false, s.SelectedRow))
		}
	}
	return fitHeight(strings.Join(lines, "\n"), u.c.Height)
}
