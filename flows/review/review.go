// Package review is the conversation of a study-promotion member who
// reviews submissions: the queue of what waits in their area, oldest
// first; one submission with its answers, score and photos; and the
// decision — accept, send back for changes, reject — with a reason where
// one is due, and an undo within ten minutes. It is entered by /review at
// any step of any conversation and returns home when left. /recognise is
// its recogniser's part: the accepted submissions of a province that
// confirms recognitions, recognised as a batch under a decision. It tells
// representatives of decisions and sends them their certificate.
//
// The store checks every action against the person's roles (package
// role), whatever a button carries: outside their area a submission is
// not found, and a button naming it is stale.
package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hoctap/flows"
	"hoctap/flows/enrol"
	"hoctap/role"
	"hoctap/scoring"
)

// Name is the module's name in envelopes and tokens.
const Name = "r"

// MaxReason is the longest reason a reviewer may type.
const MaxReason = 300

// pageSize is how many submissions a queue screen lists.
const pageSize = 10

// albumSize is the most photos one album message holds (Telegram's limit).
const albumSize = 10

// UndoWithin is how long a reviewer may take back their own decision; the
// store holds the same.
const UndoWithin = 10 * time.Minute

// Reasons are the default reasons a reviewer picks from, as locale ids,
// where the province has no list of its own (flows/settings); a picked
// reason is stored by its id, so that each person reads it in their own
// language. A province's own reason is stored as its text: what the
// province typed, or the id of a default one it kept.
var Reasons = []string{"review.reason.photo", "review.reason.evidence", "review.reason.answers", "review.reason.name"}

// ReasonText is a stored reason as a person reads it: a default one in
// their language, a typed one (by the reviewer or in the province's list)
// as typed.
func ReasonText(t *flows.Turn, reason string) string {
	for _, id := range Reasons {
		if reason == id {
			return t.T(id)
		}
	}
	return reason
}

// Store is what review needs to keep.
type Store interface {
	// May reports whether a person holds a role that allows an action
	// anywhere.
	May(ctx context.Context, personID int64, a role.Action) (bool, error)
	// Queue returns a page of the submissions waiting in the person's
	// scope, the longest waiting first, and how many wait in all.
	Queue(ctx context.Context, personID int64, offset, limit int) ([]flows.Queued, int, error)
	// ForReview returns a submission to open; flows.ErrNotFound when it
	// is not the person's to see.
	ForReview(ctx context.Context, personID, assessmentID int64) (flows.UnderReview, error)
	// Decide records a decision; flows.ErrNotFound when it is not the
	// person's to decide, flows.ErrDone when they made it already,
	// flows.ErrConflict when another decision came first.
	Decide(ctx context.Context, d flows.Decision) ([]int64, error)
	// Undo takes back the person's own decision at rev within
	// UndoWithin; flows.ErrConflict when it can no longer be.
	Undo(ctx context.Context, reviewer, assessmentID int64, rev int, at time.Time) error
	// ScoreByReviewer records a reviewer's points for an indicator the
	// reviewer scores; flows.ErrNotFound or ErrConflict as Decide.
	ScoreByReviewer(ctx context.Context, p flows.ReviewerPoints) error
	// EvidenceFiles returns the channel ids of an assessment's photos by
	// question.
	EvidenceFiles(ctx context.Context, assessmentID int64) (flows.EvidenceFiles, error)
	// Told returns the decision on a submission for one of its
	// representatives; flows.ErrNotFound when they do not represent it.
	Told(ctx context.Context, personID, assessmentID int64) (flows.Told, error)
	// Pending returns the accepted submissions waiting for the person to
	// recognise them, at most limit.
	Pending(ctx context.Context, personID int64, limit int) ([]flows.Queued, error)
	// Waiting counts what waits for the person to decide, and of it what
	// waits since before late.
	Waiting(ctx context.Context, personID int64, late time.Time) (flows.Waiting, error)
	// Recognise confirms a batch under one decision, all or none;
	// flows.ErrNotFound or flows.ErrConflict when one cannot be.
	Recognise(ctx context.Context, r flows.Recognising) error
	// Recognised returns a recognition for one of its subject's
	// representatives; flows.ErrNotFound otherwise.
	Recognised(ctx context.Context, personID, recognitionID int64) (flows.Recognised, error)
	// Reasons returns the own reasons of the province of a submission the
	// person may decide (none: the default ones apply); flows.ErrNotFound
	// when it is not theirs.
	Reasons(ctx context.Context, personID, assessmentID int64) ([]flows.Reason, error)
	// Titles returns a page of the recognitions in force the person may
	// send back (from a province's level or the nation's), the newest
	// first, and how many there are.
	Titles(ctx context.Context, personID int64, offset, limit int) ([]flows.Recognised, int, error)
	// Return sends a recognised title back with a reason;
	// flows.ErrNotFound when it is not the person's to send back,
	// flows.ErrConflict when it has ended already.
	Return(ctx context.Context, r flows.Returning) error
}

