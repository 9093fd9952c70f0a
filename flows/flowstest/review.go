package flowstest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/review"
	"hoctap/role"
	"hoctap/scoring"
)

var _ review.Store = (*Store)(nil)

// held is a role a person holds over an area.
type held struct {
	id     int64
	person int64
	role   role.Role
	area   string
}

// GrantRole gives a person a role over an area and everything below it.
func (s *Store) GrantRole(_ context.Context, personID int64, r role.Role, areaCode string, _ int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grant(personID, r, areaCode)
	return nil
}

// grant gives a role once.
func (s *Store) grant(personID int64, r role.Role, areaCode string) {
	if slices.ContainsFunc(s.roles, func(h held) bool { return h.person == personID && h.role == r && h.area == areaCode }) {
		return
	}
	s.granted++
	s.roles = append(s.roles, held{s.granted, personID, r, areaCode})
	s.effect("role: person %d %s of %s", personID, r, areaCode)
}

// may reports whether a person holds a role allowing the action over the
// area or one above it.
func (s *Store) may(personID int64, a role.Action, areaCode string) bool {
	for code := areaCode; code != ""; {
		for _, h := range s.roles {
			if h.person == personID && h.area == code && role.Allows(h.role, a) {
				return true
			}
		}
		i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == code })
		if i < 0 {
			break
		}
		code = s.areas[i].Parent
	}
	return false
}

// reviewable returns the record a person may take the action on: one
// under review, in their scope, of a subject they neither represent nor
// filled in.
func (s *Store) reviewable(personID, id int64, a role.Action) *record {
	r := s.record(id)
	if r == nil || r.review == nil || r.person == personID || s.subjects[r.a.SubjectID-1].represents(personID) ||
		!s.may(personID, a, r.a.AreaCode) {
		return nil
	}
	return r
}

func (s *Store) May(_ context.Context, personID int64, a role.Action) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.roles {
		if h.person == personID && role.Allows(h.role, a) {
			return true, nil
		}
	}
	return false, nil
}

func (s *Store) Queue(_ context.Context, personID int64, offset, limit int) ([]flows.Queued, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []flows.Queued
	for _, r := range s.assessments {
		if s.reviewable(personID, r.a.ID, role.ReviewList) == nil || r.review.State != flows.ReviewWaiting {
			continue
		}
		place := s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == r.a.AreaCode })]
		all = append(all, flows.Queued{AssessmentID: r.a.ID, ReviewRev: r.review.Rev, Kind: r.a.Kind, SubjectName: r.a.SubjectName,
			AreaName: place.Name, WaitingSince: r.review.WaitingSince, Resubmitted: r.review.Resubmitted, Returned: r.review.Returned})
	}
	slices.SortStableFunc(all, func(a, b flows.Queued) int { return a.WaitingSince.Compare(b.WaitingSince) })
	if offset >= len(all) {
		return nil, len(all), nil
	}
	return all[offset:min(len(all), offset+limit)], len(all), nil
}

func (s *Store) ForReview(_ context.Context, personID, id int64) (flows.UnderReview, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reviewable(personID, id, role.ReviewList)
	if r == nil {
		return flows.UnderReview{}, flows.ErrNotFound
	}
	place := s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == r.a.AreaCode })]
	rv := *r.review
	rv.Before = maps.Clone(r.review.Before)
	return flows.UnderReview{Assessment: r.copyOf(), Area: place, Review: rv, MayDecide: s.may(personID, role.ReviewDecide, r.a.AreaCode)}, nil
}

