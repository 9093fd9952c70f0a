// Package flowstest gives the conversations' tests in-memory ports: a
// Store that keeps people, a slice of the area tree, assessments, answers and
// evidence as PostgreSQL does (revision checks, inputs applied once, one
// assessment per subject and year) and writes down every effect; photos by file
// id; and blobs by hash. They let flows' golden transcripts run with no
// server at all. The PostgreSQL store is held to the same behaviour by the
// store package's tests.
package flowstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/assess"
	"hoctap/flows/enrol"
	"hoctap/role"
	"hoctap/scoring"
)

// Store is an in-memory store of everything the conversations keep.
type Store struct {
	mu            sync.Mutex
	people        []flows.Person
	identities    map[identity]int64
	roles         []held
	granted       int64                     // roles given, to number the next
	invitations   map[string]*invitation    // by payload
	chains        map[string]string         // recognition chains by province
	seasons       map[string][]flows.Season // by province, by year
	reasons       map[string][]flows.Reason // a province's own, in the order added
	reasonSeq     int64                     // reasons added, to number the next
	registrations map[[2]int64]bool         // subject and year
	recognitions  []*recognition
	areas         []flows.Area
	ended         map[string]bool // areas no longer in force: split
	relocations   []*relocation
	members       map[int64][]int64 // a clan's member households
	asked         []Asked           // notices asking households to pick their village, not taken yet
	broadcasts    []*broadcast      // by id - 1
	remindersOff  map[int64]bool    // people who switched reminders off
	goals         map[scoring.Kind][]flows.Goal
	missed        map[string]map[int][]flows.Miss // by area, then year
	missesAt      time.Time
	digests       []digest // weekly digests, by id - 1; switched off when off
	nudges        []nudge  // by id - 1
	subjects      []subject
	assessments   []*record
	clock         int             // counts changes, for "the most recently changed first"
	applied       map[string]bool // input keys
	effects       []string
}

type identity struct {
	channel string
	user    int64
}

// subject is a subject with who created it; an assisted one's creator
// does not represent it.
type subject struct {
	flows.Subject
	createdBy int64
	assisted  bool
	joined    []int64 // representatives who joined by invitation
}

// represents reports whether a person represents a subject.
func (sj subject) represents(person int64) bool {
	return (sj.createdBy == person && !sj.assisted) || slices.Contains(sj.joined, person)
}

// record is an assessment with what is stored beside it.
type record struct {
	a        flows.Assessment
	person   int64
	changed  int    // the store's clock at its last change
	status   string // open, submitted, abandoned
	startKey string
	evidence map[string][]string // sha256 by question
	files    map[string][]string // the channel's file ids, beside evidence
	review   *flows.Review       // from the first submission on
	reopened int                 // the revision a send-back left it at
	seeded   bool                // added by AddFamilies, not through a conversation
}

var (
	_ flows.People = (*Store)(nil)
	_ enrol.Store  = (*Store)(nil)
	_ assess.Store = (*Store)(nil)
)

// New returns a store with the sample slice of the real tree (area.Sample).
func New() *Store { return WithAreas(area.Sample()) }

// WithAreas returns a store with the given area tree.
func WithAreas(areas []flows.Area) *Store {
	return &Store{identities: map[identity]int64{}, areas: slices.Clone(areas), applied: map[string]bool{}}
}

// Effects returns the effects written down since the last call, one line
// each, and forgets them.
func (s *Store) Effects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.effects
	s.effects = nil
	return out
}

func (s *Store) effect(format string, args ...any) {
	s.effects = append(s.effects, fmt.Sprintf(format, args...))
}

// Count returns how many people and assessments are stored.
func (s *Store) Count() (people, assessments int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.people), len(s.assessments)
}

func (s *Store) Person(_ context.Context, channel string, user int64) (flows.Person, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.identities[identity{channel, user}]
	if !ok {
		return flows.Person{}, flows.ErrNotFound
	}
	return s.people[id-1], nil
}

func (s *Store) Consent(_ context.Context, channel string, user int64, lang string, at time.Time) (flows.Person, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.identities[identity{channel, user}]; ok {
		s.people[id-1].Inactive = false
		s.effect("consent again: person %d", id)
		return s.people[id-1], nil
	}
	p := flows.Person{ID: int64(len(s.people) + 1), Lang: lang, Consent: at}
	s.people = append(s.people, p)
	s.identities[identity{channel, user}] = p.ID
	s.effect("consent: person %d (%s)", p.ID, lang)
	return p, nil
}

func (s *Store) SetLanguage(_ context.Context, personID int64, lang string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.people[personID-1].Lang = lang
	s.effect("language: person %d %s", personID, lang)
	return nil
}

func (s *Store) SetInactive(_ context.Context, personID int64, inactive bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.people[personID-1].Inactive = inactive
	s.effect("inactive: person %d %v", personID, inactive)
	return nil
}

func (s *Store) Areas(_ context.Context, parent string) ([]flows.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Area
	for _, a := range s.areas {
		if a.Parent == parent && !s.ended[a.Code] {
			out = append(out, a)
		}
	}
	area.SortByName(out)
	return out, nil
}