// EventDecided names the event that tells a representative of a decision
// (the store's notice of the same name): Ref.ID is the assessment, Ref.Rev
// the review's revision the decision made.
const EventDecided = "decided"

// Tell tells a representative of the decision on their submission, in
// their language, with the reason and what to do next; a notice of a
// decision taken back or decided again since drops itself.
func (m *Module) Tell(t *flows.Turn) error {
	ref := t.In.Ref
	d, err := m.store.Told(t.Ctx, t.Env.Person, ref.ID)
	if errors.Is(err, flows.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load decision: %w", err)
	}
	if d.Rev != ref.Rev || d.State == flows.ReviewWaiting {
		return nil
	}
	text := t.T("review.told."+d.State, map[string]any{"Kind": t.T("kind." + string(d.Kind)), "Name": flows.Esc(d.SubjectName)})
	if d.Reason != "" {
		text += "\n" + t.T("review.reason", map[string]any{"Reason": flows.Esc(ReasonText(t, d.Reason))})
	}
	if d.State == flows.ReviewNeedsChanges {
		text += "\n\n" + t.T("review.told.next")
	}
	t.Say(text)
	return nil
}

// Describer writes a submission's answers for its reviewer (the
// self-assessment module does).
type Describer interface {
	Describe(t *flows.Turn, a flows.Assessment, before scoring.Answers) (string, error)
}

// Module is the review conversation.
type Module struct {
	store    Store
	sets     *scoring.Catalog
	describe Describer
}

// New makes the module.
func New(store Store, sets *scoring.Catalog, describe Describer) *Module {
	return &Module{store: store, sets: sets, describe: describe}
}

// Steps of review.
const (
	stepQueue  = "queue"  // the submissions waiting
	stepOpen   = "open"   // one submission, to decide
	stepReason = "reason" // the reason of a send-back or rejection
)

// Verbs of its buttons. A button on a submission names it (ID) and the
// review's revision it was shown at (Rev).
const (
	verbOpen    = "op" // ID: the submission to open
	verbPage    = "pg" // Value: the queue's page
	verbQueue   = "ls" // back to the queue
	verbLeave   = "x"  // leave review
	verbAccept  = "ok" // accept
	verbChanges = "ch" // send back for changes: asks the reason
	verbReject  = "rj" // reject: asks the reason
	verbReason  = "rs" // Code: the decision (ch or rj); Value: the reason picked, by its place in Reasons
	verbOwn     = "rp" // Code: the decision (ch or rj); Value: the id of the province's own reason picked
	verbUndo    = "un" // take back one's own decision; Rev: the review's revision after it
	verbCard    = "cd" // back from the reasons to the submission
	verbAssist  = "ae" // fill in a household's self-assessment on its behalf
)

// state is what review keeps between inputs.
type state struct {
	Step string `json:"s"`
	Page int    `json:"p,omitempty"`
	ID   int64  `json:"a,omitempty"` // the submission open
	Rev  int    `json:"r,omitempty"` // its review's revision as shown
	// Verdict is the decision whose reason is asked: verbChanges or
	// verbReject.
	Verdict string `json:"v,omitempty"`
	// IDs are the accepted submissions a recogniser confirms, as listed;
	// DecisionNo and Date (YYYY-MM-DD) the decision they are recognised
	// under.
	Code       string  `json:"c,omitempty"` // the indicator whose reviewer's points are asked
	IDs        []int64 `json:"ids,omitempty"`
	DecisionNo string  `json:"no,omitempty"`
	Date       string  `json:"d,omitempty"`
	Title      int64   `json:"t,omitempty"` // the recognised title shown, to send back
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }

