package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"hoctap/locales"
	"hoctap/scoring"
)

// MaxText is the longest text a person may type as a name.
const MaxText = 100

// Engine runs the conversations.
type Engine struct {
	Channel string // the channel's name in the Store: "telegram", "terminal"
	Sets    *scoring.Catalog
	Store   Store
	States  States
	Files   Files
	Blobs   Blobs
	Now     func() time.Time // the clock; time.Now when nil
	// DefaultLang is the language of a person whose channel reports none
	// that hoctap speaks; locales.Default when empty.
	DefaultLang string
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Handle applies one input to its conversation and returns what to show.
// An error means nothing was shown and the input may be tried again: what
// was stored before the error is keyed by the input and will not be
// applied twice.
func (e *Engine) Handle(ctx context.Context, in Input) ([]Output, error) {
	st, ok, err := e.States.Load(ctx, in.Chat)
	if err != nil {
		return nil, fmt.Errorf("load state of chat: %w", err)
	}
	out, err := e.Step(ctx, in, &st, ok)
	if err != nil {
		return nil, err
	}
	if err := e.States.Save(ctx, in.Chat, &st); err != nil {
		return nil, fmt.Errorf("save state of chat: %w", err)
	}
	return out, nil
}

// Step applies one input to a state the caller loaded (found false when
// there was none) and changes it in place; the caller saves it. A channel
// that loads and saves states together with its own bookkeeping (locks,
// de-duplication) uses Step to save round trips.
func (e *Engine) Step(ctx context.Context, in Input, st *State, found bool) ([]Output, error) {
	resumed := false
	if !found {
		rebuilt, err := e.rebuild(ctx, in)
		if err != nil {
			return nil, err
		}
		rebuilt.Rev = st.Rev
		*st = rebuilt
		resumed = st.Step == stepWalk
	}
	t := &turn{e: e, ctx: ctx, in: in, st: st, p: locales.For(st.Lang)}
	if err := t.run(resumed); err != nil {
		return nil, err
	}
	return t.out, nil
}

// Sorry is what to show when Handle failed for a passing reason.
func Sorry(lang string) Output {
	return Output{Text: locales.For(lang).T("error.later"), Notice: locales.For(lang).T("error.later")}
}

// rebuild makes a state from the Store when the States lost it: the person,
// their language, and the assessment in progress.
func (e *Engine) rebuild(ctx context.Context, in Input) (State, error) {
	fallback := e.DefaultLang
	if fallback == "" {
		fallback = locales.Default
	}
	st := State{Lang: locales.MatchOr(in.Lang, fallback)}
	person, err := e.Store.Person(ctx, e.Channel, in.User)
	if errors.Is(err, ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("load person: %w", err)
	}
	st.Person, st.Lang, st.Step = person.ID, person.Lang, stepMenu
	a, err := e.Store.OpenAssessment(ctx, person.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return st, fmt.Errorf("load open assessment: %w", err)
	default:
		st.Step, st.Assessment = stepWalk, a.ID
	}
	return st, nil
}

// turn is the handling of one input.
type turn struct {
	e   *Engine
	ctx context.Context
	in  Input
	st  *State
	p   *locales.Printer
	out []Output
	// prefix goes before the next screen's text: a warning or a
	// confirmation, so that a step costs one message.
	prefix string
}

// t is a shorthand for the printer's T.
func (t *turn) t(id string, data ...map[string]any) string { return t.p.T(id, data...) }

// say adds a message.
func (t *turn) say(text string, buttons ...[]Button) {
	t.out = append(t.out, Output{Text: text, Buttons: buttons})
}

// screen adds the step's screen: in place of the pressed message when the
// input was a button press and nothing replaced it yet, else as a new message.
func (t *turn) screen(text string, buttons ...[]Button) {
	replace := t.in.Kind == InputButton
	for _, o := range t.out {
		replace = replace && !o.Replace
	}
	t.out = append(t.out, Output{Text: t.prefix + text, Buttons: buttons, Replace: replace})
	t.prefix = ""
}

// warn puts a short text before the next screen.
func (t *turn) warn(text string) { t.prefix += text + "\n\n" }

// notice adds a short answer to a button press.
func (t *turn) notice(text string) {
	t.out = append(t.out, Output{Notice: text})
}

// esc escapes a text of a person's or a criteria set's for the simple HTML
// of outputs: only <, > and &, which is all Telegram's HTML asks for.
func esc(s string) string { return htmlEscaper.Replace(s) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func (t *turn) setLang(lang string) {
	t.st.Lang = lang
	t.p = locales.For(lang)
}

func (t *turn) run(resumed bool) error {
	switch t.in.Kind {
	case InputBlocked, InputUnblocked:
		if t.st.Person != 0 {
			return t.e.Store.SetInactive(t.ctx, t.st.Person, t.in.Kind == InputBlocked)
		}
		return nil
	case InputCommand:
		return t.command()
	}
	if t.st.Person == 0 {
		return t.beforeConsent()
	}
	if t.in.Kind == InputButton {
		tok, err := ParseToken(t.in.Button)
		if err != nil {
			t.notice(t.t("stale"))
			return t.show()
		}
		return t.button(tok)
	}
	if resumed && t.st.Step == stepWalk {
		t.st.Step = stepResume
		return t.show()
	}
	return t.input()
}

// command handles the commands, which work at every step.
func (t *turn) command() error {
	switch t.in.Command {
	case "start":
		if t.st.Person == 0 {
			t.st.Step = stepConsent
			t.warn(t.t("start.greeting") + "\n\n" + t.t("privacy.text"))
			return t.show()
		}
		if t.st.Assessment != 0 && (t.st.Step == stepWalk || t.st.Step == stepResume) {
			t.st.Step = stepResume
			return t.show()
		}
		t.st.Step = stepMenu
		return t.show()
	case "help":
		t.say(t.t("help.text"))
		return nil
	case "privacy":
		t.say(t.t("privacy.text"))
		return nil
	case "language":
		if t.st.Step != stepLanguage {
			t.st.Back = t.st.Step
		}
		t.st.Step = stepLanguage
		return t.show()
	case "cancel":
		switch {
		case t.st.Person == 0:
			t.say(t.t("cancel.nothing"))
		case t.st.Assessment != 0:
			t.st.Step = stepResume
			t.say(t.t("cancel.paused"))
		default:
			t.st.Step, t.st.Kind, t.st.Name, t.st.Area = stepMenu, "", "", ""
			t.say(t.t("cancel.enrolment"))
		}
		return nil
	}
	t.warn(t.t("command.unknown"))
	return t.show()
}

// beforeConsent allows nothing but the consent and language buttons.
func (t *turn) beforeConsent() error {
	if t.in.Kind == InputButton {
		tok, err := ParseToken(t.in.Button)
		switch {
		case err != nil:
		case tok.Verb == verbConsent:
			person, err := t.e.Store.Consent(t.ctx, t.e.Channel, t.in.User, t.st.Lang, t.e.now())
			if err != nil {
				return fmt.Errorf("record consent: %w", err)
			}
			t.st.Person = person.ID
			t.st.Step = stepMenu
			t.warn(t.t("consent.thanks"))
			return t.show()
		case tok.Verb == verbRefuse:
			t.st.Step = stepNew
			t.screen(t.t("consent.refused"))
			return nil
		case tok.Verb == verbLanguage && (tok.Code == "vi" || tok.Code == "en"):
			t.setLang(tok.Code)
			t.st.Step = stepConsent
			t.warn(t.t("start.greeting") + "\n\n" + t.t("privacy.text"))
			return t.show()
		}
		t.notice(t.t("consent.first"))
	}
	t.st.Step = stepConsent
	return t.show()
}

// show adds the screen of the current step, as a new message unless a
// button press asks to replace.
func (t *turn) show() error {
	switch t.st.Step {
	case stepNew, stepConsent:
		t.st.Step = stepConsent
		t.screen(t.t("consent.ask"),
			[]Button{button(t.t("consent.yes"), Token{Verb: verbConsent}), button(t.t("consent.no"), Token{Verb: verbRefuse})},
			[]Button{button("Tiếng Việt", Token{Verb: verbLanguage, Code: "vi"}), button("English", Token{Verb: verbLanguage, Code: "en"})})
		return nil
	case stepLanguage:
		t.screen(t.t("language.ask"),
			[]Button{button("Tiếng Việt", Token{Verb: verbLanguage, Code: "vi"}), button("English", Token{Verb: verbLanguage, Code: "en"})})
		return nil
	case stepMenu:
		return t.showMenu()
	case stepName:
		t.screen(t.t("enrol.name." + string(t.st.Kind)))
		return nil
	case stepArea:
		return t.showAreas()
	case stepResume:
		return t.showResume()
	case stepMove:
		return t.showMove()
	case stepWalk:
		a, set, err := t.assessment()
		if err != nil {
			return err
		}
		return t.showWalk(a, set)
	}
	return fmt.Errorf("unknown step %q", t.st.Step)
}

// input handles a typed text, a photo or something unsupported outside the
// walk and enrolment.
func (t *turn) input() error {
	switch t.st.Step {
	case stepName:
		return t.typedName()
	case stepWalk:
		a, set, err := t.assessment()
		if err != nil {
			return err
		}
		return t.walkInput(a, set)
	}
	switch t.in.Kind {
	case InputPhoto:
		t.warn(t.t("input.no_photo_here"))
	case InputUnsupported:
		t.warn(t.t("input.unsupported"))
	default:
		t.warn(t.t("input.use_buttons"))
	}
	return t.show()
}

// button handles a press on one of our buttons after consent.
func (t *turn) button(tok Token) error {
	switch tok.Verb {
	case verbLanguage:
		if tok.Code != "vi" && tok.Code != "en" {
			break
		}
		t.setLang(tok.Code)
		if err := t.e.Store.SetLanguage(t.ctx, t.st.Person, tok.Code); err != nil {
			return fmt.Errorf("save language: %w", err)
		}
		t.warn(t.t("language.set"))
		t.st.Step = t.st.Back
		if t.st.Step == stepLanguage || t.st.Step == stepNew || t.st.Step == stepConsent {
			t.st.Step = stepMenu
		}
		return t.show()
	case verbConsent, verbRefuse:
		t.notice(t.t("consent.already"))
		return nil
	case verbKind, verbArea:
		return t.enrolButton(tok)
	case verbContinue, verbRestart:
		if t.st.Step != stepResume {
			break
		}
		return t.resumeButton(tok)
	case verbMove, verbStay:
		if t.st.Step != stepMove {
			break
		}
		return t.moveButton(tok)
	default:
		if t.st.Step != stepWalk {
			break
		}
		a, set, err := t.assessment()
		if err != nil {
			return err
		}
		return t.walkButton(tok, a, set)
	}
	t.notice(t.t("stale"))
	return nil
}
