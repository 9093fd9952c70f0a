package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hoctap/locales"
)

// Envelope is a conversation's state between inputs: who the person is and
// their language, which module's conversation is active, and that module's
// own state in the module's version. It is small and can be rebuilt from
// the stores, so losing one costs a question, never an answer.
type Envelope struct {
	Rev    int    // storage revision, for the states' revision check
	Module string // the active module's name
	V      int    // the version of the module's state
	Lang   string // the conversation's language
	Person int64  // 0 until consent
	// Album is the last album a photo of which no step took: it was
	// answered once, and its other photos are passed over.
	Album string
	Data  []byte // the module's state, as JSON
}

// Same reports whether two envelopes hold the same state, whatever their
// revisions: a turn that leaves it the same need not save it.
func (env *Envelope) Same(o *Envelope) bool {
	return env.Module == o.Module && env.V == o.V && env.Lang == o.Lang && env.Person == o.Person &&
		env.Album == o.Album && bytes.Equal(env.Data, o.Data)
}

// Module is one conversation — enrolment, the self-assessment, and next
// review, progress, invitations — with its own steps, its own button verbs
// (tokens whose Module is its name) and its own small store port.
type Module interface {
	// Name names it in envelopes and tokens: one or two lower-case letters.
	Name() string
	// Version is the version of its state; an envelope of another version
	// is rebuilt from the stores.
	Version() int
	// Load decodes its state from an envelope's Data.
	Load(data []byte) (any, error)
	// Resume rebuilds its state from the stores when the envelope was lost;
	// ok is false when it has nothing going on for the person.
	Resume(t *Turn) (state any, ok bool, err error)
	// Enter makes its state when another module hands the conversation to
	// it (Turn.Switch), from an argument the module documents.
	Enter(t *Turn, arg any) (state any, err error)
	// Handle applies an input while it is active: a press on one of its
	// buttons (Turn.Token), a text, a photo, something unsupported, or a
	// timer or event that names it.
	Handle(t *Turn) error
	// Command handles /start or /cancel while it is active; false for a
	// command it does not know.
	Command(t *Turn, name string) (bool, error)
	// Show adds its current screen.
	Show(t *Turn) error
}

// Config is what an Engine is made of.
type Config struct {
	People People
	// Home is the module a conversation starts in and returns to; it must
	// resume any person, consented or not.
	Home Module
	// Modules are the others, asked in order to resume a lost conversation.
	Modules []Module
	// Commands are commands that work the same whatever conversation is
	// going on: /status adds a message, /review switches to its module.
	Commands map[string]func(t *Turn) error
	// Payload handles /start with a payload — an invitation link —
	// whatever conversation is going on, before consent too.
	Payload func(t *Turn) error
	// Events handle events that name no module (Ref.Module ""), by
	// Ref.Name, whatever conversation is going on: they tell the person
	// something (a decision on their submission) and leave the
	// conversation as it is.
	Events map[string]func(t *Turn) error
	// Asides handle the buttons of a message an event brought (a notice
	// that asks to pick an area), by their token's module name, whatever
	// conversation is going on, and leave it as it is: a name of its own,
	// no module's. The person is known: they were told by an event.
	Asides map[string]func(t *Turn) error
	Now    func() time.Time // the clock; time.Now when nil
	// DefaultLang is the language of a person whose channel reports none
	// that hoctap speaks; locales.Default when empty.
	DefaultLang string
}

// Engine steps the conversations: it routes each input to the module it
// belongs to and handles what every conversation shares (help, privacy,
// the language, blocking). It does no I/O of a channel.
type Engine struct {
	cfg    Config
	byName map[string]Module
}

// core is the namespace of the engine's own buttons.
const core = "c"

// verbLanguage is the engine's language button; Code: vi or en.
const verbLanguage = "lg"

// New makes an engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DefaultLang == "" {
		cfg.DefaultLang = locales.Default
	}
	if cfg.Home == nil || cfg.People == nil {
		return nil, errors.New("an engine needs People and a Home module")
	}
	e := &Engine{cfg: cfg, byName: map[string]Module{}}
	for _, m := range append([]Module{cfg.Home}, cfg.Modules...) {
		if !tokenName.MatchString(m.Name()) || m.Name() == core || e.byName[m.Name()] != nil {
			return nil, fmt.Errorf("module name %q is not one or two lower-case letters of its own", m.Name())
		}
		e.byName[m.Name()] = m
	}
	for name := range cfg.Asides {
		if !tokenName.MatchString(name) || name == core || e.byName[name] != nil {
			return nil, fmt.Errorf("aside name %q is not one or two lower-case letters of its own", name)
		}
	}
	return e, nil
}

// Step applies one input to a conversation's envelope, which the caller
// loaded (found false when there was none or it could not be read) and
// saves afterwards; it changes env in place and returns what to show. An
// error means nothing is to be shown and the input may be tried again:
// what was stored before the error is keyed by the input and is not applied
// twice.
func (e *Engine) Step(ctx context.Context, in Input, env *Envelope, found bool) ([]Output, error) {
	album := ""
	if in.Kind == InputPhoto && in.Photo != nil {
		album = in.Photo.Album
	}
	if album != "" && found && album == env.Album {
		return nil, nil // the album was answered at its first photo
	}
	t := &Turn{Ctx: ctx, In: in, Env: env, e: e}
	if err := t.load(found); err != nil {
		return nil, err
	}
	t.P = locales.For(env.Lang)
	if err := t.route(); err != nil {
		return nil, err
	}
	if album != "" && !t.photoTaken {
		env.Album = album
	}
	data, err := json.Marshal(t.state)
	if err != nil {
		return nil, fmt.Errorf("encode the %s state: %w", t.active.Name(), err)
	}
	env.Module, env.V, env.Data = t.active.Name(), t.active.Version(), data
	return t.out, nil
}

