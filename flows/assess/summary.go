package assess

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"hoctap/flows"
	"hoctap/scoring"
)

// MaxPhotoSize is the largest evidence file accepted, in bytes.
const MaxPhotoSize = 10 << 20

// photo stores an evidence photo for question q and confirms it: on its
// photo step (evidence true) with that step again, else, sent with the
// question on screen, attached to it with the question again. The
// confirmation of a photo in an album settles, so that the album is
// confirmed once, after its last photo.
func (w *turn) photo(a flows.Assessment, set *scoring.Set, q question, evidence bool) error {
	t := w.t
	t.TakePhoto() // each photo of an album is answered on its own, even one too large
	ph := t.In.Photo
	if ph.Size > MaxPhotoSize {
		t.Warn(t.T("walk.photo.too_large", map[string]any{"Max": MaxPhotoSize >> 20}))
		return w.showWalk(a, set)
	}
	if ph.AsFile && ph.MIME != "image/jpeg" && ph.MIME != "image/png" {
		t.Warn(t.T("walk.photo.wrong_kind"))
		return w.showWalk(a, set)
	}
	body, err := w.m.cfg.Files.Fetch(t.Ctx, *ph)
	if err != nil {
		return fmt.Errorf("fetch photo: %w", err)
	}
	defer body.Close()
	sum, size, mime, err := w.m.cfg.Blobs.Put(t.Ctx, body)
	switch {
	case errors.Is(err, flows.ErrNotImage):
		t.Warn(t.T("walk.photo.wrong_kind"))
		return w.showWalk(a, set)
	case errors.Is(err, flows.ErrTooLarge):
		t.Warn(t.T("walk.photo.too_large", map[string]any{"Max": MaxPhotoSize >> 20}))
		return w.showWalk(a, set)
	case err != nil:
		return fmt.Errorf("store photo: %w", err)
	}
	n, err := w.m.cfg.Store.AddEvidence(t.Ctx, flows.Evidence{
		AssessmentID: a.ID, PersonID: t.Env.Person, Code: q.code, SHA256: sum, Size: size, MIME: mime,
		FileID: ph.FileID, UniqueID: ph.UniqueID, Key: t.In.Key,
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
	remember(w.st, a)
	if !evidence {
		t.Warn(t.T("walk.photo.attached", map[string]any{"Code": flows.Esc(q.code), "Count": n}))
	}
	if err := w.showWalk(a, set); err != nil {
		return err
	}
	if ph.Album != "" {
		t.Settle()
	}
	return nil
}

// missing lists what stops a submission: questions not answered, and
// required evidence not given for answers that earn points.
func missing(set *scoring.Set, a flows.Assessment) (unanswered, photos []string) {
	for _, q := range asked(set, a.Answers) {
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

// showSummary shows every answer with the score so far. Submit is offered
// only when nothing is missing; else what is missing is named, with a
// button to the first of it. A question whose photos are missing opens its
// photo step.
func (w *turn) showSummary(a flows.Assessment, set *scoring.Set) error {
	t := w.t
	// The shares shown are kept as the answers, so that what is submitted
	// from this screen is what it showed.
	switch saved, err := w.saveDerived(a, set); {
	case err == nil:
		a = saved
	case !errors.Is(err, flows.ErrDone) && !errors.Is(err, flows.ErrConflict):
		return err
	}
	unanswered, photos := missing(set, a)
	text, edits, err := w.review(a, set, "summary.title", photos)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(text)
	var rows [][]flows.Button
	for i := 0; i < len(edits); i += 4 {
		rows = append(rows, edits[i:min(i+4, len(edits))])
	}
	switch {
	case len(unanswered) > 0:
		b.WriteString("\n\n" + t.T("summary.still_unanswered", map[string]any{"Codes": strings.Join(unanswered, ", ")}))
		if len(photos) > 0 {
			b.WriteString("\n" + t.T("summary.missing_photos", map[string]any{"Codes": strings.Join(photos, ", ")}))
		}
		rows = append(rows, []flows.Button{flows.NewButton(t.T("button.answer", map[string]any{"Code": unanswered[0]}),
			token(verbEdit, a, unanswered[0], ""))})
	case len(photos) > 0:
		b.WriteString("\n\n" + t.T("summary.missing_photos", map[string]any{"Codes": strings.Join(photos, ", ")}))
		rows = append(rows, []flows.Button{flows.NewButton(t.T("button.add_photos", map[string]any{"Code": photos[0]}),
			token(verbEdit, a, photos[0], editPhotos))})
	default:
		rows = append(rows, []flows.Button{flows.NewButton(t.T("button.submit"), token(verbSubmit, a, "", ""))})
	}
	if !a.Assisted {
		rows = append(rows, []flows.Button{flows.NewButton(t.T("button.invite"), token(verbInvite, a, "", ""))})
		if a.Kind == scoring.KindClan {
			rows = append(rows, []flows.Button{flows.NewButton(t.T("button.members"), token(verbMembers, a, "", ""))})
		}
	}
	t.Screen(b.String(), rows...)
	return nil
}

// review writes every answer with its photos and the score so far under a
// title (a message id), and makes the buttons that change each: a question
// whose photos are missing (listed in photos) opens its photo step.
func (w *turn) review(a flows.Assessment, set *scoring.Set, title string, photos []string) (string, []flows.Button, error) {
	t := w.t
	var shares map[string]flows.Share
	if a.Submitted == nil { // once submitted, the shares are those it was submitted with
		var err error
		if a, shares, err = w.derive(a, set); err != nil {
			return "", nil, err
		}
	}
	res, err := scoring.Score(set, a.Answers, a.Region)
	if err != nil {
		return "", nil, fmt.Errorf("score assessment %d: %w", a.ID, err)
	}
	var b strings.Builder
	b.WriteString("<b>" + flows.Esc(t.P.SetTitle(set)) + "</b> — " + flows.Esc(a.SubjectName))
	if a.Assisted {
		b.WriteString(" · " + t.T("assisted.mark"))
	}
	b.WriteString("\n" + t.T(title) + "\n\n")
	earned := map[string]float64{}
	for _, sc := range res.Indicators {
		earned[sc.Code] = sc.Points
	}
	var edits []flows.Button
	for _, q := range everything(set) {
		label := "<b>" + flows.Esc(q.code) + "</b> " + flows.Esc(q.short(t.P.Lang())) + ": "
		switch {
		case q.ind != nil && q.ind.Kind == scoring.AnswerReviewer:
			line := label + "<i>" + t.T("summary.by_reviewer") + "</i>"
			if _, ok := a.Answers[q.code]; ok {
				line = label + t.T("summary.reviewer_points", map[string]any{"Points": t.P.Points(earned[q.code])})
			}
			b.WriteString(line + "\n")
			continue
		case q.ind != nil && q.ind.Kind == scoring.AnswerDerived:
			b.WriteString(label + w.derivedText(a, q.code, shares, earned[q.code]) + "\n")
			continue
		}
		if !set.Applies(q.code, a.Answers) {
			b.WriteString(label + "<i>" + t.T("summary.skipped") + "</i> · " + t.P.Points(earned[q.code]) + "\n")
			continue
		}
		line := label + "<i>" + t.T("summary.unanswered") + "</i>"
		if ans, ok := a.Answers[q.code]; ok {
			line = label + "<b>" + flows.Esc(w.answerText(q, ans)) + "</b>"
			if q.ind != nil {
				line += " · " + t.P.Points(earned[q.code])
			}
		}
		if n := a.Photos[q.code]; n > 0 {
			line += " " + t.T("summary.photos", map[string]any{"N": n})
		}
		if w.before != nil {
			was, had := w.before[q.code]
			now, has := a.Answers[q.code]
			if had != has || was != now {
				line += " " + t.T("review.changed")
			}
		}
		edit := flows.NewButton("✏️ "+q.code, token(verbEdit, a, q.code, ""))
		if slices.Contains(photos, q.code) {
			line += " " + t.T("summary.photos_missing")
			edit = flows.NewButton("📷 "+q.code, token(verbEdit, a, q.code, editPhotos))
		}
		b.WriteString(line + "\n")
		edits = append(edits, edit)
	}
	b.WriteString("\n" + t.T("summary.score", map[string]any{
		"Total": t.P.Number(res.Total), "Max": t.P.Points(res.Max), "Pass": t.P.Number(res.PassMark),
	}))
	for _, f := range res.Failures {
		b.WriteString("\n• " + w.failureText(set, a.Region, f))
	}
	return b.String(), edits, nil
}

// derive returns the assessment with the answers of its set's derived
// indicators as the store computes them now, and the shares they come from.
func (w *turn) derive(a flows.Assessment, set *scoring.Set) (flows.Assessment, map[string]flows.Share, error) {
	var shares map[string]flows.Share
	for _, ind := range set.Indicators() {
		if ind.Kind != scoring.AnswerDerived {
			continue
		}
		sh, known := w.shares[ind.Code] // computed once a turn: the summary saves it, then shows it
		if !known {
			var err error
			if sh, err = w.m.cfg.Store.Derive(w.t.Ctx, ind.Derive, a.SubjectID, a.Year); err != nil {
				return a, nil, err
			}
			if w.shares == nil {
				w.shares = map[string]flows.Share{}
			}
			w.shares[ind.Code] = sh
		}
		if shares == nil {
			shares = map[string]flows.Share{}
			a.Answers = copyAnswers(a.Answers)
		}
		shares[ind.Code] = sh
		a.Answers[ind.Code] = scoring.Value(sh.Percent())
	}
	return a, shares, nil
}

// derivedText writes a derived indicator's value, its points and, before
// submission, what it was computed from.
func (w *turn) derivedText(a flows.Assessment, code string, shares map[string]flows.Share, points float64) string {
	t := w.t
	ans, ok := a.Answers[code]
	if !ok {
		return "<i>" + t.T("summary.derived.later") + "</i>"
	}
	line := "<b>" + t.P.Number(ans.Value) + " %</b> · " + t.P.Points(points)
	if was, had := w.before[code]; w.before != nil && (!had || was != ans) {
		line += " " + t.T("review.changed")
	}
	sh, computed := shares[code]
	switch {
	case !computed:
		return line + " <i>" + t.T("summary.derived.submitted") + "</i>"
	case sh.Households == 0:
		return line + "\n   <i>" + t.T("summary.derived.empty."+string(a.Kind)) + "</i>"
	}
	data := map[string]any{"N": sh.Recognised, "Households": sh.Households, "Last": sh.Year - 1, "Year": sh.Year,
		"Whose": t.T("summary.derived.whose." + string(a.Kind))}
	id := "summary.derived.counted"
	if sh.Recognised == 0 {
		id = "summary.derived.none"
	}
	return line + "\n   <i>" + t.T(id, data) + "</i>"
}

// saveDerived stores the derived answers as the store computes them now,
// where they changed, and returns the assessment at its new revision.
func (w *turn) saveDerived(a flows.Assessment, set *scoring.Set) (flows.Assessment, error) {
	t := w.t
	now, _, err := w.derive(a, set)
	if err != nil {
		return a, err
	}
	for _, ind := range set.Indicators() {
		ans, ok := now.Answers[ind.Code]
		if old, had := a.Answers[ind.Code]; ind.Kind != scoring.AnswerDerived || !ok || (had && old == ans) {
			continue
		}
		rev, err := w.m.cfg.Store.Apply(t.Ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: t.Env.Person,
			Key: t.In.Key + ":" + ind.Code, Cursor: a.Cursor, Code: ind.Code, Answer: &ans})
		if err != nil {
			return a, fmt.Errorf("save derived %s: %w", ind.Code, err)
		}
		a.Rev = rev
		a.Answers = copyAnswers(a.Answers)
		a.Answers[ind.Code] = ans
		remember(w.st, a)
	}
	return a, nil
}

// failureText writes a failed rule for a person, in plain words: what
// falls short, by how much, and of what.
func (w *turn) failureText(set *scoring.Set, region scoring.Region, f scoring.Failure) string {
	p := w.t.P
	data := map[string]any{"Code": flows.Esc(f.Code), "Got": p.Number(f.Got), "Want": p.Number(f.Want)}
	id := "failure." + string(f.Rule)
	switch f.Rule {
	case scoring.RuleTotal:
		if region == scoring.RegionHardship && set.Rules.PassMark.Hardship != nil {
			id = "failure.total.hardship"
		}
	case scoring.RuleCriterion:
		for _, c := range set.Criteria {
			if c.Code == f.Code {
				data["Text"] = flows.Esc(c.Text.In(p.Lang()))
			}
		}
	case scoring.RuleIndicator:
		if ind, ok := set.Indicator(f.Code); ok {
			data["Text"] = flows.Esc(ind.Text.In(p.Lang()))
		}
	case scoring.RuleCondition:
		if c, ok := set.Condition(f.Code); ok {
			data["Text"] = flows.Esc(c.Text.In(p.Lang()))
		}
	}
	return p.T(id, data)
}

// confirmSubmit asks once, in place of the review, whether to submit.
func (w *turn) confirmSubmit(a flows.Assessment, set *scoring.Set) error {
	t := w.t
	if unanswered, photos := missing(set, a); len(unanswered) > 0 || len(photos) > 0 {
		return t.Stale() // an older review's Submit: the review shows what is missing
	}
	t.Screen(t.T("submit.confirm", map[string]any{"Title": flows.Esc(t.P.SetTitle(set)), "Name": flows.Esc(a.SubjectName)}),
		[]flows.Button{
			flows.NewButton(t.T("button.confirm_submit"), token(verbConfirm, a, "", "")),
			flows.NewButton(t.T("button.summary"), token(verbSummary, a, "", "")),
		})
	return nil
}

// submit scores and submits a complete assessment, once.
func (w *turn) submit(a flows.Assessment, set *scoring.Set) error {
	t := w.t
	if unanswered, photos := missing(set, a); len(unanswered) > 0 || len(photos) > 0 {
		return t.Stale()
	}
	res, err := scoring.Score(set, a.Answers, a.Region) // with the shares the summary kept
	if err != nil {
		return fmt.Errorf("score assessment %d: %w", a.ID, err)
	}
	err = w.m.cfg.Store.Submit(t.Ctx, a.ID, a.Rev, t.Env.Person, res, t.Now())
	switch {
	case errors.Is(err, flows.ErrDone), errors.Is(err, flows.ErrConflict):
		if _, _, err := w.reload(); err != nil {
			return err
		}
		return t.Stale()
	case err != nil:
		return fmt.Errorf("submit assessment: %w", err)
	}
	// The confirmation becomes the review as submitted, with no buttons;
	// the result follows as a message of its own.
	now := t.Now()
	a.Submitted = &now
	review, _, err := w.review(a, set, "summary.title.submitted", nil) // nothing is missing once submitted
	if err != nil {
		return err
	}
	if err := w.done(); err != nil {
		return err
	}
	t.Screen(review)
	var b strings.Builder
	b.WriteString(t.T("result.submitted") + "\n")
	b.WriteString("<b>" + flows.Esc(t.P.SetTitle(set)) + "</b> — " + flows.Esc(a.SubjectName) + "\n")
	b.WriteString(t.T("result.score", map[string]any{"Total": t.P.Number(res.Total), "Max": t.P.Points(res.Max)}) + "\n")
	b.WriteString(w.verdict(set, a.Region, res))
	b.WriteString("\n\n" + t.T("result.next"))
	t.Say(b.String())
	return nil
}

// verdict says whether a result passes and, when it does not, every
// reason; while a reviewer's points are pending it says the result is not
// final and what they may still add.
func (w *turn) verdict(set *scoring.Set, region scoring.Region, res scoring.Result) string {
	t := w.t
	pending, open := reviewerPending(set, res)
	var b strings.Builder
	switch {
	case len(res.Failures) == 0 && len(pending) == 0:
		b.WriteString(t.T("result.passed"))
	case len(res.Failures) == 0:
		b.WriteString(t.T("result.pending"))
	case len(pending) > 0:
		b.WriteString(t.T("result.failed.provisional"))
	default:
		b.WriteString(t.T("result.failed"))
	}
	for _, f := range res.Failures {
		b.WriteString("\n• " + w.failureText(set, region, f))
	}
	if len(pending) > 0 {
		b.WriteString("\n" + t.T("result.awaiting_reviewer", map[string]any{
			"Codes": strings.Join(pending, ", "), "Max": t.P.Points(open)}))
	}
	return b.String()
}

// reviewerPending returns the indicators of a result that a reviewer still
// scores, and the points they may add.
func reviewerPending(set *scoring.Set, res scoring.Result) (codes []string, points float64) {
	for _, code := range res.Unanswered {
		if ind, ok := set.Indicator(code); ok && ind.Kind == scoring.AnswerReviewer {
			codes = append(codes, code)
			points += ind.MaxPoints
		}
	}
	return codes, points
}

// showSubmitted shows a submitted assessment as it was submitted, with its
// score; its answers cannot change, so the only button leads to the menu.
func (w *turn) showSubmitted() error {
	t := w.t
	a, set, err := w.assessment()
	if err != nil {
		return err
	}
	if a.Submitted == nil {
		w.st.Step = stepResume // sent back to be changed (by a reviewer, later)
		return w.showResume()
	}
	review, _, err := w.review(a, set, "summary.title.submitted", nil)
	if err != nil {
		return err
	}
	t.Screen(review, []flows.Button{flows.NewButton(t.T("button.menu"), token(verbMenu, a, "", ""))})
	return nil
}

// showResume offers to continue the assessment in progress or start over.
func (w *turn) showResume() error {
	t := w.t
	a, set, err := w.assessment()
	if err != nil {
		return err
	}
	if a.Submitted != nil {
		if err := w.done(); err != nil {
			return err
		}
		return t.Show()
	}
	answered, _ := progress(a, set)
	t.Screen(t.T("resume.ask", map[string]any{
		"Title": flows.Esc(t.P.SetTitle(set)), "Name": flows.Esc(a.SubjectName), "N": answered, "Of": len(asked(set, a.Answers)),
	}), []flows.Button{
		flows.NewButton(t.T("button.continue"), token(verbContinue, a, "", "")),
		flows.NewButton(t.T("button.restart"), token(verbRestart, a, "", "")),
	}, []flows.Button{flows.NewButton(t.T("button.other"), token(verbMenu, a, "", ""))})
	return nil
}

// progress counts an assessment's answers to the set's questions, and its
// photos.
func progress(a flows.Assessment, set *scoring.Set) (answers, photos int) {
	for _, q := range asked(set, a.Answers) {
		if _, ok := a.Answers[q.code]; ok {
			answers++
		}
	}
	return answers, photoCount(a)
}

// photoCount counts an assessment's photos.
func photoCount(a flows.Assessment) (photos int) {
	for _, n := range a.Photos {
		photos += n
	}
	return photos
}

// confirmRestart asks before an assessment with answers or photos is
// given up, saying what would be lost.
func (w *turn) confirmRestart(a flows.Assessment, set *scoring.Set) error {
	t := w.t
	answers, photos := len(a.Answers), photoCount(a) // what a discard deletes, asked now or not
	t.Screen(t.T("restart.confirm", map[string]any{
		"Title": flows.Esc(t.P.SetTitle(set)), "Name": flows.Esc(a.SubjectName), "Answers": answers, "Photos": photos,
	}), []flows.Button{
		flows.NewButton(t.T("button.discard"), token(verbDiscard, a, "", "")),
		flows.NewButton(t.T("button.continue"), token(verbContinue, a, "", "")),
	})
	return nil
}

// resumeButton continues the walk, or gives the assessment up when the
// Start over pressed is that of its current revision — after asking, when
// answers or photos would be lost.
func (w *turn) resumeButton(tok flows.Token) error {
	t := w.t
	if tok.Verb == verbContinue {
		w.st.Step = stepWalk
		return w.show()
	}
	a, set, err := w.assessment()
	if err != nil {
		return err
	}
	if tok.Rev != a.Rev {
		return t.Stale()
	}
	if tok.Verb == verbRestart && len(a.Answers)+photoCount(a) > 0 {
		return w.confirmRestart(a, set)
	}
	err = w.m.cfg.Store.Abandon(t.Ctx, a.ID, a.Rev, t.Env.Person)
	if errors.Is(err, flows.ErrConflict) {
		if _, _, err := w.reload(); err != nil {
			return err
		}
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("abandon assessment: %w", err)
	}
	if err := w.done(); err != nil {
		return err
	}
	return t.Show()
}

// replacement returns the set that replaces a withdrawn one and the answers
// that would not carry over: those whose question is gone, changed kind, or
// no longer fits.
func (w *turn) replacement(a flows.Assessment, set *scoring.Set) (*scoring.Set, []string, error) {
	next, err := w.m.cfg.Sets.Replacement(set)
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

func (w *turn) showMove() error {
	t := w.t
	a, set, err := w.assessment()
	if err != nil {
		return err
	}
	next, drop, err := w.replacement(a, set)
	if err != nil {
		w.st.Stay, w.st.Step = true, stepWalk
		return w.showWalk(a, set)
	}
	t.Screen(t.T("move.ask", map[string]any{
		"Old": flows.Esc(t.P.SetTitle(set)), "OldRef": set.Ref(), "New": flows.Esc(t.P.SetTitle(next)), "NewRef": next.Ref(),
		"Kept": len(a.Answers) - len(drop), "Of": len(a.Answers),
	}), []flows.Button{
		flows.NewButton(t.T("button.move"), token(verbMove, a, "", "")),
		flows.NewButton(t.T("button.stay"), token(verbStay, a, "", "")),
	})
	return nil
}

func (w *turn) moveButton(tok flows.Token) error {
	t := w.t
	a, set, err := w.assessment()
	if err != nil {
		return err
	}
	if tok.Rev != a.Rev {
		return t.Stale()
	}
	w.st.Step = stepWalk
	if tok.Verb == verbStay {
		w.st.Stay = true
		return w.showWalk(a, set)
	}
	next, drop, err := w.replacement(a, set)
	if err != nil {
		return fmt.Errorf("find replacement of %s: %w", set.Ref(), err)
	}
	kept := copyAnswers(a.Answers)
	for _, code := range drop {
		delete(kept, code)
	}
	qs := asked(next, kept)
	cursor := ""
	if len(qs) > 0 {
		if _, ok := kept[qs[0].code]; !ok {
			cursor = qs[0].code
		} else {
			cursor = nextOpen(qs, kept, 0)
		}
	}
	rev, err := w.m.cfg.Store.MoveSet(t.Ctx, a.ID, a.Rev, next.ID, next.Version, drop, cursor)
	if errors.Is(err, flows.ErrConflict) {
		if _, _, err := w.reload(); err != nil {
			return err
		}
		w.st.Step = stepMove
		return t.Stale()
	}
	if err != nil {
		return fmt.Errorf("move assessment to %s: %w", next.Ref(), err)
	}
	a.Rev, a.Cursor, a.Answers, a.SetID, a.SetVersion = rev, cursor, kept, next.ID, next.Version
	remember(w.st, a)
	t.Warn(t.T("move.done", map[string]any{"Ref": next.Ref()}))
	return w.showWalk(a, next)
}

// Status lists the person's assessments with their state: in progress
// with how far, or submitted with when and the score. It works at every
// step (the /status command) and changes nothing.
func (m *Module) Status(t *flows.Turn) error {
	all, err := m.cfg.Store.Assessments(t.Ctx, t.Env.Person)
	if err != nil {
		return fmt.Errorf("load assessments: %w", err)
	}
	if len(all) == 0 {
		t.Say(t.T("status.none"))
		return nil
	}
	var b strings.Builder
	b.WriteString(t.T("status.title"))
	for _, a := range all {
		set, ok := m.cfg.Sets.Get(a.SetID, a.SetVersion)
		if !ok {
			return fmt.Errorf("assessment %d is pinned to %s@%d, which is not loaded", a.ID, a.SetID, a.SetVersion)
		}
		data := map[string]any{"Kind": t.T("kind." + string(a.Kind)), "Name": flows.Esc(a.SubjectName), "Year": a.Year}
		switch {
		case a.Submitted == nil:
			data["N"], _ = progress(a, set)
			data["Of"] = len(asked(set, a.Answers))
			b.WriteString("\n" + t.T("status.open", data))
		case a.Result != nil:
			data["Date"] = t.P.Date(*a.Submitted)
			data["Total"], data["Max"] = t.P.Number(a.Result.Total), t.P.Points(a.Result.Max)
			pending, _ := reviewerPending(set, *a.Result)
			switch {
			case a.Result.Passed:
				data["Verdict"] = t.T("status.passed")
			case len(a.Result.Failures) == 0 && len(pending) > 0:
				data["Verdict"] = t.T("status.pending")
			default:
				data["Verdict"] = t.T("status.failed")
			}
			b.WriteString("\n" + t.T("status.submitted", data))
		}
	}
	b.WriteString("\n\n" + t.T("status.next"))
	t.Say(b.String())
	return nil
}
