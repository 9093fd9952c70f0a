package flows

import (
	"errors"
	"fmt"
	"strings"

	"hoctap/scoring"
)

// MaxPhotoSize is the largest evidence file accepted, in bytes.
const MaxPhotoSize = 10 << 20

// photo stores an evidence photo for question q and confirms it; the
// photos of an album are confirmed once, by the last confirmation.
func (t *turn) photo(a Assessment, set *scoring.Set, q question) error {
	ph := t.in.Photo
	if ph.Size > MaxPhotoSize {
		t.warn(t.t("walk.photo.too_large", map[string]any{"Max": MaxPhotoSize >> 20}))
		return t.showWalk(a, set)
	}
	if ph.AsFile && ph.MIME != "image/jpeg" && ph.MIME != "image/png" {
		t.warn(t.t("walk.photo.wrong_kind"))
		return t.showWalk(a, set)
	}
	body, err := t.e.Files.Fetch(t.ctx, *ph)
	if err != nil {
		return fmt.Errorf("fetch photo: %w", err)
	}
	defer body.Close()
	sum, size, mime, err := t.e.Blobs.Put(t.ctx, body)
	switch {
	case errors.Is(err, ErrNotImage):
		t.warn(t.t("walk.photo.wrong_kind"))
		return t.showWalk(a, set)
	case errors.Is(err, ErrTooLarge):
		t.warn(t.t("walk.photo.too_large", map[string]any{"Max": MaxPhotoSize >> 20}))
		return t.showWalk(a, set)
	case err != nil:
		return fmt.Errorf("store photo: %w", err)
	}
	n, err := t.e.Store.AddEvidence(t.ctx, Evidence{
		AssessmentID: a.ID, PersonID: t.st.Person, Code: q.code, SHA256: sum, Size: size, MIME: mime,
		FileID: ph.FileID, UniqueID: ph.UniqueID, Key: t.in.Key,
	})
	if err != nil {
		return fmt.Errorf("record evidence: %w", err)
	}
	photos := map[string]int{q.code: n}
	for k, v := range a.Photos {
		if k != q.code {
			photos[k] = v
		}
	}
	a.Photos = photos
	t.remember(a)
	before := len(t.out)
	if err := t.showEvidence(a, set, q); err != nil {
		return err
	}
	if ph.Album != "" {
		t.out[before].Coalesce = "album:" + ph.Album
	}
	return nil
}

// missing lists what stops a submission: questions not answered, and
// required evidence not given for answers that earn points.
func missing(set *scoring.Set, a Assessment) (unanswered, photos []string) {
	for _, q := range questions(set) {
		ans, ok := a.Answers[q.code]
		switch {
		case !ok:
			unanswered = append(unanswered, q.code)
		case q.ind != nil && q.ind.EvidenceRule() == scoring.EvidenceRequired &&
			earns(q.ind, ans) && a.Photos[q.code] < q.ind.Evidence.MinPhotos:
			photos = append(photos, q.code)
		}
	}
	return unanswered, photos
}

