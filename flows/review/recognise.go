package review

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hoctap/certificate"
	"hoctap/flows"
	"hoctap/role"
)

// EventRecognised names the event that brings a representative the
// certificate of a recognition (the store's notice of the same name):
// Ref.ID is the recognition.
const EventRecognised = "recognised"

// maxBatch is the most submissions one confirmation recognises (the
// store's limit).
const maxBatch = 50

// maxDecisionNo is the longest decision number taken.
const maxDecisionNo = 40

// Steps of recognition, in the review conversation.
const (
	stepPending  = "pending"  // the accepted submissions waiting for recognition
	stepDecision = "decision" // the decision's number
	stepDate     = "date"     // the decision's date
	stepConfirm  = "confirm"  // recognise the batch under the decision
)

// Verbs of recognition's buttons.
const (
	verbBatch   = "rg" // recognise the batch listed: asks the decision
	verbToday   = "td" // the decision is dated today
	verbConfirm = "rc" // confirm the batch
)

// recognising is the Enter argument of /recognise.
type recognising struct{}

// OpenRecognise is the /recognise command, at any step: the accepted
// submissions waiting for the person's confirmation, for a recogniser.
func (m *Module) OpenRecognise(t *flows.Turn) error {
	return m.enter(t, role.Recognise, "recognise.none", recognising{})
}

// showPending lists the batch to recognise.
func (r *turn) showPending() error {
	t := r.t
	pending, err := r.m.store.Pending(t.Ctx, t.Env.Person, maxBatch)
	if err != nil {
		return fmt.Errorf("load pending recognitions: %w", err)
	}
	*r.st = state{Step: stepPending}
	leave := []flows.Button{r.btn(t.T("button.review.leave"), verbLeave, 0, 0, "", "")}
	if len(pending) == 0 {
		t.Screen(t.T("recognise.empty"), leave)
		return nil
	}
	lang := t.P.Lang()
	var b strings.Builder
	b.WriteString(t.T("recognise.pending", map[string]any{"N": len(pending)}))
	for _, q := range pending {
		r.st.IDs = append(r.st.IDs, q.AssessmentID)
		b.WriteString("\n• " + flows.Esc(t.T("review.queue.item", map[string]any{"Name": q.SubjectName, "Area": q.AreaName.In(lang), "Date": t.P.Date(q.WaitingSince)})))
	}
	t.Screen(b.String(), []flows.Button{r.btn(t.T("button.recognise.batch", map[string]any{"N": len(pending)}), verbBatch, 0, 0, "", "")}, leave)
	return nil
}

// recogniseButton handles the buttons of recognition's steps.
func (r *turn) recogniseButton(tok flows.Token) (bool, error) {
	t := r.t
	switch {
	case tok.Verb == verbBatch && r.st.Step == stepPending && len(r.st.IDs) > 0:
		r.st.Step = stepDecision
		return true, r.show()
	case tok.Verb == verbToday && r.st.Step == stepDate:
		r.st.Date = t.Now().In(vietnam).Format(time.DateOnly)
		r.st.Step = stepConfirm
		return true, r.show()
	case tok.Verb == verbConfirm && r.st.Step == stepConfirm:
		return true, r.recognise()
	}
	return false, nil
}

// vietnam is the time zone decisions are dated in.
var vietnam = time.FixedZone("ICT", 7*3600)