func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	return st, json.Unmarshal(data, st)
}

// Resume gives nothing back: a lost review conversation is entered again
// by /review.
func (*Module) Resume(*flows.Turn) (any, bool, error) { return nil, false, nil }

// Enter starts at the queue, or for /recognise at what waits for
// recognition.
func (*Module) Enter(_ *flows.Turn, arg any) (any, error) {
	if _, ok := arg.(recognising); ok {
		return &state{Step: stepPending}, nil
	}
	return &state{Step: stepQueue}, nil
}

// Open is the /review command, at any step of any conversation: the queue
// for a person who may review, a short answer for anyone else.
func (m *Module) Open(t *flows.Turn) error { return m.enter(t, role.ReviewList, "review.none", nil) }

// enter switches to review for a person whose roles allow the action, and
// gives anyone else the short answer none.
func (m *Module) enter(t *flows.Turn, a role.Action, none string, arg any) error {
	ok, err := m.store.May(t.Ctx, t.Env.Person, a)
	if err != nil {
		return fmt.Errorf("check %s: %w", a, err)
	}
	return t.EnterIf(ok, none, Name, arg)
}

// paged loads the page *page of a list pageSize long, with the list's
// length and its number of pages; a page past the end (the list shrank
// meanwhile) becomes the last one.
func paged[T any](page *int, load func(offset, limit int) ([]T, int, error)) ([]T, int, int, error) {
	items, total, err := load(*page*pageSize, pageSize)
	if err != nil {
		return nil, 0, 0, err
	}
	pages := max(1, (total+pageSize-1)/pageSize)
	if *page >= pages {
		*page = pages - 1
		if items, total, err = load(*page*pageSize, pageSize); err != nil {
			return nil, 0, 0, err
		}
	}
	return items, total, pages, nil
}

// turn is one input to review.
type turn struct {
	m  *Module
	t  *flows.Turn
	st *state
}

func (m *Module) turn(t *flows.Turn) *turn { return &turn{m: m, t: t, st: t.State().(*state)} }

func (m *Module) Handle(t *flows.Turn) error {
	r := m.turn(t)
	switch {
	case t.In.Kind == flows.InputButton:
		return r.button(t.Token)
	case !t.In.Kind.FromPerson():
		return nil
	case r.st.Step == stepReason && t.In.Kind == flows.InputText:
		return r.typedReason()
	case (r.st.Step == stepDecision || r.st.Step == stepDate) && t.In.Kind == flows.InputText:
		return r.typedRecognise()
	case r.st.Step == stepPoints && t.In.Kind == flows.InputText:
		return r.typedPoints()
	case r.st.Step == stepReturn && t.In.Kind == flows.InputText:
		return r.typedReturn()
	}
	t.WarnButtonsOnly()
	return r.show()
}

func (m *Module) Command(t *flows.Turn, name string) (bool, error) {
	switch name {
	case "start", "cancel":
		if err := t.SwitchHome(); err != nil {
			return true, err
		}
		if name == "cancel" {
			t.Say(t.T("review.left"))
		}
		return true, t.Show()
	}
	return false, nil
}

func (m *Module) Show(t *flows.Turn) error { return m.turn(t).show() }

func (r *turn) show() error {
	switch r.st.Step {
	case stepOpen:
		return r.showCard(false)
	case stepReason:
		return r.showReasons()
	case stepPoints:
		return r.showPoints()
	case stepPending:
		return r.showPending()
	case stepDecision, stepDate, stepConfirm:
		return r.showRecognise()
	case stepTitles:
		return r.showTitles()
	case stepTitle, stepReturn:
		return r.showTitle()
	}
	return r.showQueue()
}

