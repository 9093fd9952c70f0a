package review

import (
	"errors"
	"fmt"
	"slices"
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

// EventReturned names the event that tells a representative a higher
// level sent their recognised title back (the store's notice of the same
// name): Ref.ID is the recognition.
const EventReturned = "returned"

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
	stepTitles   = "titles"   // the titles recognised, for the level above to send one back
	stepTitle    = "title"    // one recognised title
	stepReturn   = "return"   // the reason a recognised title is sent back
)

// Verbs of recognition's buttons.
const (
	verbBatch   = "rg" // recognise the batch listed: asks the decision
	verbOne     = "ro" // ID: recognise this one submission of the list alone
	verbToday   = "td" // the decision is dated today
	verbConfirm = "rc" // confirm the batch
	verbTitles  = "tl" // Value: the page of the titles recognised
	verbTitle   = "tt" // ID: the recognition to show
	verbReturn  = "rt" // ID: send the recognised title back: asks the reason
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
	_, titles, err := r.m.store.Titles(t.Ctx, t.Env.Person, 0, 1)
	if err != nil {
		return fmt.Errorf("count recognised titles: %w", err)
	}
	var end [][]flows.Button
	if titles > 0 { // only the level above may send a title back
		end = append(end, []flows.Button{r.btn(t.T("button.recognise.titles", map[string]any{"N": titles}), verbTitles, 0, 0, "", "0")})
	}
	end = append(end, []flows.Button{r.btn(t.T("button.review.leave"), verbLeave, 0, 0, "", "")})
	if len(pending) == 0 {
		t.Screen(t.T("recognise.empty"), end...)
		return nil
	}
	lang := t.P.Lang()
	var b strings.Builder
	b.WriteString(t.T("recognise.pending", map[string]any{"N": len(pending)}))
	rows := [][]flows.Button{{r.btn(t.T("button.recognise.batch", map[string]any{"N": len(pending)}), verbBatch, 0, 0, "", "")}}
	for _, q := range pending {
		r.st.IDs = append(r.st.IDs, q.AssessmentID)
		item := t.T("review.queue.item", map[string]any{"Name": q.SubjectName, "Area": q.AreaName.In(lang), "Date": t.P.Date(q.WaitingSince)})
		b.WriteString("\n• " + flows.Esc(item))
		if len(pending) > 1 {
			rows = append(rows, []flows.Button{r.btn(t.T("button.recognise.one", map[string]any{"Item": item}), verbOne, q.AssessmentID, 0, "", "")})
		}
	}
	if len(pending) > 1 {
		b.WriteString("\n\n" + t.T("recognise.one_by_one"))
	}
	t.Screen(b.String(), append(rows, end...)...)
	return nil
}

// recogniseButton handles the buttons of recognition's steps.
func (r *turn) recogniseButton(tok flows.Token) (bool, error) {
	t := r.t
	switch {
	case tok.Verb == verbBatch && r.st.Step == stepPending && len(r.st.IDs) > 0:
		r.st.Step = stepDecision
		return true, r.show()
	case tok.Verb == verbOne && r.st.Step == stepPending && slices.Contains(r.st.IDs, tok.ID):
		r.st.IDs, r.st.Step = []int64{tok.ID}, stepDecision
		return true, r.show()
	case tok.Verb == verbTitles:
		page, err := strconv.Atoi(tok.Value)
		if err != nil || page < 0 {
			return true, t.Stale()
		}
		*r.st = state{Step: stepTitles, Page: page}
		return true, r.show()
	case tok.Verb == verbTitle && (r.st.Step == stepTitles || r.st.Step == stepReturn):
		r.st.Step, r.st.Title = stepTitle, tok.ID
		return true, r.show()
	case tok.Verb == verbReturn && r.st.Step == stepTitle && tok.ID == r.st.Title:
		r.st.Step = stepReturn
		return true, r.show()
	case tok.Verb == verbToday && r.st.Step == stepDate:
		r.st.Date = t.Now().In(flows.Vietnam).Format(time.DateOnly)
		r.st.Step = stepConfirm
		return true, r.show()
	case tok.Verb == verbConfirm && r.st.Step == stepConfirm:
		return true, r.recognise()
	}
	return false, nil
}

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

// title returns a recognised title of the page shown that the person may
// send back; false when it is no longer there.
func (r *turn) title() (flows.Recognised, bool, error) {
	titles, _, err := r.m.store.Titles(r.t.Ctx, r.t.Env.Person, r.st.Page*pageSize, pageSize)
	if err != nil {
		return flows.Recognised{}, false, fmt.Errorf("load recognised titles: %w", err)
	}
	for _, g := range titles {
		if g.ID == r.st.Title {
			return g, true, nil
		}
	}
	return flows.Recognised{}, false, nil
}

