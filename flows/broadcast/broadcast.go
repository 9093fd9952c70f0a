// Package broadcast is the conversation, entered by /broadcast at any
// step, in which an admin or leader sends an announcement to the people
// holding a role within their area and below it — "the assessment season
// opens" — and follows it: the text typed, a preview with the number of
// recipients, a confirmation, then the broadcast's progress (sent,
// pending, failed), which they may pause, resume or cancel. Package
// deliver brings it to each recipient, as the event this package shows.
// The store checks every broadcast against the sender's roles (package
// role: Broadcast), whatever a button carries.
package broadcast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"hoctap/flows"
	"hoctap/role"
)

// Name is the module's name in envelopes and tokens.
const Name = "bc"

// Event names the event that shows a broadcast to one recipient: Ref.ID is
// the broadcast.
const Event = "broadcast"

// MaxText is the longest announcement, in Telegram's units (UTF-16: an
// emoji counts two): a message holds 4,096, and the preview adds its own
// lines around the text.
const MaxText = 3800

// TextFits reports whether an announcement is 1 to MaxText long.
func TextFits(s string) bool {
	n := len(utf16.Encode([]rune(s)))
	return strings.TrimSpace(s) != "" && n <= MaxText && utf8.ValidString(s)
}

// recent is how many of their broadcasts a sender sees listed.
const recent = 5

// Store is what broadcasts need.
type Store interface {
	// BroadcastText returns a broadcast's text in a language (vi or en);
	// flows.ErrNotFound when there is no such broadcast.
	BroadcastText(ctx context.Context, id int64, lang string) (string, error)
	// BroadcastAreas returns the areas a person may broadcast over, by
	// name.
	BroadcastAreas(ctx context.Context, personID int64) ([]flows.Area, error)
	// Recipients counts whom a broadcast to an audience reaches now.
	Recipients(ctx context.Context, a flows.Audience) (int, error)
	// QueueBroadcast queues one and returns its id and number of
	// recipients; flows.ErrNotFound when the sender may not.
	QueueBroadcast(ctx context.Context, b flows.NewBroadcast, now time.Time) (int64, int, error)
	// BroadcastStatusOf returns how a broadcast of the person's goes;
	// flows.ErrNotFound when there is no such one of theirs.
	BroadcastStatusOf(ctx context.Context, id, by int64) (flows.BroadcastStatus, error)
	// SetBroadcast pauses, resumes or cancels one of the person's.
	SetBroadcast(ctx context.Context, id, by int64, state string, now time.Time) (flows.BroadcastStatus, error)
	// Broadcasts returns the person's latest, the newest first.
	Broadcasts(ctx context.Context, by int64, limit int) ([]flows.BroadcastStatus, error)
	// Area returns an area by its code.
	Area(ctx context.Context, code string) (flows.Area, error)
}

// Show shows a broadcast to a recipient in their language, beside
// whatever they are doing: the step they are on stays as it is.
func Show(store Store) func(t *flows.Turn) error {
	return func(t *flows.Turn) error {
		text, err := store.BroadcastText(t.Ctx, t.In.Ref.ID, t.Env.Lang)
		if errors.Is(err, flows.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load broadcast: %w", err)
		}
		t.Say(t.T("broadcast.show", map[string]any{"Text": flows.Esc(text)}))
		return nil
	}
}

// Module is the conversation.
type Module struct{ store Store }

// New makes the module.
func New(store Store) *Module { return &Module{store: store} }

// Steps.
const (
	stepList     = "list"     // the person's latest broadcasts, and a new one
	stepArea     = "area"     // over which of their areas
	stepAudience = "audience" // to whom
	stepText     = "text"     // the announcement, typed
	stepPreview  = "preview"  // as it will show, with the number of recipients
	stepEnglish  = "english"  // its English version, typed (optional)
	stepAt       = "at"       // when it goes out, typed (optional: at once)
	stepStatus   = "status"   // one broadcast's progress
)

