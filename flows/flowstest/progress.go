package flowstest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// SetGoals sets the targets every area's figures compare with (none by
// default).
func (s *Store) SetGoals(goals map[scoring.Kind][]flows.Goal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.goals = goals
}

// Progress counts an area's figures from what the store keeps, as the
// PostgreSQL store's roll-ups do: the registry's entities (there are no
// official counts here), and no month's start.
func (s *Store) Progress(_ context.Context, personID int64, code string, year int, _ time.Time) (flows.Progress, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.areas, func(a flows.Area) bool { return a.Code == code })
	if i < 0 || !s.may(personID, role.Progress, code) {
		return flows.Progress{}, flows.ErrNotFound
	}
	p := flows.Progress{AreaFigures: s.figures(s.areas[i], year), Year: year}
	var children []flows.Area
	for _, a := range s.areas {
		if a.Parent == code && !s.ended[a.Code] {
			children = append(children, a)
		}
	}
	area.SortByName(children)
	for _, c := range children {
		p.Children = append(p.Children, s.figures(c, year))
	}
	if id := s.digestOf(personID, code); id > 0 {
		p.Digest = !s.digests[id-1].off
	}
	if up := slices.IndexFunc(s.areas, func(a flows.Area) bool { return a.Code == p.Area.Parent }); up >= 0 && s.may(personID, role.Progress, p.Area.Parent) {
		p.Up = &s.areas[up]
	}
	return p, nil
}

// figures counts the subjects at or below an area in each state.
func (s *Store) figures(a flows.Area, year int) flows.AreaFigures {
	counts := map[scoring.Kind]map[string]int{}
	for _, k := range scoring.Kinds {
		counts[k] = map[string]int{}
	}
	for _, sj := range s.subjects {
		if s.below(sj.AreaCode, a.Code) {
			counts[sj.Kind][flows.StateEnrolled]++
			if s.registrations[[2]int64{sj.ID, int64(year)}] {
				counts[sj.Kind][flows.StateRegistered]++
			}
		}
	}
	for _, r := range s.assessments {
		sj := s.subjects[r.a.SubjectID-1]
		if r.status == "abandoned" || r.a.Year != year || !s.below(sj.AreaCode, a.Code) {
			continue
		}
		counts[sj.Kind][s.stateOf(r)]++
	}
	out := flows.AreaFigures{Area: a}
	for _, k := range scoring.Kinds {
		out.Titles = append(out.Titles, flows.Figures{Kind: k, Entities: counts[k][flows.StateEnrolled], Counts: counts[k],
			MonthStart: -1, Goals: s.goals[k]})
	}
	return out
}

// stateOf is the state an assessment that is not abandoned stands in.
func (s *Store) stateOf(r *record) string {
	switch {
	case s.recognitionOf(r.a.ID) != nil:
		return flows.StateRecognised
	case r.review != nil && r.review.State != flows.ReviewWaiting:
		return r.review.State
	}
	return r.status
}

// CountMisses counts the missed indicators now, as the PostgreSQL store's
// nightly job does; Misses reads what it counted at. Until it runs,
// Misses has none.
func (s *Store) CountMisses(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missesAt = at
	s.missed = map[string]map[int][]flows.Miss{}
	for _, r := range s.assessments {
		if r.status != "submitted" || r.a.Result == nil {
			continue
		}
		i := slices.IndexFunc(s.subjects, func(sj subject) bool { return sj.ID == r.a.SubjectID })
		if i < 0 {
			continue
		}
		for _, a := range s.areas {
			if !s.below(s.subjects[i].AreaCode, a.Code) {
				continue
			}
			key := a.Code
			if s.missed[key] == nil {
				s.missed[key] = map[int][]flows.Miss{}
			}
			for _, ind := range r.a.Result.Indicators {
				if !ind.Answered || ind.NotApplicable || ind.Skipped {
					continue
				}
				list := s.missed[key][r.a.Year]
				j := slices.IndexFunc(list, func(m flows.Miss) bool { return m.SetID == r.a.SetID && m.Code == ind.Code })
				if j < 0 {
					list = append(list, flows.Miss{Kind: s.subjects[i].Kind, SetID: r.a.SetID, Code: ind.Code})
					j = len(list) - 1
				}
				list[j].Assessed++
				if ind.Points < ind.Max/2 {
					list[j].Missed++
				}
				s.missed[key][r.a.Year] = list
			}
		}
	}
}

