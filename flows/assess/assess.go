// Package assess is the self-assessment conversation: a head of household
// (or of a clan, village, unit, or a citizen) walks the questionnaire of the
// criteria set their assessment is pinned to, attaches photo evidence,
// checks the summary with its score and submits. It also offers to continue
// an assessment in progress and to move one to the replacement of a
// withdrawn set.
//
// Its buttons name the assessment and the revision they were made for;
// every change is stored with that revision checked, so a button from
// another assessment or an older screen changes nothing.
package assess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hoctap/flows"
	"hoctap/scoring"
)

// Name is the module's name in envelopes and tokens.
const Name = "s"

// Store is what the self-assessment needs to keep.
type Store interface {
	// Assessments returns the person's assessments that are not
	// abandoned, the most recently changed first.
	Assessments(ctx context.Context, personID int64) ([]flows.Assessment, error)
	// Assessment returns an assessment with its answers and photo counts.
	Assessment(ctx context.Context, id int64) (flows.Assessment, error)
	// Start creates the assessment, and its subject when a names none,
	// once per key. When the subject has an assessment for the year
	// already it returns that one and flows.ErrExists; flows.ErrConflict
	// when another start for the subject won a race.
	Start(ctx context.Context, a flows.NewAssessment) (flows.Assessment, error)
	// Apply saves a change and returns the new revision; flows.ErrConflict
	// when the assessment is no longer open at c.Rev, flows.ErrDone when
	// c.Key was applied.
	Apply(ctx context.Context, c flows.Change) (int, error)
	// AddEvidence records a stored photo and returns the question's photo
	// count; a photo already recorded for the question is not added twice.
	AddEvidence(ctx context.Context, e flows.Evidence) (int, error)
	// Submit marks the assessment submitted with its result, once;
	// flows.ErrDone when it already was, flows.ErrConflict when it is no
	// longer at rev.
	Submit(ctx context.Context, id int64, rev int, personID int64, res scoring.Result, at time.Time) error
	// Abandon closes an assessment in progress at rev without submitting
	// it; flows.ErrConflict when it is no longer open at rev.
	Abandon(ctx context.Context, id int64, rev int, personID int64) error
	// MoveSet pins the assessment at rev to another set version, dropping
	// the answers in drop; flows.ErrConflict when it is no longer at rev.
	MoveSet(ctx context.Context, id int64, rev int, setID string, version int, drop []string, cursor string) (int, error)
	// Derive computes a derived indicator of a subject for a year.
	Derive(ctx context.Context, d scoring.Derivation, subjectID int64, year int) (flows.Share, error)
	// CreateInvitation makes an invitation and returns its payload;
	// flows.ErrNotFound when the person may not make it.
	CreateInvitation(ctx context.Context, n flows.NewInvitation) (string, error)
}

// Config is what the module is made of.
type Config struct {
	Store Store
	Sets  *scoring.Catalog
	Files flows.Files // the channel's photos
	Blobs flows.Blobs // where evidence is kept
	// BotUsername names the bot in invitation links; "" where there is
	// none, and the link is the /start command to type.
	BotUsername string
}

// Module is the self-assessment conversation.
type Module struct{ cfg Config }

// New makes the module.
func New(cfg Config) *Module { return &Module{cfg: cfg} }

// Steps of the self-assessment.
const (
	stepWalk   = "walk"   // the questionnaire; the question is the assessment's cursor
	stepResume = "resume" // continue or start over
	stepMove   = "move"   // move to the replacement of a withdrawn set
	stepDone   = "done"   // a submitted assessment, shown as it was submitted
)

// Verbs of its buttons. Every token names the assessment and its revision.
const (
	verbAnswer   = "a"  // Code: indicator or condition; Value: y, n, na or an option
	verbInfo     = "i"  // Code: indicator or condition whose guidance to show
	verbBack     = "bk" // back to the previous question
	verbLater    = "lt" // skip the question for now
	verbDone     = "dn" // evidence done
	verbSkip     = "sk" // no (optional) evidence
	verbEdit     = "e"  // Code: the question to change from the summary; Value editPhotos for its photos
	verbSummary  = "sm" // to the summary
	verbSubmit   = "sb" // submit the assessment: asks to confirm
	verbConfirm  = "cf" // confirm the submission
	verbContinue = "ct" // continue the assessment in progress
	verbRestart  = "ns" // give up the assessment in progress: asks to confirm when answers would be lost
	verbDiscard  = "dc" // confirm giving it up
	verbMove     = "mv" // move to the replacement of a withdrawn set
	verbStay     = "st" // keep answering on the withdrawn set
	verbMenu     = "mn" // to the menu, leaving the assessment as it is
	verbInvite   = "iv" // a link for another person to represent the subject too
	verbMembers  = "im" // a clan's link for its member households to join it
)