func (s *Store) SearchAreas(_ context.Context, under, deepest, query string, limit int) ([]flows.FoundArea, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byCode := map[string]flows.Area{}
	for _, a := range s.areas {
		byCode[a.Code] = a
	}
	below := func(a flows.Area) bool {
		for p := a.Parent; p != ""; p = byCode[p].Parent {
			if p == under {
				return true
			}
		}
		return under == ""
	}
	var found []flows.FoundArea
	for _, a := range s.areas {
		if below(a) && !s.ended[a.Code] && slices.Index(area.Levels, a.Level) <= slices.Index(area.Levels, deepest) {
			found = append(found, flows.FoundArea{Area: a, ParentName: byCode[a.Parent].Name})
		}
	}
	return area.Rank(query, found, limit), nil
}

func (s *Store) Area(_ context.Context, code string) (flows.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.areas {
		if a.Code == code {
			return a, nil
		}
	}
	return flows.Area{}, flows.ErrNotFound
}

// copyOf returns an assessment as the store would read it.
func (r *record) copyOf() flows.Assessment {
	a := r.a
	a.Answers = maps.Clone(r.a.Answers)
	if a.Answers == nil {
		a.Answers = scoring.Answers{}
	}
	a.Photos = map[string]int{}
	for code, sums := range r.evidence {
		a.Photos[code] = len(sums)
	}
	if a.Submitted != nil {
		at := *a.Submitted
		a.Submitted = &at
	}
	return a
}

func (s *Store) record(id int64) *record {
	if id < 1 || int(id) > len(s.assessments) {
		return nil
	}
	return s.assessments[id-1]
}

func (s *Store) Assessments(_ context.Context, personID int64) ([]flows.Assessment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rs []*record
	for _, r := range s.assessments {
		if (r.person == personID || s.subjects[r.a.SubjectID-1].represents(personID)) && r.status != "abandoned" {
			rs = append(rs, r)
		}
	}
	slices.SortStableFunc(rs, func(a, b *record) int {
		if a.changed != b.changed {
			return b.changed - a.changed
		}
		return int(b.a.ID - a.a.ID)
	})
	var out []flows.Assessment
	for _, r := range rs {
		out = append(out, r.copyOf())
	}
	return out, nil
}

func (s *Store) Subjects(_ context.Context, personID int64, kind scoring.Kind) ([]flows.Subject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Subject
	for _, sj := range s.subjects {
		if sj.represents(personID) && sj.Kind == kind {
			out = append(out, sj.Subject)
		}
	}
	slices.SortStableFunc(out, func(a, b flows.Subject) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// touch marks a record as changed now.
func (s *Store) touch(r *record) {
	s.clock++
	r.changed = s.clock
}

func (s *Store) Assessment(_ context.Context, id int64) (flows.Assessment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(id)
	if r == nil {
		return flows.Assessment{}, flows.ErrNotFound
	}
	return r.copyOf(), nil
}

func (s *Store) Start(_ context.Context, n flows.NewAssessment) (flows.Assessment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.assessments {
		if r.startKey == n.Key {
			return r.copyOf(), nil
		}
	}
	if n.Assisted && !s.may(n.PersonID, role.ReviewDecide, n.AreaCode) {
		return flows.Assessment{}, flows.ErrNotFound
	}
	sj := s.subjectFor(n)
	for _, r := range s.assessments {
		if r.a.SubjectID == sj.ID && r.a.Year == n.Year && r.status != "abandoned" {
			return r.copyOf(), flows.ErrExists
		}
	}
	s.register(sj.ID, n.Year)
	r := &record{person: n.PersonID, status: "open", startKey: n.Key, evidence: map[string][]string{}, a: flows.Assessment{
		ID: int64(len(s.assessments) + 1), SubjectID: sj.ID, SubjectName: sj.Name, Kind: sj.Kind, AreaCode: sj.AreaCode,
		Region: n.Region, SetID: n.SetID, SetVersion: n.SetVersion, Year: n.Year, Rev: 1, Cursor: n.Cursor, Answers: scoring.Answers{},
		Assisted: n.Assisted,
	}}
	s.touch(r)
	s.assessments = append(s.assessments, r)
	s.effect("start: assessment %d of person %d, subject %d, %s %q in %s on %s@%d",
		r.a.ID, n.PersonID, sj.ID, sj.Kind, sj.Name, sj.AreaCode, n.SetID, n.SetVersion)
	return r.copyOf(), nil
}

// subjectFor returns the subject a start names, or the person's subject of
// its kind with its name (in any case) in its area, or a new one.
func (s *Store) subjectFor(n flows.NewAssessment) flows.Subject {
	for _, sj := range s.subjects {
		if n.SubjectID != 0 && sj.ID == n.SubjectID {
			return sj.Subject
		}
		if n.SubjectID == 0 && sj.createdBy == n.PersonID && sj.assisted == n.Assisted && sj.Kind == n.Kind && sj.AreaCode == n.AreaCode &&
			strings.EqualFold(sj.Name, n.Name) {
			return sj.Subject
		}
	}
	sj := subject{Subject: flows.Subject{ID: int64(len(s.subjects) + 1), Kind: n.Kind, Name: n.Name, AreaCode: n.AreaCode}, createdBy: n.PersonID, assisted: n.Assisted}
	s.subjects = append(s.subjects, sj)
	return sj.Subject
}

func (s *Store) Apply(_ context.Context, c flows.Change) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied[c.Key] {
		return 0, flows.ErrDone
	}
	s.applied[c.Key] = true // as in PostgreSQL, an input that lost the race is spent too
	r := s.record(c.AssessmentID)
	if r == nil || r.status != "open" || r.a.Rev != c.Rev {
		return 0, flows.ErrConflict
	}
	r.a.Rev++
	s.touch(r)
	r.a.Cursor = c.Cursor
	if c.Answer != nil {
		r.a.Answers[c.Code] = *c.Answer
		s.effect("answer: assessment %d %s = %s (rev %d)", r.a.ID, c.Code, answerText(*c.Answer), r.a.Rev)
	}
	return r.a.Rev, nil
}

// answerText writes an answer as its JSON would read.
func answerText(a scoring.Answer) string {
	switch a.Type {
	case scoring.AnswerNA:
		return "na"
	case scoring.AnswerBool:
		return fmt.Sprint(a.Bool)
	case scoring.AnswerOption:
		return a.Option
	}
	return scoring.FormatNumber(a.Value)
}

func (s *Store) AddEvidence(_ context.Context, e flows.Evidence) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(e.AssessmentID)
	if r == nil {
		return 0, flows.ErrNotFound
	}
	if !slices.Contains(r.evidence[e.Code], e.SHA256) {
		r.evidence[e.Code] = append(r.evidence[e.Code], e.SHA256)
		if r.files == nil {
			r.files = map[string][]string{}
		}
		r.files[e.Code] = append(r.files[e.Code], e.FileID)
		s.effect("evidence: assessment %d %s photo %s", r.a.ID, e.Code, e.SHA256[:8])
	}
	return len(r.evidence[e.Code]), nil
}