func (t *turn) showReview(a Assessment, set *scoring.Set) error {
	res, err := scoring.Score(set, a.Answers, a.Region)
	if err != nil {
		return fmt.Errorf("score assessment %d: %w", a.ID, err)
	}
	var b strings.Builder
	b.WriteString("<b>" + esc(t.p.SetTitle(set)) + "</b> — " + esc(a.SubjectName) + "\n")
	b.WriteString(t.t("review.title") + "\n\n")
	qs := questions(set)
	var edits []Button
	for _, q := range qs {
		text := t.t("review.unanswered")
		if ans, ok := a.Answers[q.code]; ok {
			text = t.answerText(q, ans)
		}
		line := "<b>" + esc(q.code) + "</b> " + esc(text)
		if n := a.Photos[q.code]; n > 0 {
			line += " " + t.t("review.photos", map[string]any{"N": n})
		}
		b.WriteString(line + "\n")
		edits = append(edits, button("✏️ "+q.code, Token{Verb: verbEdit, Rev: a.Rev, Code: q.code}))
	}
	for _, ind := range set.Indicators() {
		if ind.Kind == scoring.AnswerReviewer {
			b.WriteString("<b>" + esc(ind.Code) + "</b> " + t.t("review.by_reviewer") + "\n")
		}
	}
	b.WriteString("\n" + t.t("review.score", map[string]any{
		"Total": t.p.Number(res.Total), "Max": t.p.Points(res.Max), "Pass": t.p.Number(res.PassMark),
	}))
	for _, f := range res.Failures {
		b.WriteString("\n• " + t.failureText(f))
	}
	unanswered, photos := missing(set, a)
	if len(unanswered) > 0 {
		b.WriteString("\n\n" + t.t("review.still_unanswered", map[string]any{"Codes": strings.Join(unanswered, ", ")}))
	}
	if len(photos) > 0 {
		b.WriteString("\n\n" + t.t("review.missing_photos", map[string]any{"Codes": strings.Join(photos, ", ")}))
	}
	var rows [][]Button
	for i := 0; i < len(edits); i += 4 {
		rows = append(rows, edits[i:min(i+4, len(edits))])
	}
	rows = append(rows, []Button{button(t.t("button.submit"), Token{Verb: verbSubmit, Rev: a.Rev})})
	t.screen(b.String(), rows...)
	return nil
}

// failureText writes a failed rule for a person.
func (t *turn) failureText(f scoring.Failure) string {
	data := map[string]any{"Code": esc(f.Code), "Got": t.p.Number(f.Got), "Want": t.p.Number(f.Want)}
	return t.t("failure."+string(f.Rule), data)
}

// submit scores and submits a complete assessment, once.
func (t *turn) submit(a Assessment, set *scoring.Set) error {
	unanswered, photos := missing(set, a)
	if len(unanswered) > 0 || len(photos) > 0 {
		t.notice(t.t("review.incomplete"))
		return nil
	}
	res, err := scoring.Score(set, a.Answers, a.Region)
	if err != nil {
		return fmt.Errorf("score assessment %d: %w", a.ID, err)
	}
	err = t.e.Store.Submit(t.ctx, a.ID, a.Rev, t.st.Person, res, t.e.now())
	switch {
	case errors.Is(err, ErrDone), errors.Is(err, ErrConflict):
		t.notice(t.t("stale"))
		return nil
	case err != nil:
		return fmt.Errorf("submit assessment: %w", err)
	}
	t.st.Step, t.st.Assessment, t.st.Copy = stepMenu, 0, nil
	t.notice("")
	verdict := t.t("result.passed")
	if !res.Passed {
		verdict = t.t("result.failed", map[string]any{"Pass": t.p.Number(res.PassMark)})
	}
	var b strings.Builder
	b.WriteString(t.t("result.submitted") + "\n")
	b.WriteString("<b>" + esc(t.p.SetTitle(set)) + "</b> — " + esc(a.SubjectName) + "\n")
	b.WriteString(t.t("result.score", map[string]any{"Total": t.p.Number(res.Total), "Max": t.p.Points(res.Max)}) + "\n")
	b.WriteString(verdict)
	if len(res.Unanswered) > 0 {
		b.WriteString("\n" + t.t("result.awaiting_reviewer", map[string]any{"Codes": strings.Join(res.Unanswered, ", ")}))
	} else {
		for _, f := range res.Failures {
			b.WriteString("\n• " + t.failureText(f))
		}
	}
	b.WriteString("\n\n" + t.t("result.next"))
	t.say(b.String())
	return nil
}