// Verbs. What opens or changes a broadcast names it (ID).
const (
	verbNew      = "nw"
	verbArea     = "ar" // Code: the area
	verbAudience = "au" // Value: a role, flows.Representative, or everyone
	verbSend     = "ok" // ID: the number of recipients the preview said
	verbEdit     = "ed" // type the text again
	verbEnglish  = "en" // type its English version
	verbAt       = "at" // type when it goes out
	verbNow      = "ni" // send at once, not at the time typed
	verbOpen     = "op" // ID: the broadcast
	verbRefresh  = "rf" // ID
	verbPause    = "ps" // ID
	verbResume   = "rs" // ID
	verbCancel   = "cn" // ID
	verbBack     = "bk"
	verbLeave    = "x"
)

// everyone is the audience value of every person (an admin or leader of
// the nation's).
const everyone = "all"

// audiences are the roles a broadcast may go to, in the order offered.
var audiences = []string{flows.Representative, string(role.Reviewer), string(role.Recogniser), string(role.Leader), string(role.Admin)}

type state struct {
	Step     string `json:"s"`
	Area     string `json:"a,omitempty"`
	Audience string `json:"r,omitempty"` // a role, flows.Representative, or everyone
	Text     string `json:"t,omitempty"` // the announcement typed
	Draft    string `json:"d,omitempty"` // the key of the input that typed it: names the draft
	English  string `json:"e,omitempty"` // its English version, when typed; else the text is the same in both
	At       string `json:"w,omitempty"` // when it goes out (RFC 3339), when a time was typed; else at once
	ID       int64  `json:"i,omitempty"` // the broadcast shown
}

func (*Module) Name() string { return Name }
func (*Module) Version() int { return 1 }
func (*Module) Load(data []byte) (any, error) {
	st := &state{}
	return st, json.Unmarshal(data, st)
}

// Resume gives nothing back: a lost conversation is entered again by
// /broadcast.
func (*Module) Resume(*flows.Turn) (any, bool, error) { return nil, false, nil }

func (*Module) Enter(*flows.Turn, any) (any, error) { return &state{Step: stepList}, nil }

// Open is the /broadcast command, at any step: the person's broadcasts
// and a new one, for whoever may send one; a short answer for anyone else.
func (m *Module) Open(t *flows.Turn) error {
	areas, err := m.store.BroadcastAreas(t.Ctx, t.Env.Person)
	if err != nil {
		return fmt.Errorf("load the areas of broadcasts: %w", err)
	}
	return t.EnterIf(len(areas) > 0, "broadcast.none", Name, nil)
}

func (*Module) Command(t *flows.Turn, name string) (bool, error) { return flows.LeaveCommand(t, name) }

func (m *Module) Handle(t *flows.Turn) error {
	st := t.State().(*state)
	switch {
	case t.In.Kind == flows.InputButton:
		return m.button(t, st, t.Token)
	case !t.In.Kind.FromPerson():
		return nil
	case (st.Step == stepText || st.Step == stepEnglish) && t.In.Kind == flows.InputText:
		text := strings.TrimSpace(t.In.Text)
		if !TextFits(text) {
			t.Warn(t.T("broadcast.text.length", map[string]any{"Max": MaxText}))
			return m.Show(t)
		}
		if st.Step == stepEnglish {
			st.English = text
		} else {
			st.Text = text
		}
		st.Step, st.Draft = stepPreview, t.In.Key // a changed text is a new draft
		return m.Show(t)
	case st.Step == stepAt && t.In.Kind == flows.InputText:
		at, ok := parseAt(t.In.Text, t.Now())
		if !ok {
			t.Warn(t.T("broadcast.at.bad"))
			return m.Show(t)
		}
		st.At, st.Step, st.Draft = at.Format(time.RFC3339), stepPreview, t.In.Key
		return m.Show(t)
	case st.Step == stepText || st.Step == stepEnglish || st.Step == stepAt:
		t.Warn(t.T("settings.type_text"))
		return m.Show(t)
	}
	t.WarnButtonsOnly()
	return m.Show(t)
}

func btn(label, verb, code string, id int64, value string) flows.Button {
	return flows.NewButton(label, flows.Token{Module: Name, Verb: verb, Code: code, ID: id, Value: value})
}