func (s *Store) Decide(_ context.Context, d flows.Decision) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reviewable(d.Reviewer, d.AssessmentID, role.ReviewDecide)
	if r == nil {
		return nil, flows.ErrNotFound
	}
	rv := r.review
	switch {
	case rv.Rev != d.Rev && rv.Reviewer == d.Reviewer && rv.State == d.State:
		return nil, flows.ErrDone
	case rv.Rev != d.Rev, rv.State != flows.ReviewWaiting:
		return nil, flows.ErrConflict
	}
	at := d.At
	rv.State, rv.Reviewer, rv.Reason, rv.DecidedAt, rv.Before = d.State, d.Reviewer, d.Reason, &at, nil
	rv.Rev++
	if d.State == flows.ReviewNeedsChanges {
		rv.Before = maps.Clone(r.a.Answers)
		r.status, r.a.Cursor, r.a.Submitted = "open", "", nil
		r.a.Rev++
		r.reopened = r.a.Rev
		s.touch(r)
	}
	if d.Result != nil {
		res := *d.Result
		r.a.Result = &res
	}
	s.effect("review: assessment %d %s by person %d", d.AssessmentID, d.State, d.Reviewer)
	if d.State == flows.ReviewAccepted && s.chainOf(r.a.AreaCode) == flows.ChainAccept {
		s.recognise(r.a.ID, "", nil, d.At)
	}
	if sj := s.subjects[r.a.SubjectID-1]; !sj.assisted {
		return []int64{sj.createdBy}, nil
	}
	return nil, nil
}

func (s *Store) Undo(_ context.Context, reviewer, id int64, rev int, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reviewable(reviewer, id, role.ReviewDecide)
	if r == nil {
		return flows.ErrNotFound
	}
	rv := r.review
	if rv.Rev != rev || rv.Reviewer != reviewer || rv.State == flows.ReviewWaiting || rv.DecidedAt == nil || at.Sub(*rv.DecidedAt) > review.UndoWithin {
		return flows.ErrConflict
	}
	if g := s.recognitionOf(id); rv.State == flows.ReviewAccepted && g != nil {
		if g.decisionNo != "" {
			return flows.ErrConflict // confirmed under a decision
		}
		g.ended = true
	}
	if rv.State == flows.ReviewNeedsChanges {
		if r.status != "open" || r.a.Rev != r.reopened {
			return flows.ErrConflict
		}
		since := rv.WaitingSince
		r.status, r.a.Submitted = "submitted", &since
		r.a.Rev++
		s.touch(r)
	}
	*rv = flows.Review{AssessmentID: id, State: flows.ReviewWaiting, Rev: rv.Rev + 1, WaitingSince: rv.WaitingSince, Resubmitted: rv.Resubmitted, Returned: rv.Returned}
	s.effect("review: assessment %d undone by person %d", id, reviewer)
	return nil
}

func (s *Store) EvidenceFiles(_ context.Context, id int64) (flows.EvidenceFiles, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(id)
	if r == nil {
		return nil, flows.ErrNotFound
	}
	out := flows.EvidenceFiles{}
	for code, ids := range r.files {
		out[code] = slices.Clone(ids)
	}
	return out, nil
}

func (s *Store) Told(_ context.Context, personID, id int64) (flows.Told, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(id)
	if r == nil || r.review == nil || !s.subjects[r.a.SubjectID-1].represents(personID) {
		return flows.Told{}, flows.ErrNotFound
	}
	return flows.Told{Kind: r.a.Kind, SubjectName: r.a.SubjectName, State: r.review.State, Rev: r.review.Rev, Reason: r.review.Reason}, nil
}

// invitation is an invitation kept in memory.
type invitation struct {
	flows.Invitation
	uses, used int // uses 0: no limit
	expires    time.Time
	revoked    bool
	subject    int64          // a representative's
	by         map[int64]bool // who used it
}

// Invite makes an invitation to a role (or flows.Household) over an area
// and returns its payload; uses 0 is no limit.
func (s *Store) Invite(r, areaCode string, uses int, expires time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.invitations == nil {
		s.invitations = map[string]*invitation{}
	}
	id := int64(len(s.invitations) + 1)
	place := s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == areaCode })]
	payload := "inv" + strconv.FormatInt(id, 10)
	s.invitations[payload] = &invitation{Invitation: flows.Invitation{ID: id, Role: r, Area: place}, uses: uses, expires: expires, by: map[int64]bool{}}
	return payload
}

// Withdraw ends an invitation made by Invite, by its payload.
func (s *Store) Withdraw(payload string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invitations[payload].revoked = true
}

