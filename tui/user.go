package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
)

// openUserMsg asks the root to open one user of a directory on top.
type openUserMsg struct{ dir, email string }

// userScreen is one user: who it is, how it came to be, and, for a user
// merged in by an external takeover, what happened to each of its grants
// (the users-to-resources mappings).
type userScreen struct {
	c       Common
	dirName string
	email   string
	user    model.User
	maps    []model.Mapping
	err     error
	// names caches directory names by id: mappings name the old
	// directory by id, which means nothing to a person.
	names map[string]string
}

func newUserScreen(c Common, dir, email string) *userScreen {
	u := &userScreen{c: c, email: email, dirName: dir, names: map[string]string{}}
	addr, err := model.ParseAddress(email)
	if err != nil {
		u.err = err
		return u
	}
	u.user, u.maps, u.err = c.Ops.User(dir, addr)
	u.dirName = u.name(dir)
	return u
}

func (u *userScreen) name(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := u.names[id]; ok {
		return n
	}
	n := id
	if d, err := u.c.Ops.Directory(id); err == nil {
		n = d.Name
	}
	u.names[id] = n
	return n
}

func (u *userScreen) Init() tea.Cmd             { return nil }
func (u *userScreen) Title() string             { return u.email }
func (u *userScreen) Capturing() bool           { return false }
func (u *userScreen) SetSize(width, height int) { u.c.SetSize(width, height) }
func (u *userScreen) Update(tea.Msg) tea.Cmd    { return nil }
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
	if u.err != nil {
		return clip(s.Error.Render(fmt.Sprintf("Cannot open %s: %v", u.email, u.err)), u.c.Width)
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
	add(s.Title.Render(x.Email) + s.Muted.Render("  in "+u.dirName))
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
			add(row(mappingColumns, w, []cell{plain(m.Service), status, plain(u.name(m.OldDir)), plain(m.OldUser)}, false, s.SelectedRow))
		}
	}
	return fitHeight(strings.Join(lines, "\n"), u.c.Height)
}