func (m *Module) button(t *flows.Turn, st *state, tok flows.Token) error {
	switch {
	case tok.Verb == verbLeave:
		return t.GoHome()
	case tok.Verb == verbBack:
		st.Step = map[string]string{stepArea: stepList, stepAudience: stepArea, stepText: stepAudience, stepPreview: stepText,
			stepEnglish: stepPreview, stepAt: stepPreview}[st.Step]
		if st.Step == stepArea {
			areas, err := m.store.BroadcastAreas(t.Ctx, t.Env.Person)
			if err != nil {
				return fmt.Errorf("load the areas of broadcasts: %w", err)
			}
			if len(areas) == 1 { // the areas were never asked: back to the list
				st.Step = ""
			}
		}
		if st.Step == "" {
			*st = state{Step: stepList}
		}
		return m.Show(t)
	case tok.Verb == verbNew && st.Step == stepList:
		*st = state{Step: stepArea}
		return m.Show(t)
	case tok.Verb == verbArea && st.Step == stepArea:
		areas, err := m.store.BroadcastAreas(t.Ctx, t.Env.Person)
		if err != nil {
			return fmt.Errorf("load the areas of broadcasts: %w", err)
		}
		if !slices.ContainsFunc(areas, func(a flows.Area) bool { return a.Code == tok.Code }) {
			return t.Stale()
		}
		st.Area, st.Step = tok.Code, stepAudience
		return m.Show(t)
	case tok.Verb == verbAudience && st.Step == stepAudience && tok.Code == st.Area:
		if !slices.Contains(audiences, tok.Value) && tok.Value != everyone {
			return t.Stale()
		}
		st.Audience, st.Step = tok.Value, stepText
		return m.Show(t)
	case tok.Verb == verbEdit && st.Step == stepPreview:
		st.Step = stepText
		return m.Show(t)
	case tok.Verb == verbEnglish && st.Step == stepPreview:
		st.Step = stepEnglish
		return m.Show(t)
	case tok.Verb == verbAt && st.Step == stepPreview:
		st.Step = stepAt
		return m.Show(t)
	case tok.Verb == verbNow && st.Step == stepPreview && st.At != "":
		st.At, st.Draft = "", st.Draft+":now"
		return m.Show(t)
	case tok.Verb == verbSend && st.Step == stepPreview:
		return m.send(t, st, tok)
	case tok.Verb == verbOpen && (st.Step == stepList || st.Step == stepStatus):
		*st = state{Step: stepStatus, ID: tok.ID}
		return m.Show(t)
	case tok.Verb == verbRefresh && st.Step == stepStatus && tok.ID == st.ID:
		return m.Show(t)
	case (tok.Verb == verbPause || tok.Verb == verbResume || tok.Verb == verbCancel) && st.Step == stepStatus && tok.ID == st.ID:
		to := map[string]string{verbPause: flows.BroadcastPaused, verbResume: flows.BroadcastSending, verbCancel: flows.BroadcastCancelled}[tok.Verb]
		now, err := m.store.BroadcastStatusOf(t.Ctx, st.ID, t.Env.Person)
		if errors.Is(err, flows.ErrNotFound) {
			*st = state{Step: stepList}
			return t.Stale()
		} else if err != nil {
			return fmt.Errorf("load broadcast: %w", err)
		}
		if !slices.Contains(actions(now.State), tok.Verb) { // a button of a screen before it changed
			return t.Stale()
		}
		if _, err := m.store.SetBroadcast(t.Ctx, st.ID, t.Env.Person, to, t.Now()); errors.Is(err, flows.ErrNotFound) {
			*st = state{Step: stepList}
			return t.Stale()
		} else if err != nil {
			return fmt.Errorf("set broadcast: %w", err)
		}
		return m.Show(t)
	}
	return t.Stale()
}

// actions are the verbs a broadcast in a state takes.
func actions(state string) []string {
	switch state {
	case flows.BroadcastSending:
		return []string{verbPause, verbCancel}
	case flows.BroadcastPaused:
		return []string{verbResume, verbCancel}
	}
	return nil
}

// parseAt reads when a broadcast goes out, typed in Vietnam's time as
// "24/12/2026 08:00" or "2026-12-24 08:00": a moment still to come, within
// a year.
func parseAt(s string, now time.Time) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range []string{"02/01/2006 15:04", "2/1/2006 15:04", "2006-01-02 15:04"} {
		if at, err := time.ParseInLocation(layout, s, flows.Vietnam); err == nil {
			return at, at.After(now) && at.Before(now.AddDate(1, 0, 0))
		}
	}
	return time.Time{}, false
}

