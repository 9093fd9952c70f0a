package flows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hoctap/locales"
)

// Turn is the handling of one input: what a module reads of the input and
// the conversation, and where it puts what to show.
type Turn struct {
	Ctx   context.Context
	In    Input
	Env   *Envelope        // the person and language; the engine keeps the rest
	P     *locales.Printer // in the conversation's language
	Token Token            // the parsed token, for a button press

	e      *Engine
	active Module
	state  any // the active module's state
	out    []Output
	// prefix goes before the next screen's text: a warning or a
	// confirmation, so that a step costs one message.
	prefix string
	// photoTaken is true once the input, a photo, was taken by the step.
	photoTaken bool
}

// State is the active module's state, as its Load, Resume or Enter made it.
func (t *Turn) State() any { return t.state }

// Now is the time of the engine's clock.
func (t *Turn) Now() time.Time { return t.e.cfg.Now() }

// T is the printer's T.
func (t *Turn) T(id string, data ...map[string]any) string { return t.P.T(id, data...) }

// SetLang changes the conversation's language.
func (t *Turn) SetLang(lang string) {
	t.Env.Lang = lang
	t.P = locales.For(lang)
}

// Say adds a message.
func (t *Turn) Say(text string, buttons ...[]Button) {
	t.out = append(t.out, Output{Text: text, Buttons: buttons})
}

// Photos adds an album of pictures, by the channel's file ids (at most
// 10), with a caption.
func (t *Turn) Photos(ids []string, caption string) {
	t.out = append(t.out, Output{Text: caption, Photos: ids})
}

// Document adds a file to send, with a caption.
func (t *Turn) Document(name string, data []byte, caption string) {
	t.out = append(t.out, Output{Text: caption, Document: &Document{Name: name, Data: data}})
}

// Picture adds an image made for the person, shown as a photo with a
// caption.
func (t *Turn) Picture(name string, data []byte, caption string) {
	t.out = append(t.out, Output{Text: caption, Picture: &Document{Name: name, Data: data}})
}

// Screen adds the step's screen: in place of the pressed message when the
// input was a button press and nothing replaced it yet, else as a new
// message; a warning given before goes first.
func (t *Turn) Screen(text string, buttons ...[]Button) {
	replace := t.In.Kind == InputButton
	for _, o := range t.out {
		replace = replace && !o.Replace
	}
	t.out = append(t.out, Output{Text: t.prefix + text, Buttons: buttons, Replace: replace})
	t.prefix = ""
}

// TakesText marks the last screen as one that asks for a typed answer
// (see Output.TakesText).
func (t *Turn) TakesText() {
	if len(t.out) > 0 {
		t.out[len(t.out)-1].TakesText = true
	}
}

// Typed is the typed text of the input with its spaces folded to single
// ones, as names and reasons are kept.
func (t *Turn) Typed() string { return strings.Join(strings.Fields(t.In.Text), " ") }

// PageButtons are the buttons to the previous and next of pages (counted
// from 0), each with the token for its page; none when there is one page.
func (t *Turn) PageButtons(page, pages int, token func(page int) Token) []Button {
	var nav []Button
	if page > 0 {
		nav = append(nav, NewButton(t.T("button.page.previous"), token(page-1)))
	}
	if page < pages-1 {
		nav = append(nav, NewButton(t.T("button.page.next"), token(page+1)))
	}
	return nav
}

// Warn puts a short text before the next screen.
func (t *Turn) Warn(text string) { t.prefix += text + "\n\n" }

// TakePhoto marks the input, a photo, as taken by the step, which answers
// each photo on its own. An album photo that no step takes is answered
// once for the whole album: its other photos are passed over.
func (t *Turn) TakePhoto() { t.photoTaken = true }

// WarnButtonsOnly warns about a text, a photo or something unsupported
// sent at a step that asks for a button.
func (t *Turn) WarnButtonsOnly() {
	switch t.In.Kind {
	case InputPhoto:
		t.Warn(t.T("input.no_photo_here"))
	case InputUnsupported:
		t.Warn(t.T("input.unsupported"))
	default:
		t.Warn(t.T("input.use_buttons"))
	}
}

// Notice adds a short answer to a button press: a toast, or "" to answer
// it without one.
func (t *Turn) Notice(text string) { t.out = append(t.out, Output{Notice: text}) }

// Quiet reports whether the turn has shown nothing yet.
func (t *Turn) Quiet() bool { return len(t.out) == 0 }

// Settle marks the last output as one to hold for the channel's quiet time
// (see Output.Settle).
func (t *Turn) Settle() {
	if len(t.out) > 0 {
		t.out[len(t.out)-1].Settle = true
	}
}

// Stale answers a button or a timer that is out of date: nothing changes,
// the person is told so and sees where the conversation is now.
func (t *Turn) Stale() error {
	if !t.In.Kind.FromPerson() {
		return nil // a timer or event that lost its object drops itself
	}
	t.Notice(t.T("stale"))
	return t.Show()
}

// Show adds the active module's current screen.
func (t *Turn) Show() error { return t.active.Show(t) }

// Switch hands the conversation to another module, which makes its state
// from arg (see the module's Enter); it shows nothing by itself.
func (t *Turn) Switch(module string, arg any) error {
	m := t.e.byName[module]
	if m == nil {
		return fmt.Errorf("no module %q", module)
	}
	st, err := m.Enter(t, arg)
	if err != nil {
		return err
	}
	t.active, t.state = m, st
	return nil
}

// SwitchHome hands the conversation back to the home module.
func (t *Turn) SwitchHome() error { return t.Switch(t.e.cfg.Home.Name(), nil) }

// GoHome hands the conversation back to the home module and shows its
// screen: leaving a module entered by a command.
func (t *Turn) GoHome() error {
	if err := t.SwitchHome(); err != nil {
		return err
	}
	return t.Show()
}

// EnterIf is how a command enters a module: when allowed, the module
// takes the conversation (from arg) and shows its screen; otherwise the
// person is told the text of the locale id none.
func (t *Turn) EnterIf(allowed bool, none, module string, arg any) error {
	if !allowed {
		t.Say(t.T(none))
		return nil
	}
	if err := t.Switch(module, arg); err != nil {
		return err
	}
	return t.Show()
}

// LeaveCommand is the Command of a module entered by a command: /start
// and /cancel leave it for home.
func LeaveCommand(t *Turn, name string) (bool, error) {
	if name != "start" && name != "cancel" {
		return false, nil
	}
	return true, t.GoHome()
}

// Esc escapes a text of a person's or a criteria set's for the simple HTML
// of outputs: only <, > and &, which is all Telegram's HTML asks for.
func Esc(s string) string { return htmlEscaper.Replace(s) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