func (r *turn) btn(label, verb string, id int64, rev int, code, value string) flows.Button {
	return flows.NewButton(label, flows.Token{Module: Name, Verb: verb, ID: id, Rev: rev, Code: code, Value: value})
}

func (r *turn) button(tok flows.Token) error {
	t := r.t
	switch {
	case tok.Verb == verbLeave:
		return t.GoHome()
	case tok.Verb == verbAssist && r.st.Step == stepQueue:
		if err := t.Switch(enrol.Name, enrol.Assist{}); err != nil {
			return err
		}
		return t.Show()
	case tok.Verb == verbQueue && (r.st.Step == stepDecision || r.st.Step == stepDate || r.st.Step == stepConfirm || r.st.Step == stepTitles):
		return r.showPending() // back from the decision to the batch, or from the titles
	case tok.Verb == verbQueue:
		*r.st = state{Step: stepQueue, Page: r.st.Page}
		return r.show()
	case tok.Verb == verbPage && r.st.Step == stepQueue:
		page, err := strconv.Atoi(tok.Value)
		if err != nil || page < 0 {
			return t.Stale()
		}
		r.st.Page = page
		return r.show()
	case r.st.Step == stepPending || r.st.Step == stepTitles || r.st.Step == stepTitle || r.st.Step == stepReturn,
		tok.ID == 0 && (r.st.Step == stepDate || r.st.Step == stepConfirm):
		if ok, err := r.recogniseButton(tok); ok || err != nil {
			return err
		}
		return t.Stale()
	case tok.Verb == verbOpen && tok.ID > 0:
		r.st.Step, r.st.ID, r.st.Verdict = stepOpen, tok.ID, ""
		return r.showCard(true)
	case tok.ID != r.st.ID || tok.ID == 0:
		return t.Stale() // a button of another submission than the one open
	case tok.Verb == verbAccept && r.st.Step == stepOpen:
		return r.accept(tok.Rev)
	case tok.Verb == verbPoints && r.st.Step == stepPoints && tok.Code == r.st.Code && tok.Rev == r.st.Rev:
		v, err := strconv.Atoi(tok.Value)
		if err != nil {
			return t.Stale()
		}
		return r.points(float64(v))
	case (tok.Verb == verbChanges || tok.Verb == verbReject) && r.st.Step == stepOpen && tok.Rev == r.st.Rev:
		r.st.Step, r.st.Rev, r.st.Verdict = stepReason, tok.Rev, tok.Verb
		return r.show()
	case (tok.Verb == verbReason || tok.Verb == verbOwn) && r.st.Step == stepReason && tok.Code == r.st.Verdict && tok.Rev == r.st.Rev:
		reason, ok, err := r.picked(tok)
		if !ok || err != nil {
			return err
		}
		return r.decide(tok.Rev, verdictState(r.st.Verdict), reason)
	case tok.Verb == verbCard && (r.st.Step == stepReason || r.st.Step == stepPoints):
		r.st.Step, r.st.Verdict, r.st.Code = stepOpen, "", ""
		return r.show()
	case tok.Verb == verbUndo:
		return r.undo(tok.Rev)
	}
	return t.Stale()
}

func verdictState(verb string) string {
	if verb == verbReject {
		return flows.ReviewRejected
	}
	return flows.ReviewNeedsChanges
}

