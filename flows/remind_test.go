package flows_test

import (
	"strings"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/role"
)

// remindScenarios are the golden conversations of reminders, run with the
// other scenarios.
var remindScenarios = []scenario{
	// A household leaves its questionnaire at the third question and
	// looks at its status; the reminder of it comes beside that, and its
	// button goes on at the third question. A reminder made before a
	// change drops itself. /reminders says, switches off and on.
	{"reminder_unfinished", "vi", func(h *harness) {
		h.enrol("family", "Nhà Lê")
		h.press("Không") // 1.1
		h.press("Không") // 1.2
		h.command("status")
		a := h.open()
		out := h.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: flows.RemindEvent + flows.RemindUnfinished, ID: a.ID, Rev: a.Rev}}, "(event) reminder")
		if !strings.Contains(last(out), "đã trả lời 2/12 câu") {
			h.t.Errorf("the reminder: %q", last(out))
		}
		if out := h.press("▶ Làm tiếp"); !strings.Contains(last(out), "Câu 3/12") {
			h.t.Errorf("going on: %q", last(out))
		}
		if out := h.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: flows.RemindEvent + flows.RemindUnfinished, ID: a.ID, Rev: a.Rev - 1}}, "(event) an old reminder"); len(out) != 0 {
			h.t.Errorf("a stale reminder showed %+v", out)
		}
		h.command("reminders")
		h.send(flows.Input{Kind: flows.InputCommand, Command: "reminders", Text: "off"}, "/reminders off")
		h.send(flows.Input{Kind: flows.InputCommand, Command: "reminders", Text: "bật"}, "/reminders bật")
		h.send(flows.Input{Kind: flows.InputCommand, Command: "reminders", Text: "maybe"}, "/reminders maybe")
		if out := h.press("Không"); !strings.Contains(last(out), "Câu 4/12") { // the step stayed as it was
			h.t.Errorf("after /reminders: %q", last(out))
		}
	}},
}

func init() {
	remindScenarios = append(remindScenarios, scenario{
		// A household registered for this year's title and not assessed
		// is reminded as the season closes; its button goes to the titles;
		// once it started, the reminder drops itself.
		"reminder_registered", "vi", func(h *harness) {
			h.command("start")
			h.press(h.l("agree"))
			h.press("📝 Đăng ký danh hiệu năm nay")
			h.press(h.l("family"))
			h.text("Nhà Lê")
			h.press(h.l("province"))
			h.press(h.l("commune"))
			h.press(h.l("village"))
			reminder := flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: flows.RemindEvent + flows.RemindRegistered, ID: 1, Rev: 2026}}
			if out := h.send(reminder, "(event) reminder"); !strings.Contains(last(out), "chưa tự đánh giá") {
				h.t.Errorf("the reminder: %q", last(out))
			}
			h.press("▶ Bắt đầu tự đánh giá")
			h.press(h.l("family"))
			if out := h.press("Nhà Lê — Thôn Đông"); !strings.Contains(last(out), "Câu 1/12") {
				h.t.Errorf("starting: %q", last(out))
			}
			if out := h.send(reminder, "(event) the reminder again, once started"); len(out) != 0 {
				h.t.Errorf("a reminder of a registration started: %+v", out)
			}
		}}, scenario{
		// A reviewer's digest counts what waits when it comes, says how
		// many waited more than a week, and its button opens the queue;
		// a digest that finds nothing waiting shows nothing.
		"reminder_digest", "en", func(h *harness) {
			h.command("start")
			h.press(h.l("agree"))
			if out := h.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: flows.RemindEvent + flows.RemindReview}}, "(event) digest, nothing waiting"); len(out) != 0 {
				h.t.Errorf("a digest of nothing: %+v", out)
			}
			h.store.GrantRole(h.ctx, 1, role.Reviewer, area.SampleCommune, 0)
			for i, name := range []string{"Nhà Lê", "Nhà Mai"} {
				family := h.other(int64(10+i), "vi", name)
				family.command("start")
				family.press(family.l("agree"))
				h.submittedBy(int64(2+i), name)
				if i == 0 {
					h.later(8 * 24 * time.Hour)
				}
			}
			out := h.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: flows.RemindEvent + flows.RemindReview}}, "(event) digest")
			if !strings.Contains(last(out), "2</b> self-assessments wait") || !strings.Contains(last(out), "1 of them waited more than 7 days") {
				h.t.Errorf("the digest: %q", last(out))
			}
			if out := h.press("📥 Open the review queue"); !strings.Contains(last(out), "Waiting for review: <b>2</b>") {
				h.t.Errorf("the queue from the digest: %q", last(out))
			}
		}})
}