func (s *Store) RevokeInvitation(_ context.Context, id, by int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, inv := range s.invitations {
		if inv.ID != id || inv.revoked {
			continue
		}
		action := role.Invite
		if inv.Role == string(role.Admin) {
			action = role.Administer
		}
		if by != 0 && !s.may(by, action, inv.Area.Code) {
			return flows.ErrNotFound
		}
		inv.revoked = true
		s.effect("invitation revoked: %d", id)
		return nil
	}
	return flows.ErrNotFound
}

func (s *Store) Redeem(_ context.Context, payload string, personID int64, at time.Time) (flows.Invitation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.invitations[payload]
	switch {
	case inv == nil:
		return flows.Invitation{}, flows.ErrInviteInvalid
	case inv.revoked || !at.Before(inv.expires):
		return flows.Invitation{}, flows.ErrInviteEnded
	case inv.by[personID]:
		return inv.Invitation, nil
	case inv.uses > 0 && inv.used >= inv.uses:
		return flows.Invitation{}, flows.ErrInviteUsedUp
	}
	var households []int64
	var joined []string
	if inv.Role == flows.Member {
		for _, sj := range s.subjects {
			if sj.Kind == scoring.KindFamily && sj.represents(personID) {
				households, joined = append(households, sj.ID), append(joined, sj.Name)
			}
		}
		if len(households) == 0 {
			return flows.Invitation{}, flows.ErrNoHousehold
		}
	}
	inv.used++
	inv.by[personID] = true
	s.effect("invitation %d used by person %d", inv.ID, personID)
	if inv.Role == flows.Representative {
		sj := &s.subjects[inv.subject-1]
		sj.joined = append(sj.joined, personID)
		s.effect("representative: person %d of subject %d", personID, inv.subject)
		return inv.Invitation, nil
	}
	if inv.Role == flows.Member {
		if s.members == nil {
			s.members = map[int64][]int64{}
		}
		for _, h := range households {
			if !slices.Contains(s.members[inv.subject], h) {
				s.members[inv.subject] = append(s.members[inv.subject], h)
				s.effect("clan member: household %d joins clan %d", h, inv.subject)
			}
		}
		out := inv.Invitation
		out.Joined = joined
		return out, nil
	}
	if inv.Role != flows.Household {
		s.grant(personID, role.Role(inv.Role), inv.Area.Code)
	}
	return inv.Invitation, nil
}

// recognition is a recognition kept in memory.
type recognition struct {
	id, assessment int64
	decisionNo     string
	decisionDate   *time.Time
	at             time.Time
	ended          bool
	endReason      string // a higher level's, when it sent the title back
}

// SetChain sets how a province recognises titles (flows.ChainAccept by
// default), for a person who may administer it (by 0: anyone), as the
// PostgreSQL store does: a switch to accept recognises what was accepted
// and waits, and the count is returned.
func (s *Store) SetChain(_ context.Context, province, chain string, by int64, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if chain != flows.ChainAccept && chain != flows.ChainConfirm {
		return 0, fmt.Errorf("%q is not a recognition chain", chain)
	}
	if !s.isProvince(province) || (by != 0 && !s.may(by, role.Administer, province)) {
		return 0, flows.ErrNotFound
	}
	if s.chains == nil {
		s.chains = map[string]string{}
	}
	s.chains[province] = chain
	n := 0
	if chain == flows.ChainAccept {
		for _, r := range s.waiting(province) {
			s.recognise(r.a.ID, "", nil, at)
			n++
		}
	}
	s.effect("chain: %s %s by person %d, %d recognised", province, chain, by, n)
	return n, nil
}

// waiting returns the accepted submissions of a province that no
// recognition holds.
func (s *Store) waiting(province string) []*record {
	var out []*record
	for _, r := range s.assessments {
		if r.review != nil && r.review.State == flows.ReviewAccepted && s.recognitionOf(r.a.ID) == nil && s.below(r.a.AreaCode, province) {
			out = append(out, r)
		}
	}
	return out
}

// chainOf returns how the province of an area recognises titles.
func (s *Store) chainOf(areaCode string) string {
	for code := areaCode; code != ""; {
		i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == code })
		if i < 0 {
			break
		}
		if s.areas[i].Level == "province" && s.chains[code] != "" {
			return s.chains[code]
		}
		code = s.areas[i].Parent
	}
	return flows.ChainAccept
}