// showQueue lists a page of the submissions waiting.
func (r *turn) showQueue() error {
	t := r.t
	r.st.Step = stepQueue
	queued, total, pages, err := paged(&r.st.Page, func(offset, limit int) ([]flows.Queued, int, error) {
		return r.m.store.Queue(t.Ctx, t.Env.Person, offset, limit)
	})
	if err != nil {
		return fmt.Errorf("load review queue: %w", err)
	}
	lang := t.P.Lang()
	var rows [][]flows.Button
	for _, q := range queued {
		label := t.T("review.queue.item", map[string]any{"Name": q.SubjectName, "Area": q.AreaName.In(lang), "Date": t.P.Date(q.WaitingSince)})
		if q.Resubmitted > 0 {
			label += " ✏️"
		}
		if q.Returned > 0 {
			label += " ↩"
		}
		rows = append(rows, []flows.Button{r.btn(label, verbOpen, q.AssessmentID, 0, "", "")})
	}
	if nav := t.PageButtons(r.st.Page, pages, func(page int) flows.Token {
		return flows.Token{Module: Name, Verb: verbPage, Value: strconv.Itoa(page)}
	}); len(nav) > 0 {
		rows = append(rows, nav)
	}
	decides, err := r.m.store.May(t.Ctx, t.Env.Person, role.ReviewDecide)
	if err != nil {
		return fmt.Errorf("check review role: %w", err)
	}
	if decides {
		rows = append(rows, []flows.Button{r.btn(t.T("button.review.assist"), verbAssist, 0, 0, "", "")})
	}
	rows = append(rows, []flows.Button{r.btn(t.T("button.review.leave"), verbLeave, 0, 0, "", "")})
	text := t.T("review.queue.empty")
	if total > 0 {
		text = t.T("review.queue", map[string]any{"N": total})
		if pages > 1 {
			text += "\n" + t.T("enrol.area.page", map[string]any{"N": r.st.Page + 1, "Of": pages})
		}
	}
	t.Screen(text, rows...)
	return nil
}

// showCard shows the submission open: with its photos first when it is
// opened, then its description and the decisions the person may take.
func (r *turn) showCard(opened bool) error {
	t := r.t
	u, set, ok, err := r.load()
	if !ok {
		return err
	}
	r.st.Rev = u.Review.Rev
	text, err := r.card(u)
	if err != nil {
		return err
	}
	var rows [][]flows.Button
	switch {
	case u.Review.State == flows.ReviewWaiting && u.MayDecide:
		rows = append(rows, []flows.Button{
			r.btn(t.T("button.review.accept"), verbAccept, u.ID, u.Review.Rev, "", ""),
			r.btn(t.T("button.review.changes"), verbChanges, u.ID, u.Review.Rev, "", ""),
			r.btn(t.T("button.review.reject"), verbReject, u.ID, u.Review.Rev, "", ""),
		})
	case u.Review.State != flows.ReviewWaiting:
		text += "\n\n" + r.decided(u.Review)
		if r.mayUndo(u.Review) {
			rows = append(rows, []flows.Button{r.btn(t.T("button.review.undo"), verbUndo, u.ID, u.Review.Rev, "", "")})
		}
	}
	rows = append(rows, []flows.Button{r.btn(t.T("button.review.queue"), verbQueue, 0, 0, "", "")})
	if !opened {
		t.Screen(text, rows...)
		return nil
	}
	files, err := r.m.store.EvidenceFiles(t.Ctx, u.ID)
	if err != nil {
		return fmt.Errorf("load evidence: %w", err)
	}
	photos := 0
	for _, ind := range set.Indicators() {
		ids := files[ind.Code]
		for i := 0; i < len(ids); i += albumSize {
			caption := "<b>" + flows.Esc(ind.Code) + "</b> " + flows.Esc(scoring.ShortText(ind.Short, ind.Text, t.P.Lang()))
			t.Photos(ids[i:min(len(ids), i+albumSize)], caption)
			photos++
		}
	}
	if photos == 0 {
		t.Screen(text, rows...) // in place of the queue
		return nil
	}
	t.Say(text, rows...) // below its photos
	return nil
}

// load reads the submission open and its set; ok is false when it is no
// longer the person's to see, and they are told the button is stale and
// shown the queue.
func (r *turn) load() (u flows.UnderReview, set *scoring.Set, ok bool, err error) {
	t := r.t
	u, err = r.m.store.ForReview(t.Ctx, t.Env.Person, r.st.ID)
	if errors.Is(err, flows.ErrNotFound) {
		*r.st = state{Step: stepQueue, Page: r.st.Page}
		return u, nil, false, t.Stale()
	}
	if err != nil {
		return u, nil, false, fmt.Errorf("open submission: %w", err)
	}
	set, _ = r.m.sets.Get(u.SetID, u.SetVersion)
	return u, set, true, nil
}

