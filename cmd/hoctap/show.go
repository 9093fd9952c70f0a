package main

import (
	"fmt"
	"strings"

	"hoctap/locales"
	"hoctap/scoring"
)

// renderSet writes a criteria set for a person to read, in the printer's
// language: what it is, how it passes, and every question with its answers,
// evidence and guidance.
func renderSet(s *scoring.Set, p *locales.Printer) string {
	var b strings.Builder
	line := func(indent int, text string) {
		b.WriteString(strings.Repeat(" ", indent))
		b.WriteString(text)
		b.WriteByte('\n')
	}
	lang := p.Lang()

	line(0, p.SetTitle(s))
	line(0, p.T("show.ref", map[string]any{"Ref": s.Ref(), "Status": statusText(s, p)}))
	line(0, p.T("show.issuer", map[string]any{"Issuer": s.Issuer.In(lang)}))
	for _, r := range s.References {
		text := r.Number
		if r.Date != "" {
			text += " (" + r.Date + ")"
		}
		if !r.Note.IsZero() {
			text += ": " + r.Note.In(lang)
		}
		line(0, p.T("show.reference", map[string]any{"Reference": text}))
	}
	if s.Jurisdiction == "national" {
		line(0, p.T("show.jurisdiction.national"))
	} else {
		line(0, p.T("show.jurisdiction.province", map[string]any{"Code": s.Jurisdiction}))
	}
	if s.Years.To == 0 {
		line(0, p.T("show.years.open", map[string]any{"From": s.Years.From}))
	} else {
		line(0, p.T("show.years", map[string]any{"From": s.Years.From, "To": s.Years.To}))
	}
	if !s.Note.IsZero() {
		line(0, p.T("show.note", map[string]any{"Note": s.Note.In(lang)}))
	}

	b.WriteByte('\n')
	pm := s.Rules.PassMark
	line(0, p.T("show.pass_mark", map[string]any{"Max": p.Points(s.MaxPoints), "Pass": p.Points(pm.Normal)}))
	if pm.Hardship != nil {
		line(0, p.T("show.pass_mark.hardship", map[string]any{"Pass": p.Points(*pm.Hardship)}))
	}
	if s.Rules.IndicatorMinPoints > 0 {
		line(0, p.T("show.indicator_min", map[string]any{"Min": p.Points(s.Rules.IndicatorMinPoints)}))
	}
	if s.Rules.NotApplicable != "" {
		line(0, p.T("show.na."+string(s.Rules.NotApplicable)))
	}
	if len(s.Conditions) > 0 {
		line(0, p.T("show.conditions"))
		for _, c := range s.Conditions {
			line(2, c.Code+". "+c.Text.In(lang))
			labelsLine(line, c.Labels, p)
			if !c.Guidance.IsZero() {
				line(6, p.T("show.guidance", map[string]any{"Text": c.Guidance.In(lang)}))
			}
		}
	}

	for _, c := range s.Criteria {
		b.WriteByte('\n')
		head := fmt.Sprintf("%s. %s — %s", c.Code, c.Text.In(lang), p.Points(c.MaxPoints))
		if c.MinPoints > 0 {
			head += " " + p.T("show.min", map[string]any{"Min": p.Number(c.MinPoints)})
		}
		line(0, head)
		if !c.Certainty.IsConfirmed() {
			line(2, p.T("certainty."+string(c.Certainty)))
		}
		relevantLine(line, 2, s, c.Relevant, p)
		for i := range c.Indicators {
			renderIndicator(line, s, &c.Indicators[i], p)
		}
	}
	return b.String()
}

// relevantLine says when a criterion or an indicator applies, naming the
// answers as a person reads them.
func relevantLine(line func(int, string), indent int, s *scoring.Set, r *scoring.Relevant, p *locales.Printer) {
	if r == nil {
		return
	}
	words := make([]string, len(r.Answers))
	for i, a := range r.Answers {
		words[i] = a
		switch a {
		case "yes", "no", "na":
			words[i] = p.T("answer." + a)
		default:
			if ref, ok := s.Indicator(r.Code); ok {
				if o, ok := ref.Option(a); ok {
					words[i] = o.Text.In(p.Lang())
				}
			}
		}
	}
	line(indent, p.T("show.relevant", map[string]any{"Code": r.Code, "Answers": strings.Join(words, ", ")}))
}

// labelsLine gives a yes/no question's own answer labels.
func labelsLine(line func(int, string), l scoring.Labels, p *locales.Printer) {
	if !l.IsZero() {
		line(6, p.T("show.labels", map[string]any{"Yes": l.Yes.In(p.Lang()), "No": l.No.In(p.Lang())}))
	}
}

func renderIndicator(line func(int, string), s *scoring.Set, ind *scoring.Indicator, p *locales.Printer) {
	lang := p.Lang()
	head := fmt.Sprintf("%s %s — %s", ind.Code, ind.Text.In(lang), p.Points(ind.MaxPoints))
	if ind.MinPoints > 0 {
		head += " " + p.T("show.min", map[string]any{"Min": p.Number(ind.MinPoints)})
	}
	line(2, head)

	answer := p.T("show.answer." + string(ind.Kind))
	if ind.Kind == scoring.AnswerNumber {
		unit := ind.Unit.In(lang)
		if unit == "" {
			unit = "—"
		}
		answer = p.T("show.answer.number", map[string]any{"Unit": unit})
	}
	if s.OffersNA(ind.Code) {
		answer += " · " + p.T("show.na_allowed")
	}
	line(6, answer)
	labelsLine(line, ind.Labels, p)
	relevantLine(line, 6, s, ind.Relevant, p)
	for _, o := range ind.Options {
		line(8, fmt.Sprintf("• %s — %s", o.Text.In(lang), p.Points(o.Points)))
	}
	for i, band := range ind.Bands {
		line(8, "• "+bandText(band, i == len(ind.Bands)-1, p)+" — "+p.Points(band.Points))
	}

	switch ind.EvidenceRule() {
	case scoring.EvidenceRequired:
		line(6, p.T("show.evidence.required", map[string]any{"Count": ind.Evidence.MinPhotos, "Hint": ind.Evidence.Hint.In(lang)}))
	case scoring.EvidenceOptional:
		line(6, p.T("show.evidence.optional", map[string]any{"Hint": ind.Evidence.Hint.In(lang)}))
	}
	if !ind.Guidance.IsZero() {
		line(6, p.T("show.guidance", map[string]any{"Text": ind.Guidance.In(lang)}))
	}
	if !ind.Certainty.IsConfirmed() {
		line(6, p.T("certainty."+string(ind.Certainty)))
	}
}

// bandText writes the values a band covers: "from 40 to under 60",
// "from 80 to 100" for the last band, "40 or more" for an open one.
func bandText(b scoring.Band, last bool, p *locales.Printer) string {
	data := map[string]any{"Min": p.Number(b.Min)}
	switch {
	case b.Max == nil:
		return p.T("band.open", data)
	case last:
		data["Max"] = p.Number(*b.Max)
		return p.T("band.last", data)
	}
	data["Max"] = p.Number(*b.Max)
	return p.T("band", data)
}

func statusText(s *scoring.Set, p *locales.Printer) string {
	if s.Status == scoring.StatusWithdrawn {
		return p.T("status.withdrawn", map[string]any{"By": s.ReplacedBy})
	}
	return p.T("status." + string(s.Status))
}