// showRecognise shows the steps after the batch: the decision's number,
// its date, and the confirmation.
func (r *turn) showRecognise() error {
	t := r.t
	back := []flows.Button{r.btn(t.T("button.back"), verbQueue, 0, 0, "", "")}
	switch r.st.Step {
	case stepDecision:
		t.Screen(t.T("recognise.decision", map[string]any{"N": len(r.st.IDs)}), back)
		t.TakesText()
	case stepDate:
		today := t.P.Date(t.Now())
		t.Screen(t.T("recognise.date", map[string]any{"No": flows.Esc(r.st.DecisionNo)}),
			[]flows.Button{r.btn(t.T("button.recognise.today", map[string]any{"Date": today}), verbToday, 0, 0, "", "")}, back)
		t.TakesText()
	default:
		date, _ := time.Parse(time.DateOnly, r.st.Date)
		t.Screen(t.T("recognise.confirm", map[string]any{"N": len(r.st.IDs), "No": flows.Esc(r.st.DecisionNo), "Date": t.P.Date(date)}),
			[]flows.Button{r.btn(t.T("button.recognise.confirm"), verbConfirm, 0, 0, "", "")}, back)
	}
	return nil
}

// typedRecognise takes the decision's number or date.
func (r *turn) typedRecognise() error {
	t := r.t
	text := t.Typed()
	switch r.st.Step {
	case stepDecision:
		if n := utf8.RuneCountInString(text); n < 1 || n > maxDecisionNo {
			t.Warn(t.T("recognise.decision.bad", map[string]any{"Max": maxDecisionNo}))
			return r.show()
		}
		r.st.DecisionNo, r.st.Step = text, stepDate
	case stepDate:
		date, err := time.Parse("2/1/2006", text)
		if err != nil || date.After(t.Now()) {
			t.Warn(t.T("recognise.date.bad"))
			return r.show()
		}
		r.st.Date, r.st.Step = date.Format(time.DateOnly), stepConfirm
	default:
		t.WarnButtonsOnly()
	}
	return r.show()
}

// recognise records the batch.
func (r *turn) recognise() error {
	t := r.t
	date, _ := time.Parse(time.DateOnly, r.st.Date)
	n := len(r.st.IDs)
	err := r.m.store.Recognise(t.Ctx, flows.Recognising{AssessmentIDs: r.st.IDs, By: t.Env.Person, DecisionNo: r.st.DecisionNo, DecisionDate: date, At: t.Now()})
	switch {
	case errors.Is(err, flows.ErrNotFound), errors.Is(err, flows.ErrConflict):
		t.Warn(t.T("recognise.changed"))
		return r.showPending()
	case err != nil:
		return fmt.Errorf("recognise: %w", err)
	}
	t.Warn(t.T("recognise.done", map[string]any{"N": n, "No": flows.Esc(r.st.DecisionNo)}))
	return r.showPending()
}

// Certify sends a representative the certificate of a recognition, in
// their language; one that ended since drops itself.
func (m *Module) Certify(t *flows.Turn) error {
	g, err := m.store.Recognised(t.Ctx, t.Env.Person, t.In.Ref.ID)
	if errors.Is(err, flows.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load recognition: %w", err)
	}
	if g.Ended {
		return nil
	}
	var places []string
	for _, a := range g.Places {
		places = append(places, a.Name.In(t.P.Lang()))
	}
	decision := t.T("certificate.accepted", map[string]any{"Date": t.P.Date(g.At)})
	if g.DecisionNo != "" && g.DecisionDate != nil {
		decision = t.T("certificate.decision", map[string]any{"No": g.DecisionNo, "Date": t.P.Date(*g.DecisionDate)})
	}
	title := t.T("certificate.what", map[string]any{"Kind": t.T("kind." + string(g.Kind)), "Year": g.Year})
	pdf, err := certificate.PDF(certificate.Certificate{
		Header: []string{t.T("certificate.header.state"), t.T("certificate.header.motto")},
		Title:  t.T("certificate.title"),
		Lines:  []string{title, g.SubjectName, strings.Join(places, ", "), decision},
		Footer: t.T("certificate.footer", map[string]any{"Date": t.P.Date(g.At)}),
		At:     g.At,
	})
	if err != nil {
		return err
	}
	t.Document("giay-cong-nhan-"+strconv.FormatInt(g.ID, 10)+".pdf", pdf,
		t.T("certificate.caption", map[string]any{"What": flows.Esc(title), "Name": flows.Esc(g.SubjectName)}))
	return nil
}
