package flowstest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/settings"
	"hoctap/role"
)

var _ settings.Store = (*Store)(nil)

// isProvince reports whether an area of the tree is a province.
func (s *Store) isProvince(code string) bool {
	i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == code })
	return i >= 0 && s.areas[i].Level == "province"
}

// provinceOf returns the province an area lies in ("" above the
// provinces).
func (s *Store) provinceOf(code string) string {
	for c := code; c != ""; {
		i := slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == c })
		if i < 0 {
			return ""
		}
		if s.areas[i].Level == "province" {
			return c
		}
		c = s.areas[i].Parent
	}
	return ""
}

// SettingsProvinces returns the provinces whose settings a person may
// change, by name.
func (s *Store) SettingsProvinces(_ context.Context, personID int64) ([]flows.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Area
	for _, a := range s.areas {
		if a.Level == "province" && !s.ended[a.Code] && s.may(personID, role.Settings, a.Code) {
			out = append(out, a)
		}
	}
	area.SortByName(out)
	return out, nil
}

func (s *Store) ProvinceSettings(_ context.Context, personID int64, province string) (flows.ProvinceSettings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isProvince(province) {
		return flows.ProvinceSettings{}, flows.ErrNotFound
	}
	out := flows.ProvinceSettings{
		Province:    s.areas[slices.IndexFunc(s.areas, func(x flows.Area) bool { return x.Code == province })],
		Chain:       s.chainOf(province),
		Waiting:     len(s.waiting(province)),
		Seasons:     slices.Clone(s.seasons[province]),
		Reasons:     slices.Clone(s.reasons[province]),
		MayChain:    s.may(personID, role.Administer, province),
		MaySettings: s.may(personID, role.Settings, province),
	}
	if !out.MayChain && !out.MaySettings {
		return flows.ProvinceSettings{}, flows.ErrNotFound
	}
	return out, nil
}

// allowed reports whether a person (0: anyone) may change a province's
// settings.
func (s *Store) allowed(by int64, province string) bool {
	return s.isProvince(province) && (by == 0 || s.may(by, role.Settings, province))
}

func (s *Store) SetSeason(_ context.Context, province string, x flows.Season, by int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !flows.SeasonFits(x) {
		return fmt.Errorf("a season of %d that does not fit it", x.Year)
	}
	if !s.allowed(by, province) {
		return flows.ErrNotFound
	}
	list := s.seasons[province]
	for _, o := range list {
		if o.Year != x.Year && o.Overlaps(x) {
			return flows.ErrOverlap
		}
	}
	list = slices.DeleteFunc(list, func(o flows.Season) bool { return o.Year == x.Year })
	list = append(list, x)
	slices.SortFunc(list, func(a, b flows.Season) int { return a.Year - b.Year })
	if s.seasons == nil {
		s.seasons = map[string][]flows.Season{}
	}
	s.seasons[province] = list
	s.effect("season: %s %d from %s to %s by person %d", province, x.Year, x.Opens.Format("2006-01-02"), x.Closes.Format("2006-01-02"), by)
	return nil
}

func (s *Store) ClearSeason(_ context.Context, province string, year int, by int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allowed(by, province) || !slices.ContainsFunc(s.seasons[province], func(o flows.Season) bool { return o.Year == year }) {
		return flows.ErrNotFound
	}
	s.seasons[province] = slices.DeleteFunc(s.seasons[province], func(o flows.Season) bool { return o.Year == year })
	s.effect("season: %s %d cleared by person %d", province, year, by)
	return nil
}

// sameReason tells reasons apart as the PostgreSQL store does: case and
// spaces aside, accents kept.
func sameReason(a, b string) bool {
	fold := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return strings.EqualFold(fold(a), fold(b))
}

func (s *Store) AddReasons(_ context.Context, province string, texts []string, by int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allowed(by, province) {
		return 0, flows.ErrNotFound
	}
	have := s.reasons[province]
	var fresh []string
	for _, text := range texts {
		text = norm.NFC.String(strings.Join(strings.Fields(text), " "))
		if n := len([]rune(text)); n < flows.MinProvinceReason || n > flows.MaxProvinceReason {
			return 0, fmt.Errorf("a reason of %d characters", n)
		}
		known := slices.ContainsFunc(have, func(h flows.Reason) bool { return sameReason(h.Text, text) }) ||
			slices.ContainsFunc(fresh, func(f string) bool { return sameReason(f, text) })
		if !known {
			fresh = append(fresh, text)
		}
	}
	if len(have)+len(fresh) > flows.MaxProvinceReasons {
		return 0, flows.ErrLimit
	}
	if s.reasons == nil {
		s.reasons = map[string][]flows.Reason{}
	}
	for _, text := range fresh {
		s.reasonSeq++
		s.reasons[province] = append(s.reasons[province], flows.Reason{ID: s.reasonSeq, Text: text})
		s.effect("reason %d: added to %s by person %d", s.reasonSeq, province, by)
	}
	return len(fresh), nil
}

func (s *Store) RemoveReason(_ context.Context, province string, id, by int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.reasons[province], func(r flows.Reason) bool { return r.ID == id })
	if !s.allowed(by, province) || i < 0 {
		return flows.ErrNotFound
	}
	s.reasons[province] = slices.Delete(s.reasons[province], i, i+1)
	s.effect("reason %d: removed from %s by person %d", id, province, by)
	return nil
}

func (s *Store) Reasons(_ context.Context, personID, assessmentID int64) ([]flows.Reason, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reviewable(personID, assessmentID, role.ReviewDecide)
	if r == nil {
		return nil, flows.ErrNotFound
	}
	return slices.Clone(s.reasons[s.provinceOf(r.a.AreaCode)]), nil
}