func (s *Store) recognitionOf(assessment int64) *recognition {
	for _, g := range s.recognitions {
		if g.assessment == assessment && !g.ended {
			return g
		}
	}
	return nil
}

func (s *Store) recognise(assessment int64, no string, date *time.Time, at time.Time) {
	g := &recognition{id: int64(len(s.recognitions) + 1), assessment: assessment, decisionNo: no, decisionDate: date, at: at}
	s.recognitions = append(s.recognitions, g)
	s.effect("recognition %d: assessment %d", g.id, assessment)
}

func (s *Store) Pending(_ context.Context, personID int64, limit int) ([]flows.Queued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Queued
	for _, r := range s.assessments {
		if r.review == nil || r.review.State != flows.ReviewAccepted || s.recognitionOf(r.a.ID) != nil ||
			s.chainOf(r.a.AreaCode) != flows.ChainConfirm || s.subjects[r.a.SubjectID-1].represents(personID) ||
			!s.may(personID, role.Recognise, r.a.AreaCode) || len(out) == limit {
			continue
		}
		place := s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == r.a.AreaCode })]
		out = append(out, flows.Queued{AssessmentID: r.a.ID, ReviewRev: r.review.Rev, Kind: r.a.Kind, SubjectName: r.a.SubjectName,
			AreaName: place.Name, WaitingSince: *r.review.DecidedAt, Resubmitted: r.review.Resubmitted})
	}
	return out, nil
}

func (s *Store) Recognise(_ context.Context, g flows.Recognising) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range g.AssessmentIDs {
		r := s.record(id)
		switch {
		case r == nil || r.review == nil || s.subjects[r.a.SubjectID-1].represents(g.By) || !s.may(g.By, role.Recognise, r.a.AreaCode):
			return flows.ErrNotFound
		case r.review.State != flows.ReviewAccepted || s.recognitionOf(id) != nil:
			return flows.ErrConflict
		}
	}
	for _, id := range g.AssessmentIDs {
		date := g.DecisionDate
		s.recognise(id, g.DecisionNo, &date, g.At)
	}
	return nil
}

func (s *Store) Recognised(_ context.Context, personID, id int64) (flows.Recognised, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || int(id) > len(s.recognitions) {
		return flows.Recognised{}, flows.ErrNotFound
	}
	g := s.recognitions[id-1]
	r := s.record(g.assessment)
	if !s.subjects[r.a.SubjectID-1].represents(personID) {
		return flows.Recognised{}, flows.ErrNotFound
	}
	out := flows.Recognised{ID: g.id, Kind: r.a.Kind, SubjectName: r.a.SubjectName, Year: r.a.Year, DecisionNo: g.decisionNo,
		DecisionDate: g.decisionDate, At: g.at, Ended: g.ended, EndReason: g.endReason}
	for code := r.a.AreaCode; code != ""; {
		a := s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == code })]
		if a.Level == "nation" {
			break
		}
		out.Places = append(out.Places, a)
		code = a.Parent
	}
	return out, nil
}

func (s *Store) ScoreByReviewer(_ context.Context, p flows.ReviewerPoints) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reviewable(p.Reviewer, p.AssessmentID, role.ReviewDecide)
	if r == nil {
		return flows.ErrNotFound
	}
	if r.review.Rev != p.Rev || r.review.State != flows.ReviewWaiting {
		return flows.ErrConflict
	}
	if r.a.Answers == nil {
		r.a.Answers = scoring.Answers{}
	}
	r.a.Answers[p.Code] = scoring.Value(p.Points)
	s.effect("points: assessment %d %s = %s by person %d", p.AssessmentID, p.Code, scoring.FormatNumber(p.Points), p.Reviewer)
	return nil
}

// AreasFor returns the areas of the person's roles that allow an action.
func (s *Store) AreasFor(_ context.Context, personID int64, a role.Action) ([]flows.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Area
	for _, h := range s.roles {
		if h.person == personID && role.Allows(h.role, a) {
			out = append(out, s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == h.area })])
		}
	}
	return out, nil
}

