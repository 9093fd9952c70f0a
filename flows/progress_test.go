package flows_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
	"hoctap/scoring"
)

// progressScenarios are the golden conversations of /progress, run with
// the other scenarios.
var progressScenarios = []scenario{
	// Without a role /progress says who may see figures. Hà Nội's leader
	// sees the province against the targets, goes down to a commune (the
	// share on its button), lists the villages that have not reported,
	// switches the year, goes back up, has the figures sent as a chart and
	// as a workbook, and finds a village by its name. A
	// commune's leader may not see the province, nor another commune's
	// figures through a button made elsewhere.
	{"progress_province", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		if out := h.command("progress"); !strings.Contains(last(out), "Chỉ lãnh đạo hoặc quản trị viên") {
			h.t.Errorf("/progress without a role: %q", last(out))
		}
		if out := h.command("export"); len(out) != 1 || !strings.Contains(last(out), "Chỉ lãnh đạo hoặc quản trị viên") {
			h.t.Errorf("/export without a role: %+v", out)
		}
		h.store.SetGoals(map[scoring.Kind][]flows.Goal{scoring.KindFamily: {{Year: 2025, Share: 70, Confirmed: true}, {Year: 2030, Share: 80}}})
		h.store.AddFamilies(area.SampleCommune+".01", 2026, 3, 4)
		h.store.AddFamilies(area.SampleWard+".01", 2025, 1, 2)
		h.note("Thôn Đông has 4 households, 3 recognised in 2026; Tổ dân phố số 1 has 2, 1 recognised in 2025")
		family := h.other(2, "vi", "household")
		family.enrol("family", "Lê Văn Tám")
		h.store.GrantRole(h.ctx, 1, role.Leader, "01", 0)
		h.note("person 1 is made the leader of Hà Nội")
		out := h.command("progress")
		if s := last(out); !strings.Contains(s, "Thành phố Hà Nội") || !strings.Contains(s, "3/7 đạt · <b>42,9%</b>") || !strings.Contains(s, "2025: 70% · 2030: 80% (chưa xác nhận)") {
			h.t.Errorf("the province: %q", s)
		}
		h.press("Xã Sóc Sơn · 60%")
		if out := h.press("📋 Chưa báo cáo (1)"); !strings.Contains(last(out), "Thôn Đoài") || strings.Contains(last(out), "Thôn Đông") {
			h.t.Errorf("not reported: %q", last(out))
		}
		h.press("◀ Quay lại")
		if out := h.press("◀ 2025"); !strings.Contains(last(out), "0/5 đạt") {
			h.t.Errorf("Sóc Sơn in 2025: %q", last(out))
		}
		h.press("⬆ Thành phố Hà Nội")
		if out := h.press("📈 Biểu đồ"); len(out) != 2 || out[0].Picture == nil || out[0].Picture.Name != "tien-do-01-2025.png" ||
			!bytes.HasPrefix(out[0].Picture.Data, []byte("\x89PNG")) || out[1].Notice != "Đã gửi biểu đồ." {
			h.t.Errorf("the chart: %+v", out)
		}
		if out := h.press("📥 Excel"); len(out) != 2 || out[0].Document == nil || out[0].Document.Name != "tien-do-01-2025.xlsx" {
			h.t.Errorf("the workbook: %+v", out)
		}
		if out := h.press("⚠️ Chỉ tiêu hay không đạt"); !strings.Contains(last(out), "Chưa tính") {
			h.t.Errorf("misses never counted: %q", last(out))
		}
		h.press("◀ Quay lại")
		h.press("2026 ▶")
		for i, missed := range [][]string{{"1.1", "4.3"}, {"1.1"}} {
			res := scoring.Result{Max: 100}
			for _, code := range []string{"1.1", "3.2", "4.3"} {
				ind := scoring.IndicatorScore{Code: code, Max: 10, Points: 10, Answered: true}
				if slices.Contains(missed, code) {
					ind.Points = 0
				}
				res.Indicators = append(res.Indicators, ind)
			}
			a, err := h.store.Start(h.ctx, flows.NewAssessment{PersonID: 2, Kind: scoring.KindFamily, Name: "Nhà " + strconv.Itoa(i+1), AreaCode: area.SampleCommune + ".01",
				Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Key: "miss-" + strconv.Itoa(i)})
			if err != nil {
				h.t.Fatal(err)
			}
			if err := h.store.Submit(h.ctx, a.ID, a.Rev, 2, res, h.sh.now); err != nil {
				h.t.Fatal(err)
			}
		}
		h.store.CountMisses(h.sh.now)
		h.note("two households of Thôn Đông submit: both missed 1.1, one 4.3; the misses are counted")
		if out := h.press("⚠️ Chỉ tiêu hay không đạt"); !strings.Contains(last(out), "<b>1.1</b>") || !strings.Contains(last(out), "100% không đạt (2/2)") ||
			!strings.Contains(last(out), "50% không đạt (1/2)") || strings.Contains(last(out), "<b>3.2</b>") {
			h.t.Errorf("the misses: %q", last(out))
		}
		h.press("◀ Quay lại")
		h.send(flows.Input{Kind: flows.InputCommand, Command: "progress", Text: "đông"}, "/progress đông")
		h.text("a text where buttons are asked")
		h.press("✖️ Đóng")

		leader := h.other(3, "vi", "a commune's leader")
		leader.command("start")
		leader.press(leader.l("agree"))
		h.store.GrantRole(h.ctx, 3, role.Leader, area.SampleWard, 0)
		leader.note("person 3 is made the leader of Phường Hoàn Kiếm")
		leader.command("progress")
		if out := leader.send(flows.Input{Kind: flows.InputCommand, Command: "progress", Text: "01"}, "/progress 01"); strings.Contains(last(out), "Thành phố Hà Nội ·") {
			h.t.Errorf("the commune's leader sees the province: %q", last(out))
		}
		tok := flows.Token{Module: "pg", Verb: "a", Code: area.SampleCommune}
		if out := leader.send(flows.Input{Kind: flows.InputButton, Button: tok.String()}, "(a button to Xã Sóc Sơn)"); len(out) == 0 || !strings.Contains(out[0].Text, "không còn quyền") {
			h.t.Errorf("another commune through a button: %+v", out)
		}
	}},
	// /export sends Hà Nội's leader the province's workbook with its
	// figures. The leader switches on the weekly digest from the province's
	// screen; on Monday it brings the figures with a button to them and
	// one to stop it, which works once it is off too. Stopped, it says
	// nothing. Switched on again, it is the same digest, which the old
	// message's 🔕 switches off; on again and the role ended, it says
	// nothing and switches itself off.
	{"progress_digest", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		h.store.AddFamilies(area.SampleCommune+".01", 2026, 3, 4)
		h.store.GrantRole(h.ctx, 1, role.Leader, "01", 0)
		h.note("person 1 is made the leader of Hà Nội; Thôn Đông has 4 households, 3 recognised")
		if out := h.command("export"); len(out) != 2 || !strings.Contains(out[0].Text, "📊 <b>Thành phố Hà Nội</b>") ||
			out[1].Document == nil || out[1].Document.Name != "tien-do-01-2026.xlsx" {
			h.t.Errorf("/export: %+v", out)
		}
		h.command("progress")
		if out := h.press("🔔 Nhận bản tin tuần"); len(out) != 2 || out[0].Notice == "" || !slices.Contains(shown(out), "🔕 Tắt bản tin tuần") {
			h.t.Errorf("switched on: %+v", out)
		}
		h.press("✖️ Đóng")
		digest := flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: flows.RemindEvent + flows.RemindProgress, ID: 1}}
		out := h.send(digest, "(event) Monday's digest")
		if len(out) != 1 || !strings.Contains(out[0].Text, "Bản tin tuần") || !strings.Contains(out[0].Text, "3/4 đạt") || !strings.Contains(out[0].Text, "chưa báo cáo") {
			h.t.Errorf("the digest: %+v", out)
		}
		if out := h.press("📊 Xem số liệu"); !strings.Contains(last(out), "📊 <b>Thành phố Hà Nội</b>") {
			h.t.Errorf("the digest's figures: %q", last(out))
		}
		h.press("✖️ Đóng")
		// The newest 🔕 is the figures' screen's; the one before, the
		// digest's, pressed twice.
		for range 2 {
			if out := h.pressOld("🔕 Tắt bản tin tuần", 1); len(out) != 1 || out[0].Notice != "Đã tắt bản tin tuần." {
				h.t.Errorf("the digest's stop: %+v", out)
			}
		}
		if out := h.send(digest, "(event) a digest switched off"); len(out) != 0 {
			h.t.Errorf("a digest switched off: %+v", out)
		}
		h.command("progress")
		h.press("🔔 Nhận bản tin tuần")
		h.press("✖️ Đóng")
		// Switched on again, it is the same digest: the old message's 🔕
		// switches it off.
		if out := h.pressOld("🔕 Tắt bản tin tuần", 2); len(out) != 1 || out[0].Notice != "Đã tắt bản tin tuần." {
			h.t.Errorf("the old digest's stop: %+v", out)
		}
		if out := h.command("progress"); !slices.Contains(shown(out), "🔔 Nhận bản tin tuần") {
			h.t.Errorf("after the old stop, the screen offers %q", shown(out))
		}
		h.press("🔔 Nhận bản tin tuần")
		h.press("✖️ Đóng")
		h.store.RevokeRole(h.ctx, 1, 0)
		h.note("person 1 is no longer Hà Nội's leader")
		if out := h.send(digest, "(event) the next Monday"); len(out) != 0 {
			h.t.Errorf("a digest of figures no longer theirs: %+v", out)
		}
	}},
	// Under "📋 Chưa báo cáo" Hà Nội's leader reminds the reviewers of
	// the communes not reported: Hoàn Kiếm has none yet, which the leader
	// is told, and that tap does not count; with a reviewer there, the
	// next tells them, and a third that day sends nothing; they see the ward;
	// Sóc Sơn's reviewer, whose commune reported, sees nothing. Down in
	// Sóc Sơn, its reviewer covers its villages not reported.
	{"progress_nudge", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		h.store.AddFamilies(area.SampleCommune+".01", 2026, 3, 4)
		h.store.GrantRole(h.ctx, 1, role.Leader, "01", 0)
		ward := h.other(2, "vi", "Hoàn Kiếm's reviewer")
		ward.command("start")
		ward.press(ward.l("agree"))
		commune := h.other(3, "vi", "Sóc Sơn's reviewer")
		commune.command("start")
		commune.press(commune.l("agree"))
		h.store.GrantRole(h.ctx, 3, role.Reviewer, area.SampleCommune, 0)
		h.note("person 1 leads Hà Nội, person 3 reviews Xã Sóc Sơn, where Thôn Đông has 4 households")
		h.command("progress")
		h.press("📋 Chưa báo cáo (1)")
		out := h.press("🔔 Nhắc người thẩm định")
		if len(out) != 2 || out[0].Notice != "Chưa có người thẩm định nào để nhắc." || !strings.Contains(out[1].Text, "Phường Hoàn Kiếm") {
			h.t.Errorf("nobody to remind: %+v", out)
		}
		h.store.GrantRole(h.ctx, 2, role.Reviewer, area.SampleWard, 0)
		h.note("person 2 now reviews Phường Hoàn Kiếm")
		if out := h.press("🔔 Nhắc người thẩm định"); len(out) != 1 || out[0].Notice != "Đã nhắc 1 người thẩm định." {
			h.t.Errorf("with a reviewer: %+v", out)
		}
		if out := h.press("🔔 Nhắc người thẩm định"); len(out) != 1 || !strings.HasPrefix(out[0].Notice, "Hôm nay đã nhắc lúc") {
			h.t.Errorf("a second tap: %+v", out)
		}
		nudged := func(id int64) flows.Input {
			return flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: flows.RemindEvent + flows.RemindNudged, ID: id}}
		}
		if out := ward.send(nudged(1), "(event) nudged"); len(out) != 1 || !strings.Contains(out[0].Text, "Lãnh đạo nhắc, theo số liệu của <b>Thành phố Hà Nội</b>") ||
			!strings.Contains(out[0].Text, "• Phường Hoàn Kiếm") {
			h.t.Errorf("the ward's reviewer: %+v", out)
		}
		if out := commune.send(nudged(1), "(event) another's nudge"); len(out) != 0 {
			h.t.Errorf("Sóc Sơn's reviewer told of Hoàn Kiếm: %+v", out)
		}
		h.press("◀ Quay lại")
		h.press("Xã Sóc Sơn · 75%")
		h.press("📋 Chưa báo cáo (1)")
		h.press("🔔 Nhắc người thẩm định")
		if out := commune.send(nudged(2), "(event) nudged"); len(out) != 1 || !strings.Contains(out[0].Text, "• Thôn Đoài") {
			h.t.Errorf("Sóc Sơn's reviewer: %+v", out)
		}
	}},
}