func (s *Store) Submit(_ context.Context, id int64, rev int, personID int64, res scoring.Result, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(id)
	switch {
	case r == nil:
		return flows.ErrNotFound
	case r.status == "submitted":
		return flows.ErrDone
	case r.status != "open" || r.a.Rev != rev:
		return flows.ErrConflict
	}
	r.status, r.a.Cursor = "submitted", ""
	r.a.Rev++
	s.touch(r)
	r.a.Submitted, r.a.Result = &at, &res
	s.effect("submit: assessment %d, %s points, passed %v", id, scoring.FormatNumber(res.Total), res.Passed)
	if r.review == nil {
		r.review = &flows.Review{AssessmentID: id, State: flows.ReviewWaiting, Rev: 1, WaitingSince: at}
	} else {
		r.review.State, r.review.WaitingSince = flows.ReviewWaiting, at
		r.review.Rev++
		r.review.Resubmitted++
	}
	return nil
}

func (s *Store) Abandon(_ context.Context, id int64, rev int, personID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(id)
	if r == nil || r.status != "open" || r.a.Rev != rev {
		return flows.ErrConflict
	}
	r.status = "abandoned"
	r.a.Rev++
	s.touch(r)
	s.effect("abandon: assessment %d", id)
	return nil
}

func (s *Store) MoveSet(_ context.Context, id int64, rev int, setID string, version int, drop []string, cursor string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(id)
	if r == nil || r.status != "open" || r.a.Rev != rev {
		return 0, flows.ErrConflict
	}
	r.a.SetID, r.a.SetVersion, r.a.Cursor = setID, version, cursor
	r.a.Rev++
	s.touch(r)
	for _, code := range drop {
		delete(r.a.Answers, code)
	}
	slices.Sort(drop)
	s.effect("move: assessment %d to %s@%d, dropping %v", id, setID, version, drop)
	return r.a.Rev, nil
}

// Submitted returns the submitted assessments, oldest first.
func (s *Store) Submitted() []flows.Assessment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Assessment
	for _, r := range s.assessments {
		if r.status == "submitted" && !r.seeded {
			out = append(out, r.copyOf())
		}
	}
	return out
}

// Files serves photos from memory by file id.
type Files map[string][]byte

func (f Files) Fetch(_ context.Context, p flows.Photo) (io.ReadCloser, error) {
	data, ok := f[p.FileID]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoFile, p.FileID)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Blobs takes JPEG and PNG images up to a size and names them by hash, as
// the blob store does, without keeping them.
type Blobs struct{ Max int64 }

func (b Blobs) Put(_ context.Context, r io.Reader) (string, int64, string, error) {
	data, err := io.ReadAll(io.LimitReader(r, b.Max+1))
	if err != nil {
		return "", 0, "", err
	}
	if int64(len(data)) > b.Max {
		return "", 0, "", flows.ErrTooLarge
	}
	mime := http.DetectContentType(data)
	if mime != "image/jpeg" && mime != "image/png" {
		return "", 0, "", flows.ErrNotImage
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), int64(len(data)), mime, nil
}

// ErrNoFile is what Files answers for an unknown file id.
var ErrNoFile = errors.New("no such file")