// CreateInvitation makes an invitation as Invite does, for a person who
// may invite to the place (an admin's role only by an admin).
func (s *Store) CreateInvitation(_ context.Context, n flows.NewInvitation) (string, error) {
	s.mu.Lock()
	if n.Role == flows.Representative || n.Role == flows.Member {
		if n.Subject < 1 || int(n.Subject) > len(s.subjects) || !s.subjects[n.Subject-1].represents(n.By) ||
			(n.Role == flows.Member && s.subjects[n.Subject-1].Kind != scoring.KindClan) {
			s.mu.Unlock()
			return "", flows.ErrNotFound
		}
		sj := s.subjects[n.Subject-1]
		s.mu.Unlock()
		payload := s.Invite(n.Role, sj.AreaCode, n.Uses, n.Expires)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.invitations[payload].subject, s.invitations[payload].SubjectName = n.Subject, sj.Name
		s.effect("invitation %s: %s of subject %d by person %d", payload, n.Role, n.Subject, n.By)
		return payload, nil
	}
	action := role.Invite
	if n.Role == string(role.Admin) {
		action = role.Administer
	}
	i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == n.Area })
	switch {
	case n.By != 0 && !s.may(n.By, action, n.Area):
		s.mu.Unlock()
		return "", flows.ErrNotFound
	case i < 0 || (n.Role == flows.Household && s.areas[i].Level != "village"):
		s.mu.Unlock()
		return "", fmt.Errorf("no village %q", n.Area)
	}
	s.mu.Unlock()
	payload := s.Invite(n.Role, n.Area, n.Uses, n.Expires)
	s.mu.Lock()
	s.effect("invitation %s: %s of %s by person %d", payload, n.Role, n.Area, n.By)
	s.mu.Unlock()
	return payload, nil
}

func (s *Store) AddVillages(_ context.Context, personID int64, commune string, names []string) ([]flows.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == commune })
	if i < 0 || s.areas[i].Level != "commune" || !s.may(personID, role.Places, commune) {
		return nil, flows.ErrNotFound
	}
	known, n := map[string]bool{}, 0
	for _, a := range s.areas {
		if a.Parent == commune {
			known[area.Fold(a.Name.VI)] = true
			n++
		}
	}
	var added []flows.Area
	for _, name := range names {
		if known[area.Fold(name)] {
			continue
		}
		known[area.Fold(name)] = true
		code := ""
		for code == "" || slices.ContainsFunc(s.areas, func(x flows.Area) bool { return x.Code == code }) {
			n++
			code = fmt.Sprintf("%s.%02d", commune, n)
		}
		a := flows.Area{Code: code, Parent: commune, Level: "village", Name: scoring.Text{VI: name, EN: area.EnglishName(name)}, Region: s.areas[i].Region}
		s.areas = append(s.areas, a)
		added = append(added, a)
		s.effect("area: %s %q in %s", code, name, commune)
	}
	if len(added) > 0 {
		s.askVillagers(commune, time.Now())
	}
	return added, nil
}

func (s *Store) SubjectsAt(_ context.Context, personID int64, areaCode string) ([]flows.Subject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.may(personID, role.Places, areaCode) {
		return nil, flows.ErrNotFound
	}
	var out []flows.Subject
	for _, sj := range s.subjects {
		if sj.AreaCode == areaCode && sj.Kind == scoring.KindFamily {
			out = append(out, sj.Subject)
		}
	}
	return out, nil
}

func (s *Store) MoveSubject(_ context.Context, personID, subjectID int64, village string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == village })
	if subjectID < 1 || int(subjectID) > len(s.subjects) || i < 0 || s.areas[i].Level != "village" {
		return flows.ErrNotFound
	}
	sj := &s.subjects[subjectID-1]
	if s.areas[i].Parent != sj.AreaCode || !s.may(personID, role.Places, sj.AreaCode) {
		return flows.ErrNotFound
	}
	sj.AreaCode = village
	for _, r := range s.assessments {
		if r.a.SubjectID == subjectID {
			r.a.AreaCode = village
		}
	}
	s.effect("move: subject %d to %s", subjectID, village)
	return nil
}

