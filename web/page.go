package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/charmbracelet/log"

	"selfserve/model"
	"selfserve/ops"
)

//go:embed page
var pageFiles embed.FS

// pages holds one template set per page, each with the shared layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"start", "code", "done"} {
		m[name] = template.Must(template.ParseFS(pageFiles, "page/layout.html", "page/"+name+".html"))
	}
	return m
}()

// form is what a page shows and posts back.
type form struct {
	Title     string
	Refusal   string
	Email     string
	Service   string
	Services  []string
	Directory string
}

// page is the sign-up page: address, then code, then done, in plain
// HTML forms that work without JavaScript.
type page struct {
	ops *ops.Console
	log *log.Logger
	// send and verify are the form posts behind their rate limits.
	send, verify http.HandlerFunc
}

func (p *page) routes() []route {
	return []route{
		{"GET", "/{$}", p.start},
		{"POST", "/signup", p.send},
		{"POST", "/signup/verify", p.verify},
		{"GET", "/signup.css", p.css},
	}
}

func (p *page) render(w http.ResponseWriter, status int, name string, f form) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages[name].ExecuteTemplate(w, "layout", f); err != nil {
		p.log.Error("page", "name", name, "err", err)
	}
}

// startForm is the first page for service, with the catalogue to pick
// from.
func (p *page) startForm(service string) (form, error) {
	list, err := p.ops.Services()
	if err != nil {
		return form{}, err
	}
	f := form{Title: "Sign up", Services: make([]string, len(list))}
	for i, s := range list {
		f.Services[i] = s.Name
	}
	f.Service = strings.ToLower(strings.TrimSpace(service))
	if !slices.Contains(f.Services, f.Service) && len(f.Services) > 0 {
		f.Service = f.Services[0]
	}
	return f, nil
}

func (p *page) start(w http.ResponseWriter, r *http.Request) {
	f, err := p.startForm(r.URL.Query().Get("service"))
	if err != nil {
		p.fail(w, err)
		return
	}
	p.render(w, http.StatusOK, "start", f)
}

// readForm parses a posted form of at most maxBody bytes.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return false
	}
	return true
}

func (p *page) sendAddress(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		return
	}
	email, service := strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("service")
	_, err := p.ops.SignupStart(r.Context(), email, service)
	if err != nil {
		k := classify(err, true)
		f, ferr := p.startForm(service)
		if ferr != nil {
			p.fail(w, ferr)
			return
		}
		f.Email, f.Refusal = email, sentence(k, err)
		p.render(w, k.status, "start", f)
		return
	}
	p.render(w, http.StatusOK, "code", form{Title: "Check your mail", Email: email, Service: strings.ToLower(strings.TrimSpace(service))})
}

func (p *page) verifyCode(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		return
	}
	email, service := strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("service")
	res, err := p.ops.SignupVerify(email, strings.TrimSpace(r.PostForm.Get("code")))
	if err != nil {
		k := classify(err, false)
		p.render(w, k.status, "code", form{Title: "Check your mail", Email: email, Service: service, Refusal: sentence(k, err)})
		return
	}
	p.render(w, http.StatusOK, "done", form{Title: "Welcome", Email: res.User.Email, Service: service, Directory: res.Directory.Name})
}

func (p *page) css(w http.ResponseWriter, _ *http.Request) {
	b, _ := pageFiles.ReadFile("page/signup.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(b)
}

// fail answers a failure that is not a refusal: logged, never shown.
func (p *page) fail(w http.ResponseWriter, err error) {
	p.log.Error("sign-up page", "err", err)
	p.render(w, http.StatusServiceUnavailable, "done", form{Title: "Sorry", Refusal: sentence(kindUnavailable, err)})
}

// sentence says a refusal in words for a person at the sign-up page,
// who knows neither the console nor the command line.
func sentence(k kind, err error) string {
	var blocked *model.SignupBlockedError
	errors.As(err, &blocked)
	dir := "Your organisation's directory"
	if blocked != nil && blocked.Directory != "" {
		dir = fmt.Sprintf("Your organisation's directory (%s)", blocked.Directory)
	}
	switch k {
	case kindBadAddress:
		return "That is not an address we can sign up. Enter your work email address, like name@yourcompany.com."
	case kindConsumer:
		return "That is a personal mail address. Sign up with the address your organisation gave you."
	case kindUnknownService:
		return "There is no such service here. Pick one from the list."
	case kindAdHocOff:
		return dir + " does not allow people to sign themselves up; ask your administrator."
	case kindEmailVerOff:
		return dir + " does not allow new accounts; ask your administrator."
	case kindCode:
		return "That code did not work. Type the code from the newest mail we sent, or ask for a new code."
	case kindLocked:
		return fmt.Sprintf("Too many wrong codes were tried for this address. Wait %d minutes, then ask for a new code.", int(model.CodeTTL.Minutes()))
	case kindTakeover:
		return "Your organisation's directory is being moved right now. Try again in a few minutes."
	case kindRateLimited:
		return "Too many attempts from here. Wait a minute, then try again."
	case kindRefused:
		return "This sign-up is not allowed."
	}
	return "Something went wrong on our side and nothing was changed. Try again in a few minutes."
}

// tooMany answers a form post over its client's rate with the same page
// (name) and its sentence, as a person reads a refusal.
func (p *page) tooMany(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r) {
			return
		}
		f := form{Title: "Check your mail", Email: strings.TrimSpace(r.PostForm.Get("email")), Service: r.PostForm.Get("service")}
		if name == "start" {
			var err error
			if f, err = p.startForm(r.PostForm.Get("service")); err != nil {
				p.fail(w, err)
				return
			}
			f.Email = strings.TrimSpace(r.PostForm.Get("email"))
		}
		f.Refusal = sentence(kindRateLimited, nil)
		p.render(w, kindRateLimited.status, name, f)
	}
}