// titleText writes a recognised title in one line: what, whose, where,
// which year, and under which decision.
func (r *turn) titleText(g flows.Recognised) string {
	t := r.t
	decision := t.T("certificate.accepted", map[string]any{"Date": t.P.Date(g.At)})
	if g.DecisionNo != "" && g.DecisionDate != nil {
		decision = t.T("certificate.decision", map[string]any{"No": g.DecisionNo, "Date": t.P.Date(*g.DecisionDate)})
	}
	return t.T("recognise.title", map[string]any{"Kind": t.T("kind." + string(g.Kind)), "Year": g.Year,
		"Name": flows.Esc(g.SubjectName), "Area": flows.Esc(g.Places[0].Name.In(t.P.Lang())), "Decision": flows.Esc(decision)})
}

// showTitles lists the titles recognised that the person may send back,
// the newest first, paged.
func (r *turn) showTitles() error {
	t := r.t
	titles, total, pages, err := paged(&r.st.Page, func(offset, limit int) ([]flows.Recognised, int, error) {
		return r.m.store.Titles(t.Ctx, t.Env.Person, offset, limit)
	})
	if err != nil {
		return fmt.Errorf("load recognised titles: %w", err)
	}
	var rows [][]flows.Button
	for _, g := range titles {
		label := g.SubjectName + " · " + g.Places[0].Name.In(t.P.Lang()) + " · " + strconv.Itoa(g.Year)
		rows = append(rows, []flows.Button{r.btn(label, verbTitle, g.ID, 0, "", "")})
	}
	if nav := t.PageButtons(r.st.Page, pages, func(page int) flows.Token {
		return flows.Token{Module: Name, Verb: verbTitles, Value: strconv.Itoa(page)}
	}); len(nav) > 0 {
		rows = append(rows, nav)
	}
	rows = append(rows, []flows.Button{r.btn(t.T("button.back"), verbQueue, 0, 0, "", "")})
	text := t.T("recognise.titles", map[string]any{"N": total})
	if total == 0 {
		text = t.T("recognise.titles.none")
	}
	t.Screen(text, rows...)
	return nil
}

// showTitle shows one recognised title, with the button that sends it
// back, or asks the reason of sending it back.
func (r *turn) showTitle() error {
	t := r.t
	g, ok, err := r.title()
	if err != nil {
		return err
	}
	if !ok {
		t.Warn(t.T("recognise.title.gone"))
		*r.st = state{Step: stepTitles, Page: r.st.Page}
		return r.showTitles()
	}
	back := r.btn(t.T("button.back"), verbTitles, 0, 0, "", strconv.Itoa(r.st.Page))
	if r.st.Step == stepReturn {
		t.Screen(t.T("recognise.return.ask", map[string]any{"Title": r.titleText(g), "Max": MaxReason}),
			[]flows.Button{r.btn(t.T("button.back"), verbTitle, g.ID, 0, "", "")})
		t.TakesText()
		return nil
	}
	t.Screen(r.titleText(g), []flows.Button{r.btn(t.T("button.recognise.return"), verbReturn, g.ID, 0, "", "")}, []flows.Button{back})
	return nil
}

// typedReturn takes the reason a recognised title is sent back, and sends
// it back.
func (r *turn) typedReturn() error {
	t := r.t
	reason, ok := r.reasonTyped()
	if !ok {
		return r.show()
	}
	err := r.m.store.Return(t.Ctx, flows.Returning{RecognitionID: r.st.Title, By: t.Env.Person, Reason: reason, At: t.Now()})
	switch {
	case errors.Is(err, flows.ErrNotFound), errors.Is(err, flows.ErrConflict):
		t.Warn(t.T("recognise.title.gone"))
	case err != nil:
		return fmt.Errorf("send a recognised title back: %w", err)
	default:
		t.Warn(t.T("recognise.returned"))
	}
	*r.st = state{Step: stepTitles, Page: r.st.Page}
	return r.showTitles()
}

// Returned tells a representative that a higher level sent their title
// back, and why; the certificate they hold no longer counts.
func (m *Module) Returned(t *flows.Turn) error {
	g, err := m.store.Recognised(t.Ctx, t.Env.Person, t.In.Ref.ID)
	if errors.Is(err, flows.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load recognition: %w", err)
	}
	if !g.Ended || g.EndReason == "" {
		return nil
	}
	t.Say(t.T("recognise.returned.told", map[string]any{"Kind": t.T("kind." + string(g.Kind)), "Year": g.Year,
		"Name": flows.Esc(g.SubjectName), "Reason": flows.Esc(g.EndReason)}))
	return nil
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