// editPhotos is the Value of an edit button that opens a question's photo
// step.
const editPhotos = "p"

// state is what the self-assessment keeps between inputs.
type state struct {
	Step       string `json:"s"`
	Assessment int64  `json:"a"`
	Stay       bool   `json:"st,omitempty"` // keeps answering on a withdrawn set
	// Copy is the assessment as last read or written, so that a step need
	// not read it from the Store; the Store's revision check finds a stale
	// copy, which is then read again.
	Copy *flows.Assessment `json:"c,omitempty"`
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }

func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, err
	}
	if st.Assessment == 0 {
		return nil, errors.New("no assessment")
	}
	return st, nil
}

// Resume takes up the person's assessment in progress that changed last.
// An input that is not a button or a command is not taken as an answer:
// the person is asked whether to continue, since they cannot know where
// the walk was.
func (m *Module) Resume(t *flows.Turn) (any, bool, error) {
	a, ok, err := m.lastOpen(t)
	if err != nil || !ok {
		return nil, false, err
	}
	st := &state{Step: stepWalk, Assessment: a.ID}
	switch t.In.Kind {
	case flows.InputText, flows.InputPhoto, flows.InputUnsupported:
		st.Step = stepResume
	}
	remember(st, a)
	return st, true, nil
}

// lastOpen returns the person's assessment in progress that changed last.
func (m *Module) lastOpen(t *flows.Turn) (flows.Assessment, bool, error) {
	all, err := m.cfg.Store.Assessments(t.Ctx, t.Env.Person)
	if err != nil {
		return flows.Assessment{}, false, fmt.Errorf("load assessments: %w", err)
	}
	for _, a := range all {
		if a.Submitted == nil {
			return a, true, nil
		}
	}
	return flows.Assessment{}, false, nil
}

// Start is Enter's argument that starts an assessment: what enrolment
// collected and the set that applies.
type Start struct {
	Kind    scoring.Kind
	Subject int64 // the person's subject to assess; 0 for a new one named Name
	Name    string
	Area    flows.Area
	Set     *scoring.Set
	// Assisted: a reviewer of the area fills it in on behalf of the
	// household, whose head consented; flows.ErrNotFound outside their area.
	Assisted bool
	// Year is the season's year the assessment belongs to.
	Year int
}

// Continue is Enter's argument that takes up one of the person's
// assessments in progress.
type Continue struct{ ID int64 }

// Enter starts an assessment (arg a Start) or takes one up (a Continue).
// A start for a subject that has an assessment for the year already takes
// that one up when it is in progress, and shows it as submitted when it
// was; a Continue of an assessment that is no longer in progress goes back
// to the menu as stale.
func (m *Module) Enter(t *flows.Turn, arg any) (any, error) {
	switch arg := arg.(type) {
	case Start:
		return m.start(t, arg)
	case Continue:
		all, err := m.cfg.Store.Assessments(t.Ctx, t.Env.Person)
		if err != nil {
			return nil, fmt.Errorf("load assessments: %w", err)
		}
		for _, a := range all {
			if a.ID == arg.ID && a.Submitted == nil {
				st := &state{Step: stepWalk, Assessment: a.ID}
				remember(st, a)
				return st, nil
			}
		}
		return nil, errStale
	}
	return nil, fmt.Errorf("assess: enter with %T", arg)
}

// errStale is Enter's answer to a Continue of an assessment that is not
// one of the person's in progress.
var errStale = errors.New("not an assessment of the person's in progress")

// IsStale reports whether Enter refused its argument as out of date.
func IsStale(err error) bool { return errors.Is(err, errStale) }