// SeasonYear is the year of the season set for the area's province that
// holds the day in Vietnam, else the day's calendar year.
func (s *Store) SeasonYear(_ context.Context, areaCode string, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	day := at.In(flows.Vietnam)
	date := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	year := 0
	for _, x := range s.seasons[s.provinceOf(areaCode)] {
		if !date.Before(x.Opens) && !date.After(x.Closes) && x.Year > year {
			year = x.Year
		}
	}
	if year == 0 {
		year = day.Year()
	}
	return year, nil
}

func (s *Store) Register(_ context.Context, n flows.NewAssessment, _ time.Time) (flows.Subject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sj := s.subjectFor(n)
	s.register(sj.ID, n.Year)
	return sj, nil
}

// register records a subject's registration for a year, once.
func (s *Store) register(subject int64, year int) {
	if s.registrations == nil {
		s.registrations = map[[2]int64]bool{}
	}
	key := [2]int64{subject, int64(year)}
	if !s.registrations[key] {
		s.registrations[key] = true
		s.effect("registration: subject %d for %d", subject, year)
	}
}

// below reports whether an area is under (or is) another.
func (s *Store) below(code, under string) bool {
	for c := code; c != ""; {
		if c == under || under == "" {
			return true
		}
		i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == c })
		if i < 0 {
			return false
		}
		c = s.areas[i].Parent
	}
	return false
}

func (s *Store) Roles(_ context.Context, under string) ([]flows.RoleHeld, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.RoleHeld
	for _, h := range s.roles {
		if s.below(h.area, under) {
			out = append(out, flows.RoleHeld{ID: h.id, Person: h.person, Role: string(h.role), Area: h.area})
		}
	}
	return out, nil
}

func (s *Store) RevokeRole(_ context.Context, id, by int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.roles, func(h held) bool { return h.id == id })
	if i < 0 {
		return flows.ErrNotFound
	}
	action := role.Invite
	if s.roles[i].role == role.Admin {
		action = role.Administer
	}
	if by != 0 && !s.may(by, action, s.roles[i].area) {
		return flows.ErrNotFound
	}
	s.effect("role revoked: %d", id)
	s.roles = slices.Delete(s.roles, i, i+1)
	return nil
}

func (s *Store) Invitations(_ context.Context, under string) ([]flows.InvitationMade, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.InvitationMade
	for _, inv := range s.invitations {
		if s.below(inv.Area.Code, under) {
			out = append(out, flows.InvitationMade{ID: inv.ID, Role: inv.Role, Area: inv.Area.Code, Uses: inv.uses, Used: inv.used,
				Expires: inv.expires, Revoked: inv.revoked})
		}
	}
	slices.SortFunc(out, func(a, b flows.InvitationMade) int { return int(b.ID - a.ID) })
	return out, nil
}

// Derive computes a derived indicator as the PostgreSQL store does: the
// households placed in a village's area, or a clan's member households,
// and those of them recognised as Learning Families in year or the year
// before.
func (s *Store) Derive(_ context.Context, d scoring.Derivation, subjectID int64, year int) (flows.Share, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d != scoring.RecognisedFamilies {
		return flows.Share{}, fmt.Errorf("derive %q: unknown derivation", d)
	}
	out := flows.Share{Year: year}
	if subjectID < 1 || int(subjectID) > len(s.subjects) {
		return out, nil
	}
	members := map[int64]bool{}
	switch v := s.subjects[subjectID-1]; v.Kind {
	case scoring.KindCommunity:
		for _, sj := range s.subjects {
			if sj.Kind == scoring.KindFamily && sj.AreaCode == v.AreaCode {
				members[sj.ID] = true
			}
		}
	case scoring.KindClan:
		for _, h := range s.members[subjectID] {
			members[h] = true
		}
	}
	out.Households = len(members)
	held := map[int64]bool{}
	for _, g := range s.recognitions {
		a := s.assessments[g.assessment-1].a
		if !g.ended && members[a.SubjectID] && a.Kind == scoring.KindFamily && (a.Year == year || a.Year == year-1) {
			held[a.SubjectID] = true
		}
	}
	out.Recognised = len(held)
	return out, nil
}