// audienceOf is the audience a state names.
func audienceOf(st *state) flows.Audience {
	if st.Audience == everyone {
		return flows.Audience{Everyone: true}
	}
	return flows.Audience{Role: st.Audience, Area: st.Area}
}

// send queues the broadcast previewed, if it still reaches as many people
// as the preview said: else the preview shows again with the number now.
func (m *Module) send(t *flows.Turn, st *state, tok flows.Token) error {
	a := audienceOf(st)
	n, err := m.store.Recipients(t.Ctx, a)
	if err != nil {
		return fmt.Errorf("count recipients: %w", err)
	}
	if int64(n) != tok.ID || n == 0 {
		t.Notice(t.T("stale"))
		return m.Show(t)
	}
	// The draft's key makes a second press, or a press delivered again
	// after a turn that failed once the broadcast was stored, find the
	// broadcast queued rather than queue another.
	key := fmt.Sprintf("%d:%s", t.Env.Person, st.Draft)
	b := flows.NewBroadcast{Audience: a, By: t.Env.Person, TextVI: st.Text, TextEN: st.Text, At: t.Now(), Key: key}
	if st.English != "" {
		b.TextEN = st.English
	}
	if at, err := time.Parse(time.RFC3339, st.At); err == nil && at.After(t.Now()) {
		b.At = at
	}
	id, _, err := m.store.QueueBroadcast(t.Ctx, b, t.Now())
	if errors.Is(err, flows.ErrNotFound) {
		*st = state{Step: stepList}
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("queue broadcast: %w", err)
	}
	*st = state{Step: stepStatus, ID: id}
	t.Warn(t.T("broadcast.queued"))
	return m.Show(t)
}

// audienceText says to whom a broadcast goes.
func (m *Module) audienceText(t *flows.Turn, a flows.Audience) (string, error) {
	if a.Everyone {
		return t.T("broadcast.to.all"), nil
	}
	ar, err := m.store.Area(t.Ctx, a.Area)
	if err != nil {
		return "", fmt.Errorf("load area: %w", err)
	}
	return t.T("broadcast.to", map[string]any{"Who": t.T("broadcast.audience." + a.Role), "Area": flows.Esc(ar.Name.In(t.P.Lang()))}), nil
}

