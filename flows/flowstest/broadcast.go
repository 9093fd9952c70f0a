package flowstest

import (
	"context"
	"errors"
	"slices"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
)

// broadcast is a broadcast queued: its texts, and its recipients' states
// ("pending", "sent", "failed") by person.
type broadcast struct {
	flows.NewBroadcast
	state      string
	pausedBy   int64 // who paused it; 0 for none or the command line
	recipients map[int64]string
}

// AddBroadcast keeps a broadcast's texts, as the store does when one is
// queued from the command line (to nobody), and returns its id.
func (s *Store) AddBroadcast(vi, en string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broadcasts = append(s.broadcasts, &broadcast{NewBroadcast: flows.NewBroadcast{TextVI: vi, TextEN: en}, state: flows.BroadcastSending})
	return int64(len(s.broadcasts))
}

// Deliver marks a broadcast's pending recipients sent, as package
// deliver's jobs would, and returns how many.
func (s *Store) Deliver(id int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.broadcastOf(id)
	n := 0
	for p, st := range b.recipients {
		if st == "pending" {
			b.recipients[p] = "sent"
			n++
		}
	}
	return n
}

func (s *Store) broadcastOf(id int64) *broadcast {
	if id < 1 || id > int64(len(s.broadcasts)) {
		return nil
	}
	return s.broadcasts[id-1]
}

func (s *Store) BroadcastText(_ context.Context, id int64, lang string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.broadcastOf(id)
	if b == nil {
		return "", flows.ErrNotFound
	}
	if lang == "en" {
		return b.TextEN, nil
	}
	return b.TextVI, nil
}

func (s *Store) BroadcastAreas(_ context.Context, personID int64) ([]flows.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Area
	for _, a := range s.areas {
		if s.ended[a.Code] || slices.ContainsFunc(out, func(x flows.Area) bool { return x.Code == a.Code }) {
			continue
		}
		if slices.ContainsFunc(s.roles, func(h held) bool {
			return h.person == personID && h.area == a.Code && role.Allows(h.role, role.Broadcast)
		}) {
			out = append(out, a)
		}
	}
	area.SortByName(out)
	return out, nil
}

// audience returns the persons a broadcast to a reaches now.
func (s *Store) audience(a flows.Audience) []int64 {
	var out []int64
	for _, p := range s.people {
		if p.Inactive {
			continue
		}
		in := a.Everyone
		if !in && a.Role == flows.Representative {
			in = slices.ContainsFunc(s.subjects, func(sj subject) bool { return sj.represents(p.ID) && s.below(sj.AreaCode, a.Area) })
		} else if !in {
			in = slices.ContainsFunc(s.roles, func(h held) bool { return h.person == p.ID && string(h.role) == a.Role && s.below(h.area, a.Area) })
		}
		if in {
			out = append(out, p.ID)
		}
	}
	return out
}

// checkAudience refuses what PostgreSQL refuses: a role that is none, an
// area missing or not in the tree.
func (s *Store) checkAudience(a flows.Audience) error {
	if a.Everyone {
		return nil
	}
	if a.Area == "" || (!role.Valid(a.Role) && a.Role != flows.Representative) {
		return errors.New("a broadcast goes to everyone or to a role within an area")
	}
	if !slices.ContainsFunc(s.areas, func(x flows.Area) bool { return x.Code == a.Area }) {
		return flows.ErrNotFound
	}
	return nil
}

func (s *Store) Recipients(_ context.Context, a flows.Audience) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkAudience(a); err != nil {
		return 0, err
	}
	return len(s.audience(a)), nil
}

func (s *Store) QueueBroadcast(_ context.Context, b flows.NewBroadcast, now time.Time) (int64, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkAudience(b.Audience); err != nil {
		return 0, 0, err
	}
	nation := ""
	for _, a := range s.areas {
		if a.Level == "nation" {
			nation = a.Code
		}
	}
	over := b.Area
	if b.Everyone {
		over = nation
	}
	if b.By != 0 && !s.may(b.By, role.Broadcast, over) {
		return 0, 0, flows.ErrNotFound
	}
	if b.At.Before(now) {
		b.At = now
	}
	if b.Key != "" {
		for i, old := range s.broadcasts {
			if old.Key == b.Key {
				return int64(i + 1), len(old.recipients), nil
			}
		}
	}
	q := &broadcast{NewBroadcast: b, state: flows.BroadcastSending, recipients: map[int64]string{}}
	for _, p := range s.audience(b.Audience) {
		q.recipients[p] = "pending"
	}
	s.broadcasts = append(s.broadcasts, q)
	s.effect("broadcast %d queued to %d", len(s.broadcasts), len(q.recipients))
	return int64(len(s.broadcasts)), len(q.recipients), nil
}

func (s *Store) statusLocked(id, by int64) (flows.BroadcastStatus, error) {
	b := s.broadcastOf(id)
	if b == nil || (by != 0 && b.By != by) {
		return flows.BroadcastStatus{}, flows.ErrNotFound
	}
	st := flows.BroadcastStatus{ID: id, By: b.By, Audience: b.Audience, State: b.state, At: b.At, Recipients: len(b.recipients)}
	for _, r := range b.recipients {
		switch r {
		case "sent":
			st.Sent++
		case "failed":
			st.Failed++
		default:
			st.Pending++
		}
	}
	if st.State == flows.BroadcastSending && st.Pending == 0 {
		st.State = flows.BroadcastDone
	}
	return st, nil
}

func (s *Store) BroadcastStatusOf(_ context.Context, id, by int64) (flows.BroadcastStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked(id, by)
}

func (s *Store) SetBroadcast(_ context.Context, id, by int64, state string, _ time.Time) (flows.BroadcastStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.statusLocked(id, by); err != nil {
		return flows.BroadcastStatus{}, err
	}
	b := s.broadcastOf(id)
	if b.state == state || b.state == flows.BroadcastCancelled || (state == flows.BroadcastSending && b.state != flows.BroadcastPaused) {
		return s.statusLocked(id, by)
	}
	if state == flows.BroadcastSending && by != 0 && b.pausedBy != by {
		return flows.BroadcastStatus{}, flows.ErrNotFound
	}
	b.state, b.pausedBy = state, 0
	if state == flows.BroadcastPaused {
		b.pausedBy = by
	}
	s.effect("broadcast %d %s", id, state)
	return s.statusLocked(id, by)
}

func (s *Store) Broadcasts(_ context.Context, by int64, limit int) ([]flows.BroadcastStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.BroadcastStatus
	for id := int64(len(s.broadcasts)); id >= 1 && len(out) < limit; id-- {
		if st, err := s.statusLocked(id, by); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

func (s *Store) SetReminders(_ context.Context, personID int64, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.remindersOff == nil {
		s.remindersOff = map[int64]bool{}
	}
	s.remindersOff[personID] = !on
	s.effect("reminders of person %d on: %v", personID, on)
	return nil
}

func (s *Store) RemindersOn(_ context.Context, personID int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.remindersOff[personID], nil
}