// Misses returns what CountMisses counted for an area and a year: at most
// maxMisses of each title, those missed at least once.
func (s *Store) Misses(_ context.Context, personID int64, code string, year int) (flows.Misses, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.misses(personID, code, year, maxMisses)
}

// misses are an area's indicators missed at least once, at most limit of
// each title (all when limit is 0).
func (s *Store) misses(personID int64, code string, year, limit int) (flows.Misses, error) {
	i := slices.IndexFunc(s.areas, func(a flows.Area) bool { return a.Code == code })
	if i < 0 || !s.may(personID, role.Progress, code) {
		return flows.Misses{}, flows.ErrNotFound
	}
	list := slices.DeleteFunc(slices.Clone(s.missed[code][year]), func(m flows.Miss) bool { return m.Missed == 0 })
	flows.SortMisses(list)
	var out []flows.Miss
	for i, m := range list {
		if limit == 0 || i < limit || m.Kind != list[i-limit].Kind {
			out = append(out, m)
		}
	}
	return flows.Misses{Area: s.areas[i], Built: s.missesAt, List: out}, nil
}

// Workbook returns an area's figures, every indicator missed and the
// assessments in scope, by area and then as started, at most
// flows.MaxInScope, as the PostgreSQL store does.
func (s *Store) Workbook(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Workbook, error) {
	p, err := s.Progress(ctx, personID, code, year, at)
	if err != nil {
		return flows.Workbook{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := flows.Workbook{Progress: p}
	if w.Misses, err = s.misses(personID, code, year, 0); err != nil {
		return w, err
	}
	for _, r := range s.assessments {
		sj := s.subjects[r.a.SubjectID-1]
		if r.status == "abandoned" || r.a.Year != year || !s.below(sj.AreaCode, code) {
			continue
		}
		x := flows.InScope{ID: r.a.ID, Kind: sj.Kind, Subject: sj.Name, State: s.stateOf(r), Submitted: r.a.Submitted}
		if x.Submitted == nil && r.review != nil { // sent back: sent when it began to wait
			since := r.review.WaitingSince
			x.Submitted = &since
		}
		if i := slices.IndexFunc(s.areas, func(a flows.Area) bool { return a.Code == sj.AreaCode }); i >= 0 {
			x.Area = s.areas[i]
		}
		if res := r.a.Result; res != nil {
			total, passed := res.Total, res.Passed
			x.Total, x.Passed = &total, &passed
		}
		w.InScope = append(w.InScope, x)
	}
	slices.SortFunc(w.InScope, func(a, b flows.InScope) int {
		return cmp.Or(cmp.Compare(a.Area.Code, b.Area.Code), cmp.Compare(a.ID, b.ID))
	})
	if len(w.InScope) > flows.MaxInScope {
		w.InScope = w.InScope[:flows.MaxInScope]
	}
	return w, nil
}

// maxMisses is the PostgreSQL store's MaxMisses.
const maxMisses = 5

// digest is a leader's weekly digest of an area.
type digest struct {
	person int64
	area   string
	off    bool
}

// digestOf is the id of a person's digest of an area, on or off; 0
// when there is none.
func (s *Store) digestOf(personID int64, code string) int64 {
	for i, d := range s.digests {
		if d.person == personID && d.area == code {
			return int64(i + 1)
		}
	}
	return 0
}

// SetDigest switches a person's weekly digest of an area on or off, as
// the PostgreSQL store does: switched on again, it is the same digest.
func (s *Store) SetDigest(_ context.Context, personID int64, code string, on bool, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on && !s.may(personID, role.Progress, code) {
		return flows.ErrNotFound
	}
	id := s.digestOf(personID, code)
	switch {
	case id == 0 && on:
		s.digests = append(s.digests, digest{person: personID, area: code})
		s.effect("digest %d of %s on", len(s.digests), code)
	case id > 0 && s.digests[id-1].off == on:
		s.digests[id-1].off = !on
		s.effect("digest %d of %s on: %v", id, code, on)
	}
	return nil
}

// DigestArea returns the area of a person's digest and whether it is on.
func (s *Store) DigestArea(_ context.Context, personID, id int64) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > int64(len(s.digests)) || s.digests[id-1].person != personID {
		return "", false, nil
	}
	return s.digests[id-1].area, !s.digests[id-1].off, nil
}

// nudge is a leader's tap asking reviewers to follow up the child areas
// of an area that had not reported.
type nudge struct {
	from  string
	year  int
	day   string
	at    time.Time
	quiet []string
}

// Nudge tells the reviewers of an area's child areas not reported, once
// a day, as the PostgreSQL store does; each notice is an effect.
func (s *Store) Nudge(ctx context.Context, personID int64, code string, year int, at time.Time) (flows.Nudged, error) {
	p, err := s.Progress(ctx, personID, code, year, at)
	if err != nil {
		return flows.Nudged{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n flows.Nudged
	var quiet []string
	for _, c := range p.Children {
		if !c.Reported() {
			quiet = append(quiet, c.Area.Code)
		}
	}
	if n.Quiet = len(quiet); n.Quiet == 0 {
		return n, nil
	}
	covers := s.covers(code, quiet, 0, personID)
	var told []int64
	for _, c := range p.Children {
		if slices.Contains(quiet, c.Area.Code) && !slices.ContainsFunc(covers, func(x cover) bool { return x.area == c.Area.Code }) {
			n.Without = append(n.Without, c.Area)
		}
	}
	for _, c := range covers {
		if !slices.Contains(told, c.person) {
			told = append(told, c.person)
		}
	}
	if len(told) == 0 {
		return n, nil
	}
	day := at.In(flows.Vietnam).Format(time.DateOnly)
	if i := slices.IndexFunc(s.nudges, func(x nudge) bool { return x.from == code && x.year == year && x.day == day }); i >= 0 {
		return flows.Nudged{Quiet: n.Quiet, Earlier: s.nudges[i].at}, nil
	}
	s.nudges = append(s.nudges, nudge{from: code, year: year, day: day, at: at, quiet: quiet})
	slices.Sort(told)
	for _, person := range told {
		s.effect("reminder %s %d to person %d", flows.RemindNudged, len(s.nudges), person)
	}
	n.Reviewers = len(told)
	return n, nil
}

// cover is a reviewer who covers an area.
type cover struct {
	person int64
	area   string
}

// covers returns the reviewers whose role is at
// from or at or below one of the quiet areas; only person's when not 0,
// and not except's.
func (s *Store) covers(from string, quiet []string, person, except int64) []cover {
	var out []cover
	for _, h := range s.roles {
		if !slices.Contains(role.Holders(role.ReviewDecide), string(h.role)) || h.person == except || person != 0 && h.person != person ||
			s.people[h.person-1].Inactive {
			continue
		}
		for _, q := range quiet {
			if c := (cover{h.person, q}); (h.area == from || s.below(h.area, q)) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// NudgeOf returns the areas of a nudge a reviewer covers, by name.
func (s *Store) NudgeOf(_ context.Context, personID, id int64) (flows.Nudge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > int64(len(s.nudges)) {
		return flows.Nudge{}, flows.ErrNotFound
	}
	x := s.nudges[id-1]
	n := flows.Nudge{Year: x.year}
	for _, a := range s.areas {
		if a.Code == x.from {
			n.From = a
		}
	}
	for _, c := range s.covers(x.from, x.quiet, personID, 0) {
		if i := slices.IndexFunc(s.areas, func(a flows.Area) bool { return a.Code == c.area }); i >= 0 {
			n.Quiet = append(n.Quiet, s.areas[i])
		}
	}
	if len(n.Quiet) == 0 {
		return n, flows.ErrNotFound
	}
	area.SortByName(n.Quiet)
	return n, nil
}