func (m *Module) Show(t *flows.Turn) error {
	st := t.State().(*state)
	back := []flows.Button{btn(t.T("button.back"), verbBack, "", 0, "")}
	switch st.Step {
	case stepArea:
		areas, err := m.store.BroadcastAreas(t.Ctx, t.Env.Person)
		if err != nil {
			return fmt.Errorf("load the areas of broadcasts: %w", err)
		}
		if len(areas) == 1 {
			st.Area, st.Step = areas[0].Code, stepAudience
			return m.Show(t)
		}
		var rows [][]flows.Button
		for _, a := range areas {
			rows = append(rows, []flows.Button{btn(a.Name.In(t.P.Lang()), verbArea, a.Code, 0, "")})
		}
		t.Screen(t.T("broadcast.area"), append(rows, back)...)
	case stepAudience:
		ar, err := m.store.Area(t.Ctx, st.Area)
		if err != nil {
			return fmt.Errorf("load area: %w", err)
		}
		var rows [][]flows.Button
		if ar.Level == "nation" {
			rows = append(rows, []flows.Button{btn(t.T("broadcast.to.all"), verbAudience, st.Area, 0, everyone)})
		}
		for _, r := range audiences {
			rows = append(rows, []flows.Button{btn(t.T("broadcast.audience."+r), verbAudience, st.Area, 0, r)})
		}
		t.Screen(t.T("broadcast.audience", map[string]any{"Area": flows.Esc(ar.Name.In(t.P.Lang()))}), append(rows, back)...)
	case stepText:
		to, err := m.audienceText(t, audienceOf(st))
		if err != nil {
			return err
		}
		t.Screen(t.T("broadcast.text", map[string]any{"To": to, "Max": MaxText}), back)
		t.TakesText()
	case stepPreview:
		a := audienceOf(st)
		to, err := m.audienceText(t, a)
		if err != nil {
			return err
		}
		n, err := m.store.Recipients(t.Ctx, a)
		if err != nil {
			return fmt.Errorf("count recipients: %w", err)
		}
		preview := t.T("broadcast.show", map[string]any{"Text": flows.Esc(st.Text)})
		var rows [][]flows.Button
		text := t.T("broadcast.preview", map[string]any{"Preview": preview, "To": to, "N": n, "Count": n})
		if st.English != "" {
			text += "\n" + t.T("broadcast.preview.english", map[string]any{"N": len(utf16.Encode([]rune(st.English)))})
		}
		send := "button.broadcast.send"
		if at, err := time.Parse(time.RFC3339, st.At); err == nil {
			text += "\n" + t.T("broadcast.preview.at", map[string]any{"At": t.P.Time(at)})
			send = "button.broadcast.send.at"
		}
		if n > 0 {
			rows = append(rows, []flows.Button{btn(t.T(send, map[string]any{"N": n, "Count": n}), verbSend, "", int64(n), "")})
		} else {
			text += "\n" + t.T("broadcast.nobody")
		}
		when := btn(t.T("button.broadcast.at"), verbAt, "", 0, "")
		if st.At != "" {
			when = btn(t.T("button.broadcast.now"), verbNow, "", 0, "")
		}
		rows = append(rows, []flows.Button{btn(t.T("button.broadcast.edit"), verbEdit, "", 0, ""), btn(t.T("button.broadcast.english"), verbEnglish, "", 0, "")},
			[]flows.Button{when, btn(t.T("button.back"), verbBack, "", 0, "")})
		t.Screen(text, rows...)
	case stepEnglish:
		t.Screen(t.T("broadcast.english", map[string]any{"Max": MaxText}), back)
		t.TakesText()
	case stepAt:
		t.Screen(t.T("broadcast.at"), back)
		t.TakesText()
	case stepStatus:
		s, err := m.store.BroadcastStatusOf(t.Ctx, st.ID, t.Env.Person)
		if errors.Is(err, flows.ErrNotFound) {
			*st = state{Step: stepList}
			return m.Show(t)
		}
		if err != nil {
			return fmt.Errorf("load broadcast: %w", err)
		}
		to, err := m.audienceText(t, s.Audience)
		if err != nil {
			return err
		}
		text := t.T("broadcast.status", map[string]any{"ID": s.ID, "To": to, "State": t.T("broadcast.state." + s.State),
			"At": t.P.Time(s.At), "N": s.Recipients, "Sent": s.Sent, "Pending": s.Pending, "Failed": s.Failed})
		var buttons []flows.Button
		for _, verb := range actions(s.State) {
			buttons = append(buttons, btn(t.T(map[string]string{verbPause: "button.broadcast.pause", verbResume: "button.broadcast.resume",
				verbCancel: "button.broadcast.cancel"}[verb]), verb, "", s.ID, ""))
		}
		rows := [][]flows.Button{{btn(t.T("button.broadcast.refresh"), verbRefresh, "", s.ID, "")}}
		if len(buttons) > 0 {
			rows = append(rows, buttons)
		}
		t.Screen(text, append(rows, back)...)
	default:
		st.Step = stepList
		mine, err := m.store.Broadcasts(t.Ctx, t.Env.Person, recent)
		if err != nil {
			return fmt.Errorf("load broadcasts: %w", err)
		}
		var rows [][]flows.Button
		for _, s := range mine {
			rows = append(rows, []flows.Button{btn(t.T("button.broadcast.open", map[string]any{"ID": s.ID, "State": t.T("broadcast.state." + s.State),
				"Sent": s.Sent, "N": s.Recipients}), verbOpen, "", s.ID, "")})
		}
		text := t.T("broadcast.list.none")
		if len(mine) > 0 {
			text = t.T("broadcast.list")
		}
		rows = append(rows, []flows.Button{btn(t.T("button.broadcast.new"), verbNew, "", 0, "")},
			[]flows.Button{btn(t.T("button.invitations.leave"), verbLeave, "", 0, "")})
		t.Screen(text, rows...)
	}
	return nil
}