// Sorry is what to show when a step failed for a passing reason.
func Sorry(lang string) Output {
	p := locales.For(lang)
	return Output{Text: p.T("error.later"), Notice: p.T("error.later")}
}

// load reads the active module's state from the envelope, or rebuilds it.
func (t *Turn) load(found bool) error {
	env := t.Env
	if m := t.e.byName[env.Module]; found && m != nil && env.V == m.Version() {
		if st, err := m.Load(env.Data); err == nil {
			t.active, t.state = m, st
			return nil
		}
	}
	return t.rebuild()
}

// rebuild makes the state from the stores: the person and their language,
// then the first module with something going on for them.
func (t *Turn) rebuild() error {
	cfg := t.e.cfg
	rev := t.Env.Rev
	*t.Env = Envelope{Rev: rev, Lang: locales.MatchOr(t.In.Lang, cfg.DefaultLang)}
	person, err := cfg.People.Person(t.Ctx, t.In.Conv.Channel, t.In.User)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return fmt.Errorf("load person: %w", err)
	default:
		t.Env.Person, t.Env.Lang = person.ID, person.Lang
	}
	t.P = locales.For(t.Env.Lang)
	for _, m := range append(cfg.Modules[:len(cfg.Modules):len(cfg.Modules)], cfg.Home) {
		if t.Env.Person == 0 && m != cfg.Home {
			continue
		}
		st, ok, err := m.Resume(t)
		if err != nil {
			return fmt.Errorf("resume %s: %w", m.Name(), err)
		}
		if ok {
			t.active, t.state = m, st
			return nil
		}
	}
	return fmt.Errorf("home module %s resumed nothing", cfg.Home.Name())
}

// route hands the input to the part of the conversation it belongs to.
func (t *Turn) route() error {
	switch t.In.Kind {
	case InputBlocked, InputUnblocked:
		if t.Env.Person == 0 {
			return nil
		}
		if err := t.e.cfg.People.SetInactive(t.Ctx, t.Env.Person, t.In.Kind == InputBlocked); err != nil {
			return fmt.Errorf("mark person inactive: %w", err)
		}
		return nil
	case InputCommand:
		return t.command()
	case InputTimer, InputEvent:
		if t.In.Kind == InputEvent && t.In.Ref != nil && t.In.Ref.Module == "" {
			if h := t.e.cfg.Events[t.In.Ref.Name]; h != nil && t.Env.Person != 0 {
				return h(t)
			}
			return nil
		}
		if t.In.Ref == nil || t.In.Ref.Module != t.active.Name() {
			return nil // what it was set for is no longer going on
		}
	case InputButton:
		tok, err := ParseToken(t.In.Button)
		if err != nil {
			return t.Stale()
		}
		t.Token = tok
		switch tok.Module {
		case core:
			return t.coreButton(tok)
		case t.active.Name():
		default:
			if h := t.e.cfg.Asides[tok.Module]; h != nil && t.Env.Person != 0 {
				return h(t)
			}
			return t.Stale() // a button of another conversation than the one going on
		}
	}
	return t.active.Handle(t)
}

// command handles the commands, which work at every step.
func (t *Turn) command() error {
	switch t.In.Command {
	case "help":
		t.Say(t.T("help.text"))
		return nil
	case "privacy":
		t.Say(t.T("privacy.text"))
		return nil
	case "language":
		t.Screen(t.T("language.ask"), LanguageButtons())
		return nil
	}
	if t.In.Command == "start" && t.In.Text != "" && t.e.cfg.Payload != nil {
		return t.e.cfg.Payload(t)
	}
	if c := t.e.cfg.Commands[t.In.Command]; c != nil {
		if t.Env.Person == 0 {
			t.Warn(t.T("consent.first"))
			return t.Show()
		}
		return c(t)
	}
	ok, err := t.active.Command(t, t.In.Command)
	if err != nil || ok {
		return err
	}
	t.Warn(t.T("command.unknown"))
	return t.Show()
}

// LanguageButtons are the buttons that switch the conversation's language,
// each labelled in its own language.
func LanguageButtons() []Button {
	return []Button{
		NewButton("Tiếng Việt", Token{Module: core, Verb: verbLanguage, Code: "vi"}),
		NewButton("English", Token{Module: core, Verb: verbLanguage, Code: "en"}),
	}
}

// coreButton handles the engine's own buttons.
func (t *Turn) coreButton(tok Token) error {
	if tok.Verb != verbLanguage || (tok.Code != "vi" && tok.Code != "en") {
		return t.Stale()
	}
	t.SetLang(tok.Code)
	if t.Env.Person != 0 {
		if err := t.e.cfg.People.SetLanguage(t.Ctx, t.Env.Person, tok.Code); err != nil {
			return fmt.Errorf("save language: %w", err)
		}
	}
	t.Warn(t.T("language.set"))
	return t.Show()
}