func (m *Module) start(t *flows.Turn, s Start) (any, error) {
	qs := questions(s.Set)
	a, err := m.cfg.Store.Start(t.Ctx, flows.NewAssessment{
		PersonID: t.Env.Person, SubjectID: s.Subject, Kind: s.Kind, Name: s.Name, AreaCode: s.Area.Code, Region: s.Area.Region,
		SetID: s.Set.ID, SetVersion: s.Set.Version, Year: s.Year, Cursor: qs[0].code, Key: t.In.Key, Assisted: s.Assisted,
	})
	switch {
	case errors.Is(err, flows.ErrExists) && a.Submitted != nil:
		// A second assessment of the subject for the year is refused: the
		// one submitted is shown, until a reviewer sends it back.
		t.Warn(t.T("assess.exists.submitted", map[string]any{
			"Name": flows.Esc(a.SubjectName), "Year": a.Year, "Date": t.P.Date(*a.Submitted)}))
		return &state{Step: stepDone, Assessment: a.ID}, nil
	case errors.Is(err, flows.ErrExists):
		// Most often this very start, made by an earlier press whose state
		// was not saved; or the subject chosen again from the menu.
		t.Warn(t.T("assess.exists.open", map[string]any{"Name": flows.Esc(a.SubjectName), "Year": a.Year}))
		st := &state{Step: stepResume, Assessment: a.ID}
		remember(st, a)
		return st, nil
	case errors.Is(err, flows.ErrConflict):
		return nil, errStale
	case err != nil:
		return nil, fmt.Errorf("start assessment: %w", err)
	}
	st := &state{Step: stepWalk, Assessment: a.ID}
	remember(st, a)
	t.Warn(t.T("enrol.started", map[string]any{
		"Title": flows.Esc(t.P.SetTitle(s.Set)), "Name": flows.Esc(a.SubjectName), "Area": flows.Esc(s.Area.Name.In(t.P.Lang())),
		"N": len(qs),
	}))
	return st, nil
}

// turn is one input to the self-assessment.
type turn struct {
	m  *Module
	t  *flows.Turn
	st *state
	// before are the answers as they were when a reviewer sent the
	// assessment back, for a reviewer's description; nil otherwise.
	before scoring.Answers
	// shares are the derived indicators' shares computed in this turn.
	shares map[string]flows.Share
}

// InviteValid is how long a link to represent a subject is valid.
const InviteValid = 7 * 24 * time.Hour

// MembersValid is how long a clan's link for its member households is
// valid.
const MembersValid = 30 * 24 * time.Hour

// invite makes a link for another person (a spouse, a son) to represent the
// subject of the assessment too, and shows it above the summary.
func (w *turn) invite(tok flows.Token) error {
	t := w.t
	a, set, err := w.assessment()
	if err != nil {
		return err
	}
	if tok.ID != a.ID || a.Assisted || (tok.Verb == verbMembers && a.Kind != scoring.KindClan) {
		return t.Stale()
	}
	n := flows.NewInvitation{Role: flows.Representative, Subject: a.SubjectID, Uses: 1, Expires: t.Now().Add(InviteValid), By: t.Env.Person}
	if tok.Verb == verbMembers { // for all the clan's households: no limit of uses, a month
		n.Role, n.Uses, n.Expires = flows.Member, 0, t.Now().Add(MembersValid)
	}
	expires := n.Expires
	payload, err := w.m.cfg.Store.CreateInvitation(t.Ctx, n)
	if errors.Is(err, flows.ErrNotFound) {
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("make invitation: %w", err)
	}
	link := "/start " + payload
	if w.m.cfg.BotUsername != "" {
		link = "https://t.me/" + w.m.cfg.BotUsername + "?start=" + payload
	}
	say := "assess.invite"
	if n.Role == flows.Member {
		say = "assess.members"
	}
	t.Say(t.T(say, map[string]any{"Name": flows.Esc(a.SubjectName), "Link": flows.Esc(link), "Until": t.P.Date(expires)}))
	return w.showSummary(a, set)
}

// Describe writes a submission for the one who reviews it: its set, every
// answer with its points and photo count, the score and what fails. When
// before is not nil (the answers as they were when it was sent back), an
// answer that differs is marked as changed.
func (m *Module) Describe(t *flows.Turn, a flows.Assessment, before scoring.Answers) (string, error) {
	set, ok := m.cfg.Sets.Get(a.SetID, a.SetVersion)
	if !ok {
		return "", fmt.Errorf("assessment %d: no set %s@%d", a.ID, a.SetID, a.SetVersion)
	}
	w := &turn{m: m, t: t, st: &state{}, before: before}
	text, _, err := w.review(a, set, "review.answers", nil)
	return text, err
}

func (m *Module) turn(t *flows.Turn) *turn { return &turn{m: m, t: t, st: t.State().(*state)} }