// showResume offers to continue the assessment in progress or start over.
func (t *turn) showResume() error {
	a, set, err := t.assessment()
	if err != nil {
		return err
	}
	if a.Submitted != nil {
		t.st.Step, t.st.Assessment, t.st.Copy = stepMenu, 0, nil
		return t.show()
	}
	qs := questions(set)
	answered := 0
	for _, q := range qs {
		if _, ok := a.Answers[q.code]; ok {
			answered++
		}
	}
	t.screen(t.t("resume.ask", map[string]any{
		"Title": esc(t.p.SetTitle(set)), "Name": esc(a.SubjectName), "N": answered, "Of": len(qs),
	}), []Button{
		button(t.t("button.continue"), Token{Verb: verbContinue, Rev: a.Rev}),
		button(t.t("button.restart"), Token{Verb: verbRestart, Rev: a.Rev}),
	})
	return nil
}

func (t *turn) resumeButton(tok Token) error {
	if tok.Verb == verbContinue {
		t.st.Step = stepWalk
		return t.show()
	}
	if err := t.e.Store.Abandon(t.ctx, t.st.Assessment, t.st.Person); err != nil {
		return fmt.Errorf("abandon assessment: %w", err)
	}
	t.st.Step, t.st.Assessment, t.st.Copy = stepMenu, 0, nil
	return t.show()
}

// replacement returns the set that replaces a withdrawn one and the answers
// that would not carry over: those whose question is gone, changed kind, or
// no longer fits.
func (t *turn) replacement(a Assessment, set *scoring.Set) (*scoring.Set, []string, error) {
	next, err := t.e.Sets.Replacement(set)
	if err != nil {
		return nil, nil, err
	}
	var drop []string
	for code, ans := range a.Answers {
		old, oldOK := set.Indicator(code)
		ind, ok := next.Indicator(code)
		_, cond := next.Condition(code)
		switch {
		case cond && !oldOK:
		case !ok || !oldOK || ind.Kind != old.Kind || next.Check(code, ans) != nil:
			drop = append(drop, code)
		}
	}
	return next, drop, nil
}

func (t *turn) showMove() error {
	a, set, err := t.assessment()
	if err != nil {
		return err
	}
	next, drop, err := t.replacement(a, set)
	if err != nil {
		t.st.Stay, t.st.Step = true, stepWalk
		return t.showWalk(a, set)
	}
	t.screen(t.t("move.ask", map[string]any{
		"Old": esc(t.p.SetTitle(set)), "OldRef": set.Ref(), "New": esc(t.p.SetTitle(next)), "NewRef": next.Ref(),
		"Kept": len(a.Answers) - len(drop), "Of": len(a.Answers),
	}), []Button{
		button(t.t("button.move"), Token{Verb: verbMove, Rev: a.Rev}),
		button(t.t("button.stay"), Token{Verb: verbStay, Rev: a.Rev}),
	})
	return nil
}

func (t *turn) moveButton(tok Token) error {
	a, set, err := t.assessment()
	if err != nil {
		return err
	}
	if tok.Rev != a.Rev {
		t.notice(t.t("stale"))
		return nil
	}
	t.st.Step = stepWalk
	if tok.Verb == verbStay {
		t.st.Stay = true
		return t.showWalk(a, set)
	}
	next, drop, err := t.replacement(a, set)
	if err != nil {
		return fmt.Errorf("find replacement of %s: %w", set.Ref(), err)
	}
	kept := copyAnswers(a.Answers)
	for _, code := range drop {
		delete(kept, code)
	}
	qs := questions(next)
	cursor := ""
	if len(qs) > 0 {
		if _, ok := kept[qs[0].code]; !ok {
			cursor = qs[0].code
		} else {
			cursor = nextOpen(qs, kept, 0)
		}
	}
	rev, err := t.e.Store.MoveSet(t.ctx, a.ID, a.Rev, next.ID, next.Version, drop, cursor)
	if errors.Is(err, ErrConflict) {
		t.notice(t.t("stale"))
		return nil
	}
	if err != nil {
		return fmt.Errorf("move assessment to %s: %w", next.Ref(), err)
	}
	a.Rev, a.Cursor, a.Answers, a.SetID, a.SetVersion = rev, cursor, kept, next.ID, next.Version
	t.remember(a)
	t.warn(t.t("move.done", map[string]any{"Ref": next.Ref()}))
	return t.showWalk(a, next)
}