// AddFamilies places households in a village, as if others had enrolled
// them, of which the first recognised were recognised as Learning
// Families in year; no one in the test represents them.
func (s *Store) AddFamilies(village string, year, recognised, households int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range households {
		sj := subject{Subject: flows.Subject{ID: int64(len(s.subjects) + 1), Kind: scoring.KindFamily,
			Name: "Hộ " + strconv.Itoa(i+1), AreaCode: village}}
		s.subjects = append(s.subjects, sj)
		if i >= recognised {
			continue
		}
		at := time.Date(year, time.June, 1, 0, 0, 0, 0, time.UTC)
		r := &record{a: flows.Assessment{ID: int64(len(s.assessments) + 1), SubjectID: sj.ID, SubjectName: sj.Name,
			Kind: scoring.KindFamily, AreaCode: village, Year: year, Submitted: &at}, status: "submitted",
			review: &flows.Review{State: flows.ReviewAccepted, DecidedAt: &at}, seeded: true}
		s.assessments = append(s.assessments, r)
		s.recognitions = append(s.recognitions, &recognition{id: int64(len(s.recognitions) + 1), assessment: r.a.ID, at: at})
	}
}

// higher reports whether a person may send back a title in an area: a
// role that allows recognising, held over the area's province or the
// nation.
func (s *Store) higher(personID int64, areaCode string) bool {
	for code := areaCode; code != ""; {
		i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == code })
		if i < 0 {
			break
		}
		if lvl := s.areas[i].Level; lvl == "province" || lvl == "nation" {
			for _, h := range s.roles {
				if h.person == personID && h.area == code && role.Allows(h.role, role.Recognise) {
					return true
				}
			}
		}
		code = s.areas[i].Parent
	}
	return false
}

// Titles returns a page of the recognitions in force the person may send
// back, the newest first, as the PostgreSQL store does.
func (s *Store) Titles(_ context.Context, personID int64, offset, limit int) ([]flows.Recognised, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []flows.Recognised
	for i := len(s.recognitions) - 1; i >= 0; i-- {
		g := s.recognitions[i]
		r := s.record(g.assessment)
		sj := s.subjects[r.a.SubjectID-1]
		if g.ended || sj.represents(personID) || !s.higher(personID, sj.AreaCode) {
			continue
		}
		place := s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == sj.AreaCode })]
		all = append(all, flows.Recognised{ID: g.id, Kind: r.a.Kind, SubjectName: r.a.SubjectName, Places: []flows.Area{place},
			Year: r.a.Year, DecisionNo: g.decisionNo, DecisionDate: g.decisionDate, At: g.at})
	}
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	return page, len(all), nil
}

// Return sends a recognised title back, as the PostgreSQL store does.
func (s *Store) Return(_ context.Context, ret flows.Returning) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ret.RecognitionID < 1 || int(ret.RecognitionID) > len(s.recognitions) {
		return flows.ErrNotFound
	}
	g := s.recognitions[ret.RecognitionID-1]
	r := s.record(g.assessment)
	sj := s.subjects[r.a.SubjectID-1]
	switch {
	case sj.represents(ret.By) || !s.higher(ret.By, sj.AreaCode):
		return flows.ErrNotFound
	case g.ended:
		return flows.ErrConflict
	}
	g.ended, g.endReason = true, ret.Reason
	rv := r.review
	rv.State, rv.Rev, rv.WaitingSince, rv.Reason, rv.Returned, rv.Reviewer, rv.DecidedAt = flows.ReviewWaiting, rv.Rev+1, ret.At, ret.Reason, rv.Returned+1, 0, nil
	s.effect("recognition %d: sent back by person %d; assessment %d waits for review again", g.id, ret.By, r.a.ID)
	return nil
}

func (s *Store) Waiting(_ context.Context, personID int64, late time.Time) (flows.Waiting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var w flows.Waiting
	for _, r := range s.assessments {
		if s.reviewable(personID, r.a.ID, role.ReviewDecide) == nil || r.review.State != flows.ReviewWaiting {
			continue
		}
		w.N++
		if since := r.review.WaitingSince; w.Oldest.IsZero() || since.Before(w.Oldest) {
			w.Oldest = since
		}
		if r.review.WaitingSince.Before(late) {
			w.Late++
		}
	}
	return w, nil
}