func (m *Module) Handle(t *flows.Turn) error {
	w := m.turn(t)
	if t.In.Kind == flows.InputButton {
		return w.button(t.Token)
	}
	if !t.In.Kind.FromPerson() {
		return nil // no timer or event of the self-assessment yet
	}
	if w.st.Step != stepWalk {
		t.WarnButtonsOnly()
		return w.show()
	}
	a, set, err := w.assessment()
	if err != nil {
		return err
	}
	return w.walkInput(a, set)
}

func (m *Module) Command(t *flows.Turn, name string) (bool, error) {
	w := m.turn(t)
	switch name {
	case "start":
		w.st.Step = stepResume
		return true, w.show()
	case "cancel":
		w.st.Step = stepResume
		t.Say(t.T("cancel.paused"))
		return true, nil
	}
	return false, nil
}

func (m *Module) Show(t *flows.Turn) error { return m.turn(t).show() }

// show adds the screen of the current step.
func (w *turn) show() error {
	switch w.st.Step {
	case stepResume:
		return w.showResume()
	case stepMove:
		return w.showMove()
	case stepDone:
		return w.showSubmitted()
	case stepWalk:
		a, set, err := w.assessment()
		if err != nil {
			return err
		}
		return w.showWalk(a, set)
	}
	return fmt.Errorf("unknown self-assessment step %q", w.st.Step)
}

// token makes a token of the self-assessment for an assessment at its
// revision.
func token(verb string, a flows.Assessment, code, value string) flows.Token {
	return flows.Token{Module: Name, Verb: verb, ID: a.ID, Rev: a.Rev, Code: code, Value: value}
}

// button handles a press on one of the self-assessment's buttons. A button
// of another assessment than the one in progress changes nothing; each step
// checks the revision its buttons need.
func (w *turn) button(tok flows.Token) error {
	if tok.ID != w.st.Assessment {
		return w.t.Stale()
	}
	switch tok.Verb {
	case verbContinue, verbRestart, verbDiscard:
		if w.st.Step != stepResume {
			break
		}
		return w.resumeButton(tok)
	case verbMove, verbStay:
		if w.st.Step != stepMove {
			break
		}
		return w.moveButton(tok)
	case verbInvite, verbMembers:
		if w.st.Step != stepWalk {
			break
		}
		return w.invite(tok)
	case verbMenu:
		if w.st.Step != stepDone && w.st.Step != stepResume {
			break
		}
		if err := w.done(); err != nil {
			return err
		}
		return w.t.Show()
	default:
		if w.st.Step != stepWalk {
			break
		}
		a, set, err := w.assessment()
		if err != nil {
			return err
		}
		return w.walkButton(tok, a, set)
	}
	return w.t.Stale()
}

// assessment returns the conversation's assessment — the state's copy, or
// else read from the Store — and the set it is pinned to.
func (w *turn) assessment() (flows.Assessment, *scoring.Set, error) {
	if c := w.st.Copy; c != nil && c.ID == w.st.Assessment {
		return w.pinned(*c)
	}
	return w.reload()
}

// reload reads the conversation's assessment from the Store.
func (w *turn) reload() (flows.Assessment, *scoring.Set, error) {
	a, err := w.m.cfg.Store.Assessment(w.t.Ctx, w.st.Assessment)
	if err != nil {
		return a, nil, fmt.Errorf("load assessment: %w", err)
	}
	remember(w.st, a)
	return w.pinned(a)
}

// remember keeps a copy of an assessment in progress in the state.
func remember(st *state, a flows.Assessment) {
	if a.Submitted != nil || a.ID != st.Assessment {
		st.Copy = nil
		return
	}
	a.Answers = copyAnswers(a.Answers)
	photos := make(map[string]int, len(a.Photos))
	for k, v := range a.Photos {
		photos[k] = v
	}
	a.Photos = photos
	st.Copy = &a
}

// pinned returns the assessment with the set it is pinned to.
func (w *turn) pinned(a flows.Assessment) (flows.Assessment, *scoring.Set, error) {
	set, ok := w.m.cfg.Sets.Get(a.SetID, a.SetVersion)
	if !ok {
		return a, nil, fmt.Errorf("assessment %d is pinned to %s@%d, which is not loaded", a.ID, a.SetID, a.SetVersion)
	}
	return a, set, nil
}

// done ends the self-assessment: the conversation goes back home.
func (w *turn) done() error { return w.t.SwitchHome() }

func copyAnswers(in scoring.Answers) scoring.Answers {
	out := make(scoring.Answers, len(in)+1)
	for k, v := range in {
		out[k] = v
	}
	return out
}

var _ flows.Module = (*Module)(nil)