// lost answers a store's refusal of a decision or points: not the
// person's (a stale button) or decided by another meanwhile; handled is
// false for any other outcome.
func (r *turn) lost(err error) (handled bool, _ error) {
	t := r.t
	switch {
	case errors.Is(err, flows.ErrNotFound):
		*r.st = state{Step: stepQueue, Page: r.st.Page}
		return true, t.Stale()
	case errors.Is(err, flows.ErrConflict):
		t.Warn(t.T("review.taken"))
		*r.st = state{Step: stepQueue, Page: r.st.Page}
		return true, r.show()
	}
	return false, nil
}

// card writes the submission for its reviewer.
func (r *turn) card(u flows.UnderReview) (string, error) {
	t := r.t
	var before scoring.Answers
	var b strings.Builder
	b.WriteString(t.T("review.card", map[string]any{
		"Kind": t.T("kind." + string(u.Kind)), "Name": flows.Esc(u.SubjectName), "Area": flows.Esc(u.Area.Name.In(t.P.Lang())),
		"Date": t.P.Date(u.Review.WaitingSince), "Set": flows.Esc(fmt.Sprintf("%s@%d", u.SetID, u.SetVersion)),
	}))
	if u.Review.Returned > 0 && u.Review.State == flows.ReviewWaiting && u.Review.Reviewer == 0 {
		b.WriteString("\n" + t.T("review.card.returned", map[string]any{"Reason": flows.Esc(u.Review.Reason)}))
	} else if u.Review.Resubmitted > 0 && u.Review.State == flows.ReviewWaiting {
		before = u.Review.Before
		b.WriteString("\n" + t.T("review.card.resubmitted", map[string]any{"N": u.Review.Resubmitted,
			"Reason": flows.Esc(ReasonText(t, u.Review.Reason))}))
	}
	answers, err := r.m.describe.Describe(t, u.Assessment, before)
	if err != nil {
		return "", err
	}
	return b.String() + "\n\n" + answers, nil
}

// decided says what was decided on a submission.
func (r *turn) decided(rv flows.Review) string {
	t := r.t
	text := t.T("review.decided."+rv.State, map[string]any{"Date": t.P.Date(*rv.DecidedAt)})
	if rv.Reason != "" {
		text += "\n" + t.T("review.reason", map[string]any{"Reason": flows.Esc(ReasonText(t, rv.Reason))})
	}
	return text
}

func (r *turn) mayUndo(rv flows.Review) bool {
	return rv.Reviewer == r.t.Env.Person && rv.DecidedAt != nil && r.t.Now().Sub(*rv.DecidedAt) <= UndoWithin
}

// reasons returns the province's own reasons for the submission open;
// ok is false when it is no longer the person's to decide, and they are
// told so and shown the queue.
func (r *turn) reasons() (own []flows.Reason, ok bool, err error) {
	own, err = r.m.store.Reasons(r.t.Ctx, r.t.Env.Person, r.st.ID)
	if handled, err := r.lost(err); handled {
		return nil, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("load reasons: %w", err)
	}
	return own, true, nil
}

// showReasons asks the reason of a send-back or a rejection: the
// province's own reasons, or the default ones where it has none.
func (r *turn) showReasons() error {
	t := r.t
	own, ok, err := r.reasons()
	if !ok {
		return err
	}
	var rows [][]flows.Button
	for _, x := range own {
		rows = append(rows, []flows.Button{r.btn(ReasonText(t, x.Text), verbOwn, r.st.ID, r.st.Rev, r.st.Verdict, strconv.FormatInt(x.ID, 10))})
	}
	if len(own) == 0 {
		for i, id := range Reasons {
			rows = append(rows, []flows.Button{r.btn(t.T(id), verbReason, r.st.ID, r.st.Rev, r.st.Verdict, strconv.Itoa(i))})
		}
	}
	rows = append(rows, []flows.Button{r.btn(t.T("button.back"), verbCard, r.st.ID, r.st.Rev, "", "")})
	t.Screen(t.T("review.reason.ask."+verdictState(r.st.Verdict), map[string]any{"Max": MaxReason}), rows...)
	t.TakesText()
	return nil
}

