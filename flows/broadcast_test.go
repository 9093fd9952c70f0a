package flows_test

import (
	"slices"
	"strings"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/broadcast"
	"hoctap/role"
)

// broadcastScenarios are the golden conversations of /broadcast, run with
// the other scenarios.
var broadcastScenarios = []scenario{
	// A household may not broadcast. A commune's leader writes to the
	// commune's households: a text too long is refused, the preview says
	// to whom and how many, a press after one more household joined
	// previews again with the new count, and the broadcast is queued; its
	// progress is paused, resumed and cancelled, and the household is
	// shown it, in English, beside its own step.
	{"broadcast_commune", "vi", func(h *harness) {
		h.command("start")
		h.press(h.l("agree"))
		family := h.other(2, "en", "household")
		family.enrol("family", "Lê Văn Tám")
		if out := h.command("broadcast"); !strings.Contains(last(out), "Chỉ quản trị viên hoặc lãnh đạo") {
			h.t.Errorf("/broadcast without a role: %q", last(out))
		}
		h.store.GrantRole(h.ctx, 1, role.Leader, area.SampleCommune, 0)
		h.note("person 1 is made the leader of Xã Sóc Sơn")
		h.command("broadcast")
		h.press("➕ Thông báo mới")
		if out := h.press("Các hộ gia đình, dòng họ, thôn, đơn vị"); !strings.Contains(last(out), "Hãy nhập nội dung thông báo") {
			h.t.Errorf("the text is not asked: %q", last(out))
		}
		h.sticker()
		h.text(strings.Repeat("dài ", 1001))
		out := h.text("Mùa đánh giá 2026 đã mở. Hãy tự đánh giá trước 30/11.")
		if !strings.Contains(last(out), "Xã Sóc Sơn") || !strings.Contains(last(out), "— 1 người") {
			h.t.Errorf("the preview: %q", last(out))
		}
		other := h.other(3, "vi", "another household")
		other.enrol("family", "Nhà Lò")
		if out := h.press("✅ Gửi cho 1 người"); notice(out) != stale || !strings.Contains(last(out), "— 2 người") {
			h.t.Errorf("sent to a count no longer true: %+v", out)
		}
		out = h.press("✅ Gửi cho 2 người")
		if !strings.Contains(last(out), "Thông báo #1") || !strings.Contains(last(out), "Đã gửi: 0/2") {
			h.t.Errorf("the status: %q", last(out))
		}
		h.press("⏸ Tạm dừng")
		h.press("▶️ Tiếp tục")
		h.store.Deliver(1)
		h.note("the jobs deliver broadcast 1")
		h.press("🔄 Cập nhật")
		family.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: broadcast.Event, ID: 1}}, "(event) broadcast 1")
		if got := shown(h.command("broadcast")); !slices.Contains(got, "#1 · đã gửi xong · 2/2") {
			h.t.Errorf("the list: %q", got)
		}
		h.press("#1 · đã gửi xong · 2/2")
		h.press("◀ Quay lại")
		h.press("➕ Thông báo mới")
		h.press("Người thẩm định")
		if out := h.text("Họp người thẩm định thứ Hai"); slices.Contains(shown(out), "✅ Gửi cho 0 người") {
			h.t.Errorf("a broadcast to nobody may be sent: %q", shown(out))
		}
		h.press("◀ Quay lại")
		h.press("◀ Quay lại")
		h.press("Lãnh đạo") // the leader alone
		h.text("Họp lãnh đạo thứ Hai")
		h.press("✅ Gửi cho 1 người")
		h.press("✖️ Hủy thông báo")
		if out := h.pressOld("⏸ Tạm dừng", 0); notice(out) != stale {
			h.t.Errorf("a pause after the cancel: %+v", out)
		}
	}},
}

func init() {
	broadcastScenarios = append(broadcastScenarios, scenario{
		// A leader, in English, adds an English version and schedules the
		// broadcast: a time that is no time, or has passed, is asked again;
		// the preview says both; a household in English is shown the
		// English version.
		"broadcast_scheduled_english", "en", func(h *harness) {
			h.command("start")
			h.press(h.l("agree"))
			family := h.other(2, "en", "household")
			family.enrol("family", "Lê Văn Tám")
			h.store.GrantRole(h.ctx, 1, role.Leader, area.SampleCommune, 0)
			h.note("person 1 is made the leader of Xã Sóc Sơn")
			h.command("broadcast")
			h.press("➕ New announcement")
			h.press("Households, clans, villages and units")
			h.text("Mùa đánh giá đã mở.")
			h.press("🌐 English version")
			h.text("The assessment season is open.")
			h.press("⏰ Send at a time")
			h.text("tomorrow morning")
			h.text("01/01/2026 08:00") // passed
			out := h.text("24/03/2026 08:00")
			if !strings.Contains(last(out), "Goes out at 24 Mar 2026 08:00") || !strings.Contains(last(out), "With an English version (30 characters)") {
				h.t.Errorf("the preview: %q", last(out))
			}
			h.press("⚡ Send once confirmed")
			h.press("⏰ Send at a time")
			h.text("2026-03-24 08:00")
			if out := h.press("✅ Schedule for 1 person"); !strings.Contains(last(out), "At: 24 Mar 2026 08:00") {
				h.t.Errorf("the status: %q", last(out))
			}
			if out := family.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: broadcast.Event, ID: 1}}, "(event) broadcast 1"); !strings.Contains(last(out), "The assessment season is open.") {
				h.t.Errorf("the household is shown %q", last(out))
			}
		}})
}
