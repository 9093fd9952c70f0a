package flowstest

import (
	"context"
	"slices"
	"strings"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/relocate"
	"hoctap/scoring"
)

var _ relocate.Store = (*Store)(nil)

// relocation is a subject of an area split, whose representatives were
// asked to pick the area it belongs to now.
type relocation struct {
	id, subject int64
	from        string
	since       time.Time
	candidates  []string
	villages    bool // from is a commune that got villages: they are the candidates
}

// candidatesOf returns the codes a relocation's subject may be moved to.
func (s *Store) candidatesOf(r *relocation) []string {
	if !r.villages {
		return r.candidates
	}
	var codes []string
	for _, a := range s.areas {
		if a.Parent == r.from && a.Level == "village" {
			codes = append(codes, a.Code)
		}
	}
	return codes
}

// askVillagers asks the representatives of the households placed at a
// commune itself which of its villages each belongs to, once per
// household, as the PostgreSQL store does when villages are added.
func (s *Store) askVillagers(commune string, at time.Time) {
	for _, sj := range s.subjects {
		if sj.AreaCode != commune || sj.Kind != scoring.KindFamily || slices.ContainsFunc(s.relocations, func(r *relocation) bool {
			return r.subject == sj.ID && r.from == commune
		}) {
			continue
		}
		s.asked = append(s.asked, s.ask(sj, &relocation{subject: sj.ID, from: commune, since: at, villages: true})...)
	}
}

// ask keeps a relocation and asks each representative of its subject.
func (s *Store) ask(sj subject, r *relocation) []Asked {
	r.id = int64(len(s.relocations) + 1)
	s.relocations = append(s.relocations, r)
	var people []int64
	if !sj.assisted {
		people = append(people, sj.createdBy)
	}
	var asked []Asked
	for _, p := range append(people, sj.joined...) {
		asked = append(asked, Asked{Person: p, Relocation: r.id})
		s.effect("relocation %d: subject %d, person %d asked", r.id, sj.ID, p)
	}
	return asked
}

// TakeAsked returns the notices that asked households to pick their
// village since the last call, to deliver in order, and forgets them.
func (s *Store) TakeAsked() []Asked {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.asked
	s.asked = nil
	return out
}

// Asked is a notice a split wrote: a representative asked to pick the new
// area of a subject (the event relocate.EventAsk of the relocation).
type Asked struct{ Person, Relocation int64 }

// Split ends an area on a day, as an area import of a split does, adds the
// areas it was split into (under its parent), and asks each
// representative of every subject placed in it to pick one: it returns
// the notices to deliver, in order.
func (s *Store) Split(from string, since time.Time, into ...flows.Area) []Asked {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended == nil {
		s.ended = map[string]bool{}
	}
	s.ended[from] = true
	var codes []string
	for _, a := range into {
		s.areas = append(s.areas, a)
		codes = append(codes, a.Code)
	}
	s.effect("split: %s on %s into %s", from, since.Format(time.DateOnly), strings.Join(codes, ", "))
	var asked []Asked
	for _, sj := range s.subjects {
		if sj.AreaCode != from {
			continue
		}
		asked = append(asked, s.ask(sj, &relocation{subject: sj.ID, from: from, since: since, candidates: codes})...)
	}
	return asked
}

// areaByCode returns an area of the tree; the zero Area when unknown.
func (s *Store) areaByCode(code string) flows.Area {
	if i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == code }); i >= 0 {
		return s.areas[i]
	}
	return flows.Area{}
}

// relocationFor returns a relocation and its subject for one of the
// subject's representatives; nil for anyone else.
func (s *Store) relocationFor(personID, id int64) (*relocation, *subject) {
	if id < 1 || int(id) > len(s.relocations) {
		return nil, nil
	}
	r := s.relocations[id-1]
	sj := &s.subjects[r.subject-1]
	if !sj.represents(personID) {
		return nil, nil
	}
	return r, sj
}

func (s *Store) Relocation(_ context.Context, personID, id int64) (flows.Relocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, sj := s.relocationFor(personID, id)
	if r == nil {
		return flows.Relocation{}, flows.ErrNotFound
	}
	out := flows.Relocation{ID: r.id, Kind: sj.Kind, SubjectName: sj.Name, From: s.areaByCode(r.from), Since: r.since,
		Waiting: sj.AreaCode == r.from, Now: s.areaByCode(sj.AreaCode), Villages: r.villages}
	if out.Waiting {
		for _, code := range s.candidatesOf(r) {
			if !s.ended[code] {
				out.Candidates = append(out.Candidates, s.areaByCode(code))
			}
		}
		area.SortByName(out.Candidates)
	}
	return out, nil
}

func (s *Store) Relocate(_ context.Context, personID, id int64, to string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, sj := s.relocationFor(personID, id)
	switch {
	case r == nil:
		return flows.ErrNotFound
	case sj.AreaCode != r.from:
		return flows.ErrConflict
	case !slices.Contains(s.candidatesOf(r), to) || s.ended[to]:
		return flows.ErrNotFound
	}
	sj.AreaCode = to
	for _, rec := range s.assessments {
		if rec.a.SubjectID == sj.ID {
			rec.a.AreaCode = to
		}
	}
	s.effect("relocate: subject %d from %s to %s by person %d", sj.ID, r.from, to, personID)
	return nil
}