// picked returns the reason a button picks, from the list shown now: a
// default one only where the province has none of its own, one of its
// own only while it is on its list. ok is false when the button is stale
// (told so) or the submission no longer the person's.
func (r *turn) picked(tok flows.Token) (reason string, ok bool, err error) {
	own, ok, err := r.reasons()
	if !ok {
		return "", false, err
	}
	if tok.Verb == verbReason {
		i, err := strconv.Atoi(tok.Value)
		if err != nil || i < 0 || i >= len(Reasons) || len(own) > 0 {
			return "", false, r.t.Stale()
		}
		return Reasons[i], true, nil
	}
	for _, x := range own {
		if strconv.FormatInt(x.ID, 10) == tok.Value {
			return x.Text, true, nil
		}
	}
	return "", false, r.t.Stale()
}

// typedReason takes a typed reason.
func (r *turn) typedReason() error {
	reason, ok := r.reasonTyped()
	if !ok {
		return r.show()
	}
	return r.decide(r.st.Rev, verdictState(r.st.Verdict), reason)
}

// reasonTyped returns the reason typed, or warns that it is too long or
// too short.
func (r *turn) reasonTyped() (string, bool) {
	t := r.t
	reason := t.Typed()
	switch {
	case utf8.RuneCountInString(reason) > MaxReason:
		t.Warn(t.T("review.reason.long", map[string]any{"Max": MaxReason}))
		return "", false
	case utf8.RuneCountInString(reason) < 3:
		t.Warn(t.T("review.reason.short"))
		return "", false
	}
	return reason, true
}

// accept asks the points of the indicators the reviewer scores, the first
// not scored yet, or accepts once all are, with the score they make.
func (r *turn) accept(rev int) error {
	u, set, ok, err := r.load()
	if !ok {
		return err
	}
	if ind := unscored(set, u.Answers); ind != nil && u.Review.Rev == rev && u.Review.State == flows.ReviewWaiting {
		r.st.Step, r.st.Rev, r.st.Code = stepPoints, rev, ind.Code
		return r.show()
	}
	var result *scoring.Result
	if scoredByReviewer(set) {
		res, err := scoring.Score(set, u.Answers, u.Region)
		if err != nil {
			return fmt.Errorf("score assessment %d: %w", u.ID, err)
		}
		result = &res
	}
	return r.decideWith(rev, flows.ReviewAccepted, "", result)
}

// scoredByReviewer reports whether a set has indicators a reviewer scores.
func scoredByReviewer(set *scoring.Set) bool {
	for _, ind := range set.Indicators() {
		if ind.Kind == scoring.AnswerReviewer {
			return true
		}
	}
	return false
}

// decide records a decision at the review revision shown.
func (r *turn) decide(rev int, decision, reason string) error {
	return r.decideWith(rev, decision, reason, nil)
}

// decideWith records a decision, with the score the reviewer's points make
// when there are any.
func (r *turn) decideWith(rev int, decision, reason string, result *scoring.Result) error {
	t := r.t
	_, err := r.m.store.Decide(t.Ctx, flows.Decision{AssessmentID: r.st.ID, Rev: rev, Reviewer: t.Env.Person,
		State: decision, Reason: reason, At: t.Now(), Result: result})
	if handled, err := r.lost(err); handled {
		return err
	}
	if err != nil && !errors.Is(err, flows.ErrDone) {
		return fmt.Errorf("decide: %w", err)
	}
	r.st.Step, r.st.Verdict = stepOpen, ""
	return r.show()
}

// undo takes back the person's own decision.
func (r *turn) undo(rev int) error {
	t := r.t
	err := r.m.store.Undo(t.Ctx, t.Env.Person, r.st.ID, rev, t.Now())
	switch {
	case errors.Is(err, flows.ErrNotFound):
		return t.Stale()
	case errors.Is(err, flows.ErrConflict):
		t.Notice(t.T("review.undo.late"))
	case err != nil:
		return fmt.Errorf("undo: %w", err)
	}
	r.st.Step = stepOpen
	return r.show()
}

var _ flows.Module = (*Module)(nil)
