package flows_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// stale is the notice of a button out of date, in Vietnamese.
const stale = "Nút này đã cũ, không còn dùng được."

// submittedBy makes a household's submission of family-2015@2 in Thôn
// Đông straight in the store, for a person who consented, and forgets the
// store's effects: a test of what comes after the walk.
func (h *harness) submittedBy(person int64, name string) flows.Assessment {
	h.t.Helper()
	a, err := h.store.Start(h.ctx, flows.NewAssessment{PersonID: person, Kind: scoring.KindFamily, Name: name, AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "submitted-" + name})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.Submit(h.ctx, a.ID, a.Rev, person, scoring.Result{Total: 85, Max: 100, Passed: true}, h.sh.now); err != nil {
		h.t.Fatal(err)
	}
	h.store.Effects()
	h.note("%s (person %d) submits its self-assessment %d", name, person, a.ID)
	return a
}

// settings are the golden conversations of /settings, run with the other
// scenarios.
var settingsScenarios = []scenario{
	// People without a role for the province are refused (a commune's
	// leader too); the province's admin goes straight to its settings and
	// changes its chain, its seasons (typed days checked one by one) and
	// its reasons (from the default list, typed ones, at most ten). Old
	// buttons change nothing.
	{"settings_province", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		if out := h.command("settings"); !strings.Contains(last(out), "chưa có vai trò thay đổi thiết lập") {
			h.t.Errorf("/settings of a household: %q", last(out))
		}
		h.store.GrantRole(h.ctx, 1, role.Leader, area.SampleCommune, 0)
		if out := h.command("settings"); !strings.Contains(last(out), "chưa có vai trò thay đổi thiết lập") {
			h.t.Errorf("/settings of a commune's leader: %q", last(out))
		}
		h.store.GrantRole(h.ctx, 1, role.Admin, "01", 0)
		out := h.command("settings")
		if got := shown(out); !slices.Equal(got, []string{"🏅 Cách công nhận", "📅 Mùa đánh giá", "↩️ Lý do", "◀ Xong"}) ||
			!strings.Contains(last(out), "năm dương lịch, mặc định (từ 01/01/2026 đến 31/12/2026)") {
			h.t.Errorf("the admin's settings %q: %q", got, last(out))
		}

		h.press("🏅 Cách công nhận")
		toConfirm := "🔁 Chuyển sang: người công nhận xác nhận bản đã chấp nhận"
		h.press(toConfirm)
		if ps, _ := h.store.ProvinceSettings(h.ctx, 1, "01"); ps.Chain != flows.ChainConfirm {
			h.t.Errorf("the chain is %s", ps.Chain)
		}
		if out := h.pressOld(toConfirm, 0); notice(out) != stale {
			h.t.Errorf("the switch pressed again: %+v", out)
		}

		h.press("📅 Mùa đánh giá")
		h.press("✏️ Đặt ngày năm 2027")
		for _, c := range []struct{ typed, want string }{
			{"tháng mười hai", "Cần hai ngày"},
			{"31/02/2027 - 30/11/2027", "Cần hai ngày"}, // no such day
			{"30/11/2027 - 01/12/2026", "Ngày đóng không được trước ngày mở"},
			{"01/01/2026 - 31/12/2026", "Mùa năm 2027 dài nhiều nhất một năm, có ngày của năm 2027"},
			{"02/01/2026 - 01/01/2027", "Mùa năm 2027 dài nhiều nhất một năm, có ngày của năm 2027, mở không sớm hơn 01/10 năm trước"},
			{"01/12/2026 - 01/12/2027", "Mùa năm 2027 dài nhiều nhất một năm"},
			{strings.Repeat("01/12/2026 ", 30), "Cần hai ngày"},
			{"01/12/2026 - 30/11/2027 - 1/1/2028", "Cần hai ngày"},
		} {
			if out := h.text(c.typed); len(out) != 1 || !strings.HasPrefix(last(out), c.want) || !strings.Contains(last(out), "Gõ ngày mở và ngày đóng") {
				h.t.Errorf("%q answered %+v", c.typed, out)
			}
		}
		if out := h.photo("lich.jpg", picture(h.t, 1), ""); !strings.HasPrefix(last(out), "Hãy gõ bằng chữ.") {
			h.t.Errorf("a photo for the days: %q", last(out))
		}
		if out := h.text("01/12/2026 - 30/11/2027"); !strings.HasPrefix(last(out), "✅ Mùa năm 2027: từ 01/12/2026 đến 30/11/2027.") {
			h.t.Errorf("the 2027 season: %q", last(out))
		}
		h.press("✏️ Đặt ngày năm 2026")
		if out := h.text("2026-01-01 2026-12-15"); !strings.HasPrefix(last(out), "Những ngày này trùng với mùa năm 2027 (01/12/2026 – 30/11/2027)") {
			h.t.Errorf("an overlap: %q", last(out))
		}
		h.text("từ 1/1/2026 đến 30.11.2026")
		december := time.Date(2026, 12, 15, 3, 0, 0, 0, time.UTC)
		if y, _ := h.store.SeasonYear(h.ctx, area.SampleCommune+".01", december); y != 2027 {
			h.t.Errorf("Hà Nội's year in December 2026: %d", y)
		}
		h.press("↺ Năm 2026 theo năm dương lịch")
		if out := h.pressOld("↺ Năm 2026 theo năm dương lịch", 0); notice(out) != stale {
			h.t.Errorf("a season cleared twice: %+v", out)
		}
		h.press("◀ Quay lại")

		h.press("↩️ Lý do")
		h.press("📋 Bắt đầu từ danh sách mặc định")
		h.press("🗑 Bỏ 4")
		h.press("➕ Thêm lý do")
		h.text("ab")
		h.text(strings.Repeat("dài ", 100))
		h.text("Thiếu xác nhận của trưởng thôn")
		h.press("➕ Thêm lý do")
		if out := h.text("thiếu xác nhận  của TRƯỞNG THÔN"); !strings.HasPrefix(last(out), "Danh sách đã có lý do này.") {
			h.t.Errorf("a reason twice: %q", last(out))
		}
		h.press("➕ Thêm lý do")
		if out := h.text("Thiếu minh chứng"); !strings.HasPrefix(last(out), "Danh sách đã có lý do này.") {
			h.t.Errorf("a default reason typed out, kept from the default list: %q", last(out))
		}
		for i := 5; i <= 10; i++ {
			h.press("➕ Thêm lý do")
			out = h.text(fmt.Sprintf("Lý do số %d", i))
		}
		if got := shown(out); slices.Contains(got, "➕ Thêm lý do") || !slices.Contains(got, "🗑 Bỏ 10") {
			h.t.Errorf("a full list offers %q", got)
		}
		if out := h.pressOld("➕ Thêm lý do", 0); notice(out) != stale {
			h.t.Errorf("an eleventh reason: %+v", out)
		}
		h.press("🗑 Bỏ 1")
		if out := h.pressOld("🗑 Bỏ 1", 1); notice(out) != stale {
			h.t.Errorf("a reason removed twice: %+v", out)
		}
		if ps, _ := h.store.ProvinceSettings(h.ctx, 1, "01"); len(ps.Reasons) != 9 || ps.Reasons[0].Text != "review.reason.evidence" {
			h.t.Errorf("the reasons kept %+v", ps.Reasons)
		}
		h.press("◀ Quay lại")
		if out := h.press("◀ Xong"); !strings.Contains(last(out), "Bạn muốn tự đánh giá danh hiệu nào?") {
			h.t.Errorf("left for %q", last(out))
		}
	}},

	// A province's leader sets its reasons but not its chain, not even
	// with a forged button. A reviewer in the province who opened the
	// reasons step before sees the default list go stale, picks one of the
	// province's own (a removed one is stale), and the household reads it
	// as the province typed it.
	{"settings_reasons_in_review", "en", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		h.submittedBy(1, "Nhà Lê")
		leader, rv := h.other(7272, "en", "leader"), h.other(7373, "vi", "reviewer")
		for _, o := range []*harness{leader, rv} {
			o.command("start")
			o.press(o.l("agree"))
		}
		h.store.GrantRole(h.ctx, 2, role.Leader, "01", 0)
		h.store.GrantRole(h.ctx, 3, role.Reviewer, area.SampleCommune, 0)
		out := leader.command("settings")
		if got := shown(out); !slices.Equal(got, []string{"📅 Seasons", "↩️ Reasons", "◀ Done"}) {
			h.t.Errorf("the leader's settings %q", got)
		}
		for _, forged := range []flows.Token{{Module: "st", Verb: "ch", Code: "01"}, {Module: "st", Verb: "sw", Code: "01", Value: "confirm"}} {
			if out := leader.send(flows.Input{Kind: flows.InputButton, Button: forged.String()}, "forged "+forged.String()); notice(out) != "This button is out of date and no longer works." {
				h.t.Errorf("a forged %s: %+v", forged, out)
			}
		}
		if ps, _ := h.store.ProvinceSettings(h.ctx, 2, "01"); ps.Chain != flows.ChainAccept || ps.MayChain {
			h.t.Errorf("the leader's province %+v", ps)
		}

		rv.command("review")
		rv.press("Nhà Lê — Thôn Đông · 01/03/2026")
		rv.press("↩️ Trả lại để sửa")

		leader.press("↩️ Reasons")
		leader.press("➕ Add a reason")
		leader.text("The photo of the study corner is missing")
		leader.press("➕ Add a reason")
		leader.text("Thiếu sổ theo dõi học tập")

		out = rv.pressOld("Ảnh minh chứng không rõ", 0)
		if got := shown(out); notice(out) != stale || !slices.Equal(got, []string{"The photo of the study corner is missing", "Thiếu sổ theo dõi học tập", "◀ Quay lại"}) {
			h.t.Errorf("the province's reasons %q: %+v", got, out)
		}
		leader.press("🗑 Remove 2")
		if out := rv.press("Thiếu sổ theo dõi học tập"); notice(out) != stale {
			h.t.Errorf("a reason removed meanwhile: %+v", out)
		}
		if out := rv.press("The photo of the study corner is missing"); !strings.Contains(last(out), "Lý do: The photo of the study corner is missing") {
			h.t.Errorf("the decision: %q", last(out))
		}
		h.later(11 * time.Minute)
		told := flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: "decided", ID: 1, Rev: 2}}
		if out := h.send(told, "(event) decided"); len(out) != 1 || !strings.Contains(out[0].Text, "Reason: The photo of the study corner is missing") {
			h.t.Errorf("the household is told %+v", out)
		}
	}},

	// An admin over the nation finds the province among theirs by name.
	// Switching a province that confirms recognitions back to "acceptance
	// recognises" while an accepted submission waits for its recogniser
	// asks first, then recognises it: it does not wait for good.
	{"settings_chain_waiting", "vi", func(h *harness) {
		h.store.SetChain(h.ctx, "01", flows.ChainConfirm, 0, start)
		h.command("start")
		h.press(h.l("agree"))
		family, rv := h.other(8282, "vi", "family"), h.other(8383, "vi", "reviewer")
		for _, o := range []*harness{family, rv} {
			o.command("start")
			o.press(o.l("agree"))
		}
		h.submittedBy(2, "Nhà Vũ")
		h.store.GrantRole(h.ctx, 3, role.Reviewer, area.SampleCommune, 0)
		rv.command("review")
		rv.press("Nhà Vũ — Thôn Đông · 01/03/2026")
		rv.press("✅ Chấp nhận")

		h.store.GrantRole(h.ctx, 1, role.Admin, "VN", 0)
		out := h.command("settings")
		if got := shown(out); !slices.Equal(got, []string{"Thành phố Hà Nội", "Tỉnh Tuyên Quang", "◀ Xong"}) {
			h.t.Errorf("the nation's admin's provinces %q", got)
		}
		h.text("ha noi")
		h.press("Thành phố Hà Nội")
		h.press("🏅 Cách công nhận")
		out = h.press("🔁 Chuyển sang: người thẩm định chấp nhận là công nhận ngay")
		if r := last(out); !strings.HasPrefix(r, "⚠️ 1 bản đã chấp nhận đang chờ người công nhận") {
			h.t.Errorf("the switch asks %q", r)
		}
		// The switch pressed twice, as a quick double tap does: the second
		// press is of the screen before, not the confirmation.
		if out := h.pressOld("🔁 Chuyển sang: người thẩm định chấp nhận là công nhận ngay", 0); notice(out) != "Nút này đã cũ, không còn dùng được." {
			h.t.Errorf("the switch pressed again: %+v", out)
		}
		if ps, _ := h.store.ProvinceSettings(h.ctx, 1, "01"); ps.Chain != flows.ChainConfirm {
			h.t.Errorf("switched before it was confirmed: %s", ps.Chain)
		}
		out = h.press("✅ Chuyển và công nhận 1 bản")
		if r := last(out); !strings.Contains(r, "🏅 Đã công nhận 1 bản đang chờ.") || !strings.Contains(r, "(mặc định)") {
			h.t.Errorf("after the switch %q", r)
		}
		if ps, _ := h.store.ProvinceSettings(h.ctx, 1, "01"); ps.Waiting != 0 {
			h.t.Errorf("%d still wait", ps.Waiting)
		}
		h.press("◀ Tỉnh khác")
		if out := h.text("!!!"); !strings.HasPrefix(last(out), "Hãy gõ vài chữ") {
			h.t.Errorf("punctuation for a province: %q", last(out))
		}
	}},
}
